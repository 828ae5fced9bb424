"""Parameter types of writes and CALLs, for Parse's ParameterDescription.

Drivers that bind by the types the server describes (asyncpg) send a Python int only where the
server said bigint. A query's ``$n`` takes its type from what it is compared with
(:func:`.translate.infer_parameter_types`); here ``INSERT ... VALUES ($n)`` takes its column's
type and a CALL argument its procedure parameter's, both from the catalog (no request).
"""

from __future__ import annotations

from sqlglot import exp

from bitbucket_sql.engine import procedures as engine_procedures
from bitbucket_sql.engine.system_tables import duckdb_type

from . import call_text, pgtypes
from .pgtypes import PgType, pg_type_for


def insert_value_types(tree: exp.Expression, types: list[PgType]) -> list[PgType]:
    """``INSERT INTO t (a, b) VALUES ($1, $2)``: each ``$n`` has its column's type (a write-only
    column its declared one), so drivers that bind by the described type (asyncpg) send numbers,
    booleans and timestamps as such."""
    from bitbucket_sql.catalog.registry import get_table

    if not isinstance(tree, exp.Insert) or not isinstance(tree.this, exp.Schema):
        return types
    values = tree.expression
    table = get_table(tree.this.this.name) if isinstance(tree.this.this, exp.Table) else None
    if table is None or not isinstance(values, exp.Values):
        return types
    names = [identifier.name.lower() for identifier in tree.this.expressions]
    write_only = {f.column: f.type or "VARCHAR" for f in table.write_only_fields()}
    result = list(types)
    for row in values.expressions:
        for name, value in zip(names, row.expressions if isinstance(row, exp.Tuple) else [], strict=False):
            if isinstance(value, exp.Parameter) and str(value.this.this).isdigit():
                number = int(value.this.this)
                column = table.column(name)
                kind = column.type if column is not None else write_only.get(name)
                if kind is not None and 1 <= number <= len(result):
                    result[number - 1] = pg_type_for(duckdb_type(kind))
    return result


def call_parameter_types(text: str, count: int) -> list[PgType]:
    """The types of ``$1..$count`` in a CALL, from the procedure's declared parameters (a
    ``pull_request_id => $2`` is bigint), so drivers that bind by the described type (asyncpg)
    send numbers and booleans as such; text where the call cannot be read (Execute says why)."""
    types = [pgtypes.TEXT] * count
    markers = [f"bbsql-parameter-{number}" for number in range(1, count + 1)]
    try:
        sql, values = call_text.with_question_marks(text, markers)
        call = engine_procedures.parse_call(sql, values)
        procedure = engine_procedures.get_procedure(call.name) if call is not None else None
    except Exception:  # noqa: BLE001 - a bad CALL is reported when it runs
        return types
    if call is None or procedure is None:
        return types
    by_position = list(zip(procedure.params, call.positional, strict=False))
    by_name = [(procedure.param(key), argument) for key, argument in call.named]
    for param, argument in [*by_position, *by_name]:
        if param is not None and argument.value in markers:
            types[markers.index(argument.value)] = pg_type_for(duckdb_type(param.type))
    return types
