"""SQL text the engine reads: DuckDB's dialect (what sqlglot parses it as), ``?`` placeholders.

SQLAlchemy's generic compiler already writes most of it (``LIMIT ? OFFSET ?``, ``count(*)``,
``CAST``, ``IN (?, ?)``); the differences are DuckDB's: ``ILIKE`` (which the engine pushes
like ``LIKE``, where the generic ``lower(x) LIKE lower(y)`` would stay local), ``//`` and ``/``,
regular expressions, JSON paths, type names. INSERT, UPDATE and DELETE (with RETURNING) compile
as the generic compiler writes them, which the engine's writes accept (docs/writing.md); DDL is
refused at compile time with a message saying why, before anything is sent: the tables are
Bitbucket's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import exc
from sqlalchemy.sql import compiler, sqltypes

DDL_UNSUPPORTED = (
    "bitbucket-sql cannot run {statement}: its tables are Bitbucket's resources, defined by the catalog, "
    "so none can be created, dropped or altered. Write rows into an existing table with INSERT, UPDATE "
    "and DELETE (DataFrame.to_sql(..., if_exists='append', index=False)); see docs/sqlalchemy.md."
)

#: DuckDB's reserved keywords (``SELECT keyword_name FROM duckdb_keywords() WHERE
#: keyword_category = 'reserved'``): quoted when used as names. No catalog table or column is one.
RESERVED_WORDS = {
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
    "check", "collate", "column", "constraint", "create", "default", "deferrable", "desc", "describe",
    "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "from", "group",
    "having", "in", "initially", "intersect", "into", "lambda", "lateral", "leading", "limit", "not",
    "null", "offset", "on", "only", "or", "order", "pivot", "pivot_longer", "pivot_wider", "placing",
    "primary", "qualify", "references", "returning", "select", "show", "some", "summarize", "symmetric",
    "table", "then", "to", "trailing", "true", "union", "unique", "unpivot", "using", "variadic", "when",
    "where", "window", "with",
}  # fmt: skip


class BitbucketCompiler(compiler.SQLCompiler):
    """SELECTs in DuckDB's spelling; INSERT, UPDATE and DELETE as the generic compiler writes them."""

    def visit_ilike_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return self._escaped(binary, "ILIKE", **kw)

    def visit_not_ilike_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return self._escaped(binary, "NOT ILIKE", **kw)

    def _escaped(self, binary: Any, keyword: str, **kw: Any) -> str:
        escape = binary.modifiers.get("escape")
        text = f"{binary.left._compiler_dispatch(self, **kw)} {keyword} {binary.right._compiler_dispatch(self, **kw)}"
        if escape is not None:
            text += " ESCAPE " + self.render_literal_value(escape, sqltypes.STRINGTYPE)
        return text

    def visit_regexp_match_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return self._regexp("regexp_matches", binary, **kw)

    def visit_not_regexp_match_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return "NOT " + self._regexp("regexp_matches", binary, **kw)

    def visit_regexp_replace_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        flags = binary.modifiers.get("flags")
        arguments = [
            binary.left._compiler_dispatch(self, **kw),
            binary.right.clauses[0]._compiler_dispatch(self, **kw),
            binary.right.clauses[1]._compiler_dispatch(self, **kw),
        ]
        if flags is not None:
            arguments.append(self.render_literal_value(flags, sqltypes.STRINGTYPE))
        return f"regexp_replace({', '.join(arguments)})"

    def _regexp(self, function: str, binary: Any, **kw: Any) -> str:
        flags = binary.modifiers.get("flags")
        arguments = [binary.left._compiler_dispatch(self, **kw), binary.right._compiler_dispatch(self, **kw)]
        if flags is not None:
            arguments.append(self.render_literal_value(flags, sqltypes.STRINGTYPE))
        return f"{function}({', '.join(arguments)})"

    def visit_floordiv_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        """Python's ``//``: DuckDB's own ``//`` truncates toward zero, so floor the exact quotient."""
        text = f"FLOOR({self.process(binary.left, **kw)} / {self.process(binary.right, **kw)})"
        integers = all(side.type._type_affinity is sqltypes.Integer for side in (binary.left, binary.right))
        return f"CAST({text} AS BIGINT)" if integers else text

    def visit_json_getitem_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return self._json_path(binary, "->", **kw)

    def visit_json_path_getitem_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return self._json_path(binary, "->", **kw)

    def _json_path(self, binary: Any, arrow: str, **kw: Any) -> str:
        # the ->> form (text) when the expression is typed as a string, as the PostgreSQL dialect does
        if binary.type._type_affinity is sqltypes.String:
            arrow = "->>"
        return f"({binary.left._compiler_dispatch(self, **kw)} {arrow} {binary.right._compiler_dispatch(self, **kw)})"

    def render_literal_value(self, value: Any, type_: Any) -> str:
        """Typed date and time literals (``TIMESTAMPTZ '...'``) for ``literal_binds`` (Superset
        renders its queries so): the same literals a bound parameter becomes, so they push down alike."""
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
            return f"TIMESTAMPTZ '{value.astimezone(dt.UTC).isoformat(sep=' ')}'"
        if isinstance(value, dt.date):
            return f"DATE '{value.isoformat()}'"
        return str(super().render_literal_value(value, type_))

    def visit_true(self, expr: Any, **kw: Any) -> str:
        return "true"

    def visit_false(self, expr: Any, **kw: Any) -> str:
        return "false"


