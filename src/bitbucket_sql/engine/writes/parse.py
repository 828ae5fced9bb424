"""INSERT, UPDATE and DELETE text -> one :class:`WriteStatement` (sqlglot, DuckDB dialect).

Parameters are bound the way queries bind them (:func:`..statements.bind_parameters`), so a
value is always a value. What a write needs from its text is small: the table (and its
workspace schema), the INSERT's column list and row source, the UPDATE's assignments, the
WHERE that finds the target rows and the RETURNING list; everything else (joins in UPDATE,
ON CONFLICT, INSERT OR REPLACE) has no meaning against Bitbucket's API and is refused.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from bitbucket_sql.catalog.model import WriteKind

from ..errors import SqlSyntaxError, UnsupportedStatementError
from ..statements import (
    DIALECT,
    ExplainMode,
    _syntax_error,
    _tokenizing_error,
    bind_parameters,
    split_explain,
)

#: The first word of a write, after an optional EXPLAIN and leading comments.
_WRITE_START = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(insert|update|delete)\b", re.IGNORECASE | re.DOTALL)


def is_write(sql: str) -> bool:
    """Whether ``sql`` (maybe after EXPLAIN) is an INSERT, UPDATE or DELETE."""
    _, body = split_explain(sql)
    return _WRITE_START.match(body) is not None


@dataclass
class WriteStatement:
    """One parsed write: what to change and how to find or make its rows."""

    kind: WriteKind
    sql: str
    explain: ExplainMode
    table: str
    schema: str | None
    alias: str | None
    #: INSERT: the named columns (lower-case) and the query producing the rows
    columns: list[str] = field(default_factory=list)
    source: Any = None  # a sqlglot Query or Values
    #: UPDATE: column -> new value expression, in the order written
    assignments: list[tuple[str, exp.Expression]] = field(default_factory=list)
    where: exp.Expression | None = None
    returning: list[exp.Expression] = field(default_factory=list)

    @property
    def verb(self) -> str:
        return self.kind.upper()

    @property
    def reference(self) -> str:
        """The name rows are qualified by in WHERE and SET (the alias, else the table)."""
        return self.alias or self.table


def parse_write(sql: str, params: Sequence[Any] | None = None) -> WriteStatement:
    """Parse one INSERT/UPDATE/DELETE (after EXPLAIN detection and parameter binding)."""
    mode, body = split_explain(sql)
    bound = bind_parameters(body, params)
    try:
        trees = [tree for tree in sqlglot.parse(bound, read=DIALECT) if tree is not None]
    except ParseError as error:
        raise _syntax_error(error, bound) from None
    except TokenError:
        raise _tokenizing_error(bound) from None
    if len(trees) != 1:
        raise UnsupportedStatementError(f"Expected one SQL statement, got {len(trees)}. Send statements one at a time.")
    tree = trees[0]
    text = bound.strip()
    if isinstance(tree, exp.Insert):
        return _insert(tree, text, mode)
    if isinstance(tree, exp.Update):
        return _update(tree, text, mode)
    if isinstance(tree, exp.Delete):
        return _delete(tree, text, mode)
    raise SqlSyntaxError(f"Expected INSERT, UPDATE or DELETE, got {tree.key.upper()}.")


def _table_of(node: exp.Expression | None, verb: str) -> tuple[str, str | None, str | None]:
    if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
        raise UnsupportedStatementError(f"{verb} needs a table name (e.g. {verb} ... pull_requests ...).")
    if node.catalog:
        raise UnsupportedStatementError(
            f"{verb} on {node.sql(dialect=DIALECT)}: name the table as table or workspace.table."
        )
    return node.name.lower(), (node.db or None), (node.alias or None)


def _returning(tree: exp.Expression) -> list[exp.Expression]:
    returning = tree.args.get("returning")
    return list(returning.expressions) if isinstance(returning, exp.Returning) else []


def _refuse(tree: exp.Expression, verb: str, *args: str) -> None:
    for name in args:
        if tree.args.get(name):
            what = {"conflict": "ON CONFLICT", "alternative": "INSERT OR ...", "from": "UPDATE ... FROM",
                    "from_": "UPDATE ... FROM", "using": "DELETE ... USING", "with": "WITH", "joins": "JOIN",
                    "order": "ORDER BY", "limit": "LIMIT"}.get(name, name)
            raise UnsupportedStatementError(
                f"{what} is not supported in {verb}: Bitbucket's API changes one object per request. "
                f"Find the rows with a WHERE condition (subqueries work: WHERE id IN (SELECT ...))."
            )


def _insert(tree: exp.Insert, sql: str, mode: ExplainMode) -> WriteStatement:
    _refuse(tree, "INSERT", "conflict", "alternative", "with")
    if tree.args.get("overwrite"):
        raise UnsupportedStatementError("INSERT OVERWRITE is not supported: Bitbucket objects are created one by one.")
    target = tree.this
    columns: list[str] = []
    if isinstance(target, exp.Schema):
        columns = [identifier.name.lower() for identifier in target.expressions]
        target = target.this
    table, schema, alias = _table_of(target, "INSERT")
    source = tree.expression
    if not isinstance(source, exp.Query | exp.Values):
        raise UnsupportedStatementError("INSERT needs VALUES (...) or a SELECT giving the rows to create.")
    return WriteStatement("insert", sql, mode, table, schema, alias, columns=columns, source=source,
                          returning=_returning(tree))


def _update(tree: exp.Update, sql: str, mode: ExplainMode) -> WriteStatement:
    _refuse(tree, "UPDATE", "from", "from_", "with", "joins", "order", "limit")
    table, schema, alias = _table_of(tree.this, "UPDATE")
    assignments: list[tuple[str, exp.Expression]] = []
    for item in tree.expressions:
        if not isinstance(item, exp.EQ) or not isinstance(item.this, exp.Column):
            raise UnsupportedStatementError(f"UPDATE ... SET needs column = value pairs, got {item.sql(dialect=DIALECT)}.")
        assignments.append((item.this.name.lower(), item.expression))
    where = tree.args.get("where")
    return WriteStatement("update", sql, mode, table, schema, alias, assignments=assignments,
                          where=where.this if isinstance(where, exp.Where) else None, returning=_returning(tree))


def _delete(tree: exp.Delete, sql: str, mode: ExplainMode) -> WriteStatement:
    _refuse(tree, "DELETE", "using", "with", "order", "limit")
    table, schema, alias = _table_of(tree.this, "DELETE")
    where = tree.args.get("where")
    return WriteStatement("delete", sql, mode, table, schema, alias,
                          where=where.this if isinstance(where, exp.Where) else None, returning=_returning(tree))
