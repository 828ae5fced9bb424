"""Which statements are writes, which write shapes are refused, and describing a write without running it."""

from __future__ import annotations

import httpx
import pytest

from bitbucket_sql.engine import Engine, ResultColumn, UnsupportedStatementError
from bitbucket_sql.engine.writes import is_write, parse_write


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("INSERT INTO tags (name) VALUES ('x')", True),
        ("  -- a comment\n/* and another */ update pull_requests set title = 'x'", True),
        ("EXPLAIN DELETE FROM branches", True),
        ("explain analyze delete from branches", True),
        ("SELECT 'INSERT INTO x' AS text", False),
        ("WITH t AS (SELECT 1) SELECT * FROM t", False),
        ("CALL approve_pull_request('api', 1)", False),
    ],
)
def test_writes_are_recognised(sql: str, expected: bool) -> None:
    assert is_write(sql) is expected


def test_parameters_bind_as_values() -> None:
    statement = parse_write("UPDATE pull_requests SET title = ? WHERE repository = ? AND id = ?",
                            ["x' OR '1'='1", "api", 6])
    assert statement.kind == "update" and statement.assignments[0][0] == "title"
    assert statement.assignments[0][1].sql() == "'x'' OR ''1''=''1'"


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO tags (repository, name, target_hash) VALUES ('api', 'x', 'a') ON CONFLICT DO NOTHING",
        "INSERT OR REPLACE INTO tags (repository, name, target_hash) VALUES ('api', 'x', 'a')",
        "UPDATE pull_requests SET title = b.name FROM branches b WHERE b.repository = 'api'",
        "DELETE FROM tags USING branches WHERE tags.name = branches.name",
    ],
)
def test_shapes_without_api_meaning_are_refused_before_any_request(engine: Engine, control: httpx.Client,
                                                                   sql: str) -> None:
    before = control.get("/stats").json()["total"]
    with pytest.raises(UnsupportedStatementError, match="not supported"):
        engine.execute(sql)
    assert control.get("/stats").json()["total"] == before


def test_describe_gives_the_returning_columns_without_a_request(engine: Engine, control: httpx.Client) -> None:
    before = control.get("/stats").json()["total"]
    assert engine.describe("UPDATE pull_requests SET title = ? WHERE id = ? RETURNING id, title AS new_title",
                           ["x", 1]) == [ResultColumn("id", "BIGINT"), ResultColumn("new_title", "VARCHAR")]
    assert engine.describe("DELETE FROM branches WHERE name = 'x'") == []
    assert control.get("/stats").json()["total"] == before
