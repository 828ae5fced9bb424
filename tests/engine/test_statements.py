"""Parse errors a user makes first: unclosed quotes and comments, text that is no statement."""

from __future__ import annotations

import pytest

from bitbucket_sql.engine.errors import SqlSyntaxError
from bitbucket_sql.engine.statements import parse_statement


@pytest.mark.parametrize(
    ("sql", "line", "column", "what"),
    [
        ("SELECT slug FROM repositories WHERE slug = 'api", 1, 44, "the string starting 'api is never closed"),
        ("SELECT 'it''s', 'a", 1, 17, "the string starting 'a is never closed"),
        ('SELECT "title FROM pull_requests', 1, 8, 'the quoted name starting "title FROM pull_req… is never'),
        ("SELECT 1\n  /* note", 2, 3, "a /* comment is never closed"),
        ("SELECT 1 -- it's fine\nFROM x WHERE y = 'z", 2, 18, "the string starting 'z is never closed"),
    ],
)
def test_an_unclosed_quote_or_comment_is_named_where_it_starts(sql: str, line: int, column: int, what: str) -> None:
    with pytest.raises(SqlSyntaxError) as raised:
        parse_statement(sql)
    message = str(raised.value)
    assert message.startswith(f"SQL syntax error at line {line}, column {column}: {what}")
    assert (raised.value.line, raised.value.column) == (line, column)
    assert "tokeniz" not in message.lower()


def test_an_unclosed_quote_after_a_placeholder_is_found_before_binding() -> None:
    with pytest.raises(SqlSyntaxError, match=r"column 23: the string starting 'x is never closed"):
        parse_statement("SELECT ? AS a, ? AS b 'x", ["1", "2"])


@pytest.mark.parametrize("sql", ["clear.schema x", "foo.bar baz", "stats"])
def test_text_that_starts_no_statement_says_how_queries_start(sql: str) -> None:
    with pytest.raises(SqlSyntaxError, match=r"a query starts with SELECT, WITH or VALUES, not '"):
        parse_statement(sql)


def test_quotes_that_close_are_fine() -> None:
    assert parse_statement("SELECT 'it''s' AS a, \"b\" FROM (SELECT 1 AS b) /* ok */").sql
