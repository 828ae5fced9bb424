"""Bad input gets one readable paragraph naming the culprit, before any request is made."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bitbucket_sql.engine import (
    Engine,
    EngineError,
    NoWorkspaceError,
    ParameterError,
    RemovedTableError,
    SqlSyntaxError,
    UnknownColumnError,
    UnknownTableError,
    UnsupportedStatementError,
)


def no_requests(engine: Engine, emulator: Any, sql: str, error: type[Exception], params: list[Any] | None = None) -> str:
    emulator.reset_stats()
    with pytest.raises(error) as raised:
        engine.execute(sql, params)
    assert emulator.stats()["total"] == 0
    message = str(raised.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_unknown_table_suggests_closest(engine: Engine, emulator: Any) -> None:
    message = no_requests(engine, emulator, "SELECT * FROM pullrequests", UnknownTableError)
    assert "'pullrequests'" in message and "pull_requests" in message


def test_unknown_column_suggests_closest(engine: Engine, emulator: Any) -> None:
    message = no_requests(engine, emulator, "SELECT titel FROM pull_requests", UnknownColumnError)
    assert "titel" in message and "title" in message
    message = no_requests(engine, emulator, "SELECT p.stat FROM pull_requests p", UnknownColumnError)
    assert "stat" in message and "state" in message


def test_syntax_error_has_position(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    with pytest.raises(SqlSyntaxError) as raised:
        engine.execute("SELECT id,\nFROM WHERE pull_requests")
    assert raised.value.line == 2 and raised.value.column > 0
    assert "line 2" in str(raised.value)


def test_empty_statement(engine: Engine, emulator: Any) -> None:
    no_requests(engine, emulator, "  ;", SqlSyntaxError)


def test_no_workspace(make_engine: Callable[..., Engine], emulator: Any) -> None:
    bare = make_engine(Workspace=None)
    message = no_requests(bare, emulator, "SELECT * FROM pull_requests", NoWorkspaceError)
    assert "Workspace=" in message and "acme.pull_requests" not in message or "pull_requests" in message
    assert bare.default_schema is None
    assert bare.execute("SELECT count(*) FROM acme.repositories").rows[0][0] > 0
    assert {row[0] for row in bare.execute("SELECT slug FROM workspaces").rows} >= {"acme", "globex"}
    assert {row[0] for row in bare.execute("SELECT SchemaName FROM sys_schemas").rows} >= {"acme", "globex"}


def test_removed_issue_tracker(engine: Engine, emulator: Any) -> None:
    message = no_requests(engine, emulator, "SELECT * FROM issues WHERE repository = 'api'", RemovedTableError)
    assert "2026-08-20" in message and "Jira" in message


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("INSERT INTO pull_requests (title) VALUES ('x')", "source_branch_name"),
        ("UPDATE pull_requests SET html_url = 'y'", "html_url"),
        ("UPDATE branches SET name = 'x'", "INSERT, DELETE"),
        ("DELETE FROM pull_request_activity", "read-only"),
    ],
)
def test_writes_the_api_cannot_do_are_refused_before_any_request(
    engine: Engine, emulator: Any, sql: str, named: str
) -> None:
    assert named in no_requests(engine, emulator, sql, EngineError)


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t (a INT)",
        "SET enable_external_access = true",
        "SELECT 1; SELECT 2",
    ],
)
def test_writes_and_commands_are_unsupported(engine: Engine, emulator: Any, sql: str) -> None:
    no_requests(engine, emulator, sql, UnsupportedStatementError)


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT id FROM pull_requests WHERE id = ?", []),
        ("SELECT id FROM pull_requests WHERE id = ?", [1, 2]),
        ("SELECT id FROM pull_requests", [1]),
        ("SELECT id FROM pull_requests WHERE id = ?", [object()]),
    ],
)
def test_parameter_errors(engine: Engine, emulator: Any, sql: str, params: list[Any]) -> None:
    no_requests(engine, emulator, sql, ParameterError, params)


def test_question_mark_inside_strings_is_not_a_placeholder(engine: Engine) -> None:
    assert engine.execute("SELECT '?' AS q, ? AS p", ["x"]).rows == [("?", "x")]


def test_local_files_cannot_be_read(engine: Engine, emulator: Any) -> None:
    message = no_requests(engine, emulator, "SELECT * FROM read_csv('/etc/passwd')", EngineError)
    assert "passwd" in message or "disabled" in message


def test_type_errors_are_engine_errors(engine: Engine, emulator: Any) -> None:
    message = no_requests(engine, emulator, "SELECT id + draft FROM pull_requests", EngineError)
    assert "draft" in message or "+" in message
    assert len(message) < 400  # DuckDB's list of candidate functions is left out
    with pytest.raises(EngineError, match="Conversion") as raised:  # found while evaluating, after fetching
        engine.execute("SELECT CAST(title AS INTEGER) FROM pull_requests WHERE repository = 'api'")
    assert "\n" not in str(raised.value)


def test_unknown_table_lookup(engine: Engine) -> None:
    assert engine.table("pull_requests").name == "pull_requests"
    with pytest.raises(UnknownTableError, match="repositories"):
        engine.table("repository")
    assert "pull_requests" in {table.name for table in engine.tables()}


@pytest.mark.parametrize(
    ("sql", "words"),
    [
        # a constant the planner tries to fold (to push it) fails in DuckDB
        ("SELECT count(*) FROM pull_requests WHERE created_on >= "
         "STRPTIME('2025-01-01T00:00:00', '%Y-%m-%dT%H:%M:%S.%f')", "Could not parse string"),
        # a predicate on a key the engine enumerates fails on the enumerated values
        ("SELECT count(*) FROM pull_requests WHERE CAST(repository AS INTEGER) = 1", "Could not convert"),
    ],
)
def test_a_failing_expression_reports_duckdbs_own_error(engine: Engine, sql: str, words: str) -> None:
    """The planner tolerates these failures (the predicate stays local), but they must not poison the
    query's transaction: the user sees what DuckDB says, not "Current transaction is aborted"."""
    with pytest.raises(EngineError) as raised:
        engine.execute(sql)
    message = str(raised.value)
    assert words in message and "transaction" not in message.lower()
