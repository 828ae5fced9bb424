"""RETURNING: the written objects as rows of their table, then the user's expressions over them.

The API answers a create or update with the object as it now is (its id, links, timestamps),
which becomes a row through the table's own read mapping (:func:`..rows.extract_row`), exactly
as a SELECT would show it. A DELETE returns the row as it was read before it was deleted; an
answer without a body (204) falls back to the values written. The RETURNING list is then
evaluated by DuckDB over those rows, so ``RETURNING *``, ``RETURNING id, upper(title)`` and
aliases mean what they mean in PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bitbucket_sql.catalog.model import TableDef

from ..database import LocalDatabase, quote_identifier
from ..result import ResultColumn
from ..rows import extract_row, to_arrow
from ..statements import DIALECT
from .parse import WriteStatement
from .send import Outcome


def returning_rows(
    table: TableDef, statement: WriteStatement, written: Sequence[Outcome]
) -> tuple[list[ResultColumn], list[tuple[Any, ...]]]:
    """(columns, rows) of the statement's RETURNING list over the written objects."""
    rows = []
    secret = {f.column for op in table.writes for f in op.fields if f.secret}
    for outcome in written:
        answer = outcome.response if statement.kind != "delete" and isinstance(outcome.response, dict) else None
        # an answered object speaks for itself (a secured value it omits stays NULL); the row written
        # stands in only when the API answered nothing, and never with a secret value
        scope = dict(outcome.request.keys) if answer is not None else {
            name: value for name, value in outcome.request.row.items() if name not in secret}
        rows.append(extract_row(answer or {}, table.columns, scope))
    projections = ", ".join(expression.sql(dialect=DIALECT) for expression in statement.returning)
    alias = f" AS {quote_identifier(statement.alias)}" if statement.alias else ""
    with LocalDatabase() as database:
        database.create_table("main", table.name, [(c.name, c.type) for c in table.columns])
        database.insert("main", table.name, to_arrow(table, rows))
        database.use("main")
        names, types, result = database.run(f"SELECT {projections} FROM {quote_identifier(table.name)}{alias}", None)
    return [ResultColumn(name, kind) for name, kind in zip(names, types, strict=True)], result
