"""From SQL text to one parsed query: EXPLAIN prefixes, ``?`` parameters, syntax errors.

Parameters are bound *textually but safely* before parsing: sqlglot's tokenizer finds each
``?`` placeholder token (never one inside a string or comment), and each is replaced by the SQL
literal sqlglot itself renders for the Python value (``'it''s'``, ``42``, ``TRUE``, ``NULL``,
``CAST('2024-01-01T00:00:00+00:00' AS TIMESTAMPTZ)``). The planner then sees ordinary typed
literals, coerces them to the column's type, and no parameter can change the query's shape.
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import TokenType

from .errors import ParameterError, SqlSyntaxError, UnsupportedStatementError

DIALECT = "duckdb"

ExplainMode = Literal["none", "explain", "analyze"]

_EXPLAIN = re.compile(r"^\s*explain(\s+analy[sz]e)?\b", re.IGNORECASE)

#: Query shapes the engine answers; anything else is a write, DDL or session command.
_QUERY_TYPES = (exp.Query, exp.Values)


@dataclass(frozen=True)
class Statement:
    """A parsed query plus how it was asked for (plain, EXPLAIN or EXPLAIN ANALYZE)."""

    tree: exp.Query
    sql: str  # the query text after binding parameters (the result-cache key)
    explain: ExplainMode


def split_explain(sql: str) -> tuple[ExplainMode, str]:
    """Strip a leading ``EXPLAIN`` / ``EXPLAIN ANALYZE`` and say which it was."""
    match = _EXPLAIN.match(sql)
    if not match:
        return "none", sql
    return ("analyze" if match.group(1) else "explain"), sql[match.end() :]


def bind_parameters(sql: str, params: Sequence[Any] | None) -> str:
    """Replace each ``?`` placeholder with the SQL literal of the matching parameter."""
    try:
        tokens = DuckDB().tokenize(sql)
    except TokenError as error:
        raise SqlSyntaxError(f"SQL syntax error: {error}. Check quotes and brackets.") from None
    placeholders = [token for token in tokens if token.token_type == TokenType.PLACEHOLDER and token.text == "?"]
    values = list(params or ())
    if len(placeholders) != len(values):
        raise ParameterError(
            f"The query has {len(placeholders)} '?' placeholder(s) but {len(values)} parameter(s) were "
            f"given. Pass exactly one value per '?' (paramstyle 'qmark')."
        )
    if not placeholders:
        return sql
    pieces: list[str] = []
    position = 0
    for index, (token, value) in enumerate(zip(placeholders, values, strict=True)):
        pieces.append(sql[position : token.start])
        pieces.append(sql_literal(value, index + 1))
        position = token.end + 1
    pieces.append(sql[position:])
    return "".join(pieces)


def sql_literal(value: Any, position: int = 0) -> str:
    """The DuckDB SQL literal for one parameter value (raises ParameterError for other types)."""
    node: exp.Expression
    if value is None:
        node = exp.Null()
    elif isinstance(value, bool):
        node = exp.Boolean(this=value)
    elif isinstance(value, int):
        node = exp.Literal.number(value)
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            node = exp.cast(exp.Literal.string(repr(value)), "DOUBLE")
        else:
            node = exp.Literal.number(repr(value))
    elif isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise ParameterError(f"Parameter {position} is {value}, which SQL cannot represent.")
        node = exp.Literal.number(str(value))
    elif isinstance(value, str):
        node = exp.Literal.string(value)
    elif isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            node = exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
        else:
            utc = value.astimezone(datetime.UTC)
            node = exp.cast(exp.Literal.string(utc.isoformat(sep=" ")), "TIMESTAMPTZ")
    elif isinstance(value, datetime.date):
        node = exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    else:
        raise ParameterError(
            f"Parameter {position} has type {type(value).__name__}, which is not supported. Use None, "
            f"bool, int, float, Decimal, str, datetime.date or datetime.datetime."
        )
    return node.sql(dialect=DIALECT)


def parse_statement(sql: str, params: Sequence[Any] | None = None) -> Statement:
    """Parse one query (after EXPLAIN detection and parameter binding)."""
    mode, body = split_explain(sql)
    bound = bind_parameters(body, params)
    if not bound.strip().rstrip(";").strip():
        raise SqlSyntaxError("The SQL text is empty. Write a query such as SELECT * FROM repositories.")
    try:
        trees = sqlglot.parse(bound, read=DIALECT)
    except ParseError as error:
        raise _syntax_error(error) from None
    except TokenError as error:
        raise SqlSyntaxError(f"SQL syntax error: {error}. Check quotes and brackets.") from None
    trees = [tree for tree in trees if tree is not None]
    if len(trees) != 1:
        raise UnsupportedStatementError(
            f"Expected one SQL statement, got {len(trees)}. Send statements one at a time."
        )
    tree = trees[0]
    if not isinstance(tree, _QUERY_TYPES):
        kind = tree.key.upper() if not isinstance(tree, exp.Command) else str(tree.this).upper()
        raise UnsupportedStatementError(
            f"{kind} statements are not supported yet: bitbucket-sql answers read-only queries "
            f"(SELECT, WITH ... SELECT, UNION, EXPLAIN). Use the Bitbucket web UI or API for changes."
        )
    return Statement(tree=tree, sql=bound.strip(), explain=mode)


def _syntax_error(error: ParseError) -> SqlSyntaxError:
    details = error.errors[0] if error.errors else {}
    line = int(details.get("line") or 0)
    column = int(details.get("col") or 0)
    description = details.get("description") or "invalid syntax"
    description = re.sub(r"<Token token_type: TokenType\.SENTINEL[^>]*>", "the end of the query", description)
    description = re.sub(r"<Token token_type: [^,]*, text: ([^,]*),[^>]*>", r"'\1'", description)
    near = (details.get("highlight") or "").strip()
    near_text = f" near {near!r}" if near else ""
    return SqlSyntaxError(
        f"SQL syntax error at line {line}, column {column}{near_text}: {description}. "
        f"Check the SQL around that position.",
        line=line,
        column=column,
    )