def json_path(elements: Any) -> str:
    """``(0, "display_name")`` -> ``$[0]."display_name"``: DuckDB's JSONPath for ``column[path]``."""
    path = "$"
    for element in elements:
        if isinstance(element, int):
            path += f"[{element}]"
        else:
            quoted = str(element).replace("\\", "\\\\").replace('"', '\\"')
            path += f'."{quoted}"'
    return path


class BitbucketJSONPathType(sqltypes.JSON.JSONPathType):
    """Binds a JSON path (a tuple of keys and indexes) as DuckDB's JSONPath text."""

    def bind_processor(self, dialect: Any) -> Any:
        return lambda value: None if value is None else json_path(value)

    def literal_processor(self, dialect: Any) -> Any:
        return lambda value: "'" + json_path(value).replace("'", "''") + "'"


class BitbucketDDLCompiler(compiler.DDLCompiler):
    """No DDL: the tables are Bitbucket's, defined by the catalog."""

    def visit_create_table(self, create: Any, *args: Any, **kw: Any) -> str:
        from bitbucket_sql.sqlalchemy.reflection import reflected_table

        name = create.element.name
        message = DDL_UNSUPPORTED.format(statement=f"CREATE TABLE {name}")
        if reflected_table(name) is None:
            message += f" There is no table {name!r}; `bbsql tables` lists them."
        raise exc.CompileError(message)

    def visit_drop_table(self, drop: Any, *args: Any, **kw: Any) -> str:
        raise exc.CompileError(DDL_UNSUPPORTED.format(statement=f"DROP TABLE {drop.element.name}"))

    def visit_create_index(self, create: Any, *args: Any, **kw: Any) -> str:
        raise exc.CompileError(DDL_UNSUPPORTED.format(statement="CREATE INDEX"))

    def visit_drop_index(self, drop: Any, *args: Any, **kw: Any) -> str:
        raise exc.CompileError(DDL_UNSUPPORTED.format(statement="DROP INDEX"))


class BitbucketTypeCompiler(compiler.GenericTypeCompiler):
    """DuckDB's type names, for CAST (the only place types appear in queries)."""

    def visit_DATETIME(self, type_: Any, **kw: Any) -> str:
        return "TIMESTAMPTZ" if getattr(type_, "timezone", False) else "TIMESTAMP"

    def visit_datetime(self, type_: Any, **kw: Any) -> str:
        return self.visit_DATETIME(type_, **kw)

    def visit_TIMESTAMP(self, type_: Any, **kw: Any) -> str:
        return self.visit_DATETIME(type_, **kw)

    def visit_string(self, type_: Any, **kw: Any) -> str:
        return "VARCHAR"

    def visit_unicode(self, type_: Any, **kw: Any) -> str:
        return "VARCHAR"

    def visit_text(self, type_: Any, **kw: Any) -> str:
        return "VARCHAR"

    def visit_unicode_text(self, type_: Any, **kw: Any) -> str:
        return "VARCHAR"

    def visit_VARCHAR(self, type_: Any, **kw: Any) -> str:
        return "VARCHAR"

    def visit_float(self, type_: Any, **kw: Any) -> str:
        return "DOUBLE"

    def visit_double(self, type_: Any, **kw: Any) -> str:
        return "DOUBLE"

    def visit_JSON(self, type_: Any, **kw: Any) -> str:
        return "JSON"

    def visit_large_binary(self, type_: Any, **kw: Any) -> str:
        return "BLOB"

    def visit_uuid(self, type_: Any, **kw: Any) -> str:
        return "UUID"


class BitbucketIdentifierPreparer(compiler.IdentifierPreparer):
    """Double-quoted identifiers, quoted only when they are keywords or need it."""

    reserved_words = set(RESERVED_WORDS)
