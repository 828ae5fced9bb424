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
import difflib
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
    except TokenError:
        raise _tokenizing_error(sql) from None
    # ``?::DATE`` is tokenized as one ``?::`` token: a placeholder followed by a cast
    placeholders = [
        token for token in tokens
        if (token.token_type == TokenType.PLACEHOLDER and token.text == "?") or token.token_type == TokenType.QDCOLON
    ]
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
        literal = sql_literal(value, index + 1)
        pieces.append(f"({literal})::" if token.token_type == TokenType.QDCOLON else literal)
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
    elif isinstance(value, datetime.time):
        node = exp.cast(exp.Literal.string(value.isoformat()), "TIMETZ" if value.tzinfo is not None else "TIME")
    elif isinstance(value, bytes | bytearray | memoryview):
        node = exp.Unhex(this=exp.Literal.string(bytes(value).hex()))  # a BLOB
    else:
        raise ParameterError(
            f"Parameter {position} has type {type(value).__name__}, which is not supported. Use None, "
            f"bool, int, float, Decimal, str, bytes, datetime.date, datetime.time or datetime.datetime."
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
        raise _syntax_error(error, bound) from None
    except TokenError:
        raise _tokenizing_error(bound) from None
    statements = [tree for tree in trees if tree is not None]
    if len(statements) != 1:
        raise UnsupportedStatementError(
            f"Expected one SQL statement, got {len(statements)}. Send statements one at a time."
        )
    tree = statements[0]
    if not isinstance(tree, _QUERY_TYPES) and _first_word_hint(bound) is not None:
        # ``foo bar`` parses as an expression, not a statement
        description, line, column = _first_word_hint(bound) or ("", 0, 0)
        raise SqlSyntaxError(
            f"SQL syntax error at line {line}, column {column}: {description}. Check the SQL around that position.",
            line=line,
            column=column,
        )
    if not isinstance(tree, _QUERY_TYPES):
        kind = tree.key.upper() if not isinstance(tree, exp.Command) else str(tree.this).upper()
        raise UnsupportedStatementError(
            f"{kind} statements are not supported: bitbucket-sql answers queries (SELECT, WITH ... SELECT, "
            f"UNION, EXPLAIN), INSERT, UPDATE, DELETE and CALL; Bitbucket has no schema to change."
        )
    return Statement(tree=tree, sql=bound.strip(), explain=mode)  # type: ignore[arg-type] # a Values is queried like a Query


#: sqlglot expression classes -> what the user wrote, for "missing part" messages
_OPERATORS = {
    "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Mod": "%", "EQ": "=", "NEQ": "<>", "GT": ">", "GTE": ">=",
    "LT": "<", "LTE": "<=", "And": "AND", "Or": "OR", "Not": "NOT", "Like": "LIKE", "ILike": "ILIKE",
    "In": "IN", "Is": "IS", "Between": "BETWEEN", "DPipe": "||", "Cast": "CAST", "Alias": "AS",
}
_CLAUSES = {
    "Where": "WHERE needs a condition", "Having": "HAVING needs a condition", "Limit": "LIMIT needs a number",
    "Offset": "OFFSET needs a number", "Order": "ORDER BY needs an expression", "Group": "GROUP BY needs an expression",
    "Join": "JOIN needs a table", "From": "FROM needs a table", "Select": "the SELECT is incomplete",
}
_STATEMENT_WORDS = ("SELECT", "WITH", "EXPLAIN", "VALUES", "FROM", "TABLE")
#: first words of statements that parse but are refused (writes, DDL, session commands)
_OTHER_STATEMENT_WORDS = frozenset({
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "CREATE", "DROP", "ALTER", "TRUNCATE", "SET",
    "RESET", "PRAGMA", "ATTACH", "DETACH", "COPY", "INSTALL", "LOAD", "USE", "CALL", "BEGIN", "START", "COMMIT",
    "ROLLBACK", "ABORT", "END", "EXPORT", "IMPORT", "VACUUM", "CHECKPOINT", "DESCRIBE", "DESC", "SHOW",
    "SUMMARIZE", "GRANT", "REVOKE", "COMMENT", "PREPARE", "EXECUTE", "DEALLOCATE", "ANALYZE", "PIVOT",
    "UNPIVOT", "CACHE", "UNCACHE", "REFRESH", "KILL", "LOCK", "UNLOCK", "OPTIMIZE",
})
_MISSING = re.compile(r"Required keyword: '(\w+)' missing for <class '[\w.]*?(\w+)'>")


def _readable(description: str) -> str:
    """sqlglot's parser message in the user's terms (no Python class names or token reprs)."""
    description = re.sub(r"<Token token_type: TokenType\.SENTINEL[^>]*>", "the end of the query", description)
    description = re.sub(r"<Token token_type: [^,]*, text: ([^,]*),[^>]*>", r"'\1'", description)
    match = _MISSING.search(description)
    if match:
        kind = match.group(2)
        if kind in _CLAUSES:
            return _CLAUSES[kind]
        if kind in _OPERATORS:
            return f"the operator {_OPERATORS[kind]} is missing an operand"
        return f"an expression is incomplete ({kind.lower()} without its {match.group(1)})"
    description = re.sub(r"<class '[\w.]*?(\w+)'>", r"\1", description)
    return description.rstrip(".")


def _first_word_hint(sql: str) -> tuple[str, int, int] | None:
    """``SELEC * FROM x``: (message, line, column) naming a first word that starts no statement."""
    stripped = sql.lstrip()
    words = stripped.split()
    if not words:
        return None
    word = re.split(r"[;(\s]", words[0])[0]
    first = word.upper()
    if first in _STATEMENT_WORDS or first in _OTHER_STATEMENT_WORDS or not re.match(r"[A-Za-z_]", word):
        return None
    offset = len(sql) - len(stripped)
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    close = difflib.get_close_matches(first, _STATEMENT_WORDS, n=1, cutoff=0.6)
    if close:
        return f"{word!r} is not a SQL keyword (did you mean {close[0]})", line, column
    return f"a query starts with SELECT, WITH or VALUES, not {word!r}", line, column


_QUOTES = {"'": "string", '"': "quoted name"}


def _unclosed(sql: str) -> tuple[str, int] | None:
    """The first quote or block comment of ``sql`` that is never closed: (its opener, offset)."""
    position = 0
    while position < len(sql):
        char = sql[position]
        if char in _QUOTES:
            end = position + 1
            while True:
                end = sql.find(char, end)
                if end == -1:
                    return char, position
                if sql.startswith(char * 2, end):  # a doubled quote stands for itself
                    end += 2
                    continue
                break
            position = end + 1
        elif sql.startswith("--", position):
            newline = sql.find("\n", position)
            position = len(sql) if newline == -1 else newline + 1
        elif sql.startswith("/*", position):
            end = sql.find("*/", position + 2)
            if end == -1:
                return "/*", position
            position = end + 2
        else:
            position += 1
    return None


def _tokenizing_error(sql: str) -> SqlSyntaxError:
    """The text cannot even be split into tokens: name the quote or comment left open, and where."""
    found = _unclosed(sql)
    if found is None:
        return SqlSyntaxError("SQL syntax error: the query has a character SQL cannot read. Check quotes and brackets.")
    opener, offset = found
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    if opener == "/*":
        what, fix = "a /* comment is never closed", "End it with */."
    else:
        start = sql[offset : offset + 20].split("\n")[0]
        what = f"the {_QUOTES[opener]} starting {start}{'…' if len(start) == 20 else ''} is never closed"
        fix = f"Add the closing {opener} (a {opener} inside it is written twice: {opener}{opener})."
    return SqlSyntaxError(f"SQL syntax error at line {line}, column {column}: {what}. {fix}", line=line, column=column)


def _syntax_error(error: ParseError, sql: str = "") -> SqlSyntaxError:
    details = error.errors[0] if error.errors else {}
    line = int(details.get("line") or 0)
    column = int(details.get("col") or 0)
    near = (details.get("highlight") or "").strip()
    hint = _first_word_hint(sql)
    if hint is not None:
        description, line, column = hint
        near = sql.split()[0] if sql.split() else near
    else:
        description = _readable(details.get("description") or "invalid syntax")
        if near and "\n" not in near and column >= len(near):
            column = column - len(near) + 1  # sqlglot points at the token's last character
    near_text = f" near {near!r}" if near else ""
    return SqlSyntaxError(
        f"SQL syntax error at line {line}, column {column}{near_text}: {description}. "
        f"Check the SQL around that position.",
        line=line,
        column=column,
    )
