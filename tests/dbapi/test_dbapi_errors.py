"""Engine and API failures surface as the documented PEP 249 exceptions, cause chained."""

from __future__ import annotations

from typing import Any

import pytest

import bitbucket_sql
from _helpers_connect import DEMO_USER, connection_string_for
from bitbucket_sql import dbapi


def _error_of(conn: Any, sql: str) -> dbapi.Error:
    with pytest.raises(dbapi.Error) as raised:
        conn.cursor().execute(sql)
    return raised.value


def test_unknown_table_is_a_programming_error_with_the_closest_name(conn: Any) -> None:
    error = _error_of(conn, "SELECT * FROM pull_request")
    assert isinstance(error, dbapi.ProgrammingError)
    assert "pull_requests" in str(error)
    assert error.__cause__ is not None


def test_unknown_column_is_a_programming_error_with_the_closest_name(conn: Any) -> None:
    error = _error_of(conn, "SELECT titel FROM pull_requests WHERE repository = 'x'")
    assert isinstance(error, dbapi.ProgrammingError)
    assert "title" in str(error)


def test_syntax_error_is_a_programming_error(conn: Any) -> None:
    error = _error_of(conn, "SELEC id FROM pull_requests")
    assert isinstance(error, dbapi.ProgrammingError)


def test_writes_are_not_supported(conn: Any) -> None:
    error = _error_of(conn, "DELETE FROM pull_requests WHERE id = 1")
    assert isinstance(error, dbapi.NotSupportedError)


def test_missing_workspace_is_a_programming_error(emulator: Any) -> None:
    with bitbucket_sql.connect(
        f"BaseURL={emulator.base_url};AuthScheme=APIToken;User={DEMO_USER};APIToken=demo-api-token"
    ) as conn:
        error = _error_of(conn, "SELECT slug FROM repositories")
    assert isinstance(error, dbapi.ProgrammingError)
    assert "Workspace" in str(error)


def test_wrong_token_is_an_operational_error_keeping_the_api_error(emulator: Any) -> None:
    from bitbucket_sql.api.errors import AuthenticationError

    with bitbucket_sql.connect(connection_string_for(emulator, APIToken="wrong-token")) as conn:
        error = _error_of(conn, "SELECT slug FROM repositories")
    assert isinstance(error, dbapi.OperationalError)
    assert isinstance(error.__cause__, AuthenticationError)
    assert "401" in str(error)


def test_fanout_beyond_max_fanout_is_an_operational_error(emulator: Any) -> None:
    with bitbucket_sql.connect(connection_string_for(emulator, MaxFanout="1")) as conn:
        error = _error_of(conn, "SELECT id FROM pull_requests")
    assert isinstance(error, dbapi.OperationalError)
    assert "MaxFanout" in str(error)


def test_translation_table_maps_each_engine_error() -> None:
    from bitbucket_sql.dbapi._translate import translate
    from bitbucket_sql.engine import errors as engine_errors

    cases = [
        (engine_errors.SqlSyntaxError("bad", 1, 2), dbapi.ProgrammingError),
        (engine_errors.UnknownTableError("x", ["y"]), dbapi.ProgrammingError),
        (engine_errors.UnknownColumnError("x"), dbapi.ProgrammingError),
        (engine_errors.NoWorkspaceError("repositories"), dbapi.ProgrammingError),
        (engine_errors.ParameterError("wrong count"), dbapi.ProgrammingError),
        (engine_errors.RemovedTableError("issues", "gone"), dbapi.NotSupportedError),
        (engine_errors.UnsupportedStatementError("no writes"), dbapi.NotSupportedError),
        (engine_errors.FanoutLimitError("pull_requests", 10, 1, "repository = ..."), dbapi.OperationalError),
        (engine_errors.EngineError("other"), dbapi.DatabaseError),
        (RuntimeError("boom"), dbapi.InternalError),
    ]
    for original, expected in cases:
        translated = translate(original)
        assert type(translated) is expected, original
        assert translated.__cause__ is original
        assert str(original) in str(translated)


def test_removed_issue_tracker_is_not_supported_and_says_use_jira(conn: Any, emulator: Any) -> None:
    emulator.reset_stats()
    error = _error_of(conn, "SELECT id, title FROM issues WHERE repository = 'api'")
    assert isinstance(error, dbapi.NotSupportedError)
    assert "2026-08-20" in str(error) and "Jira" in str(error)
    assert emulator.stats()["total"] == 0  # refused before any request


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT CAST('abc' AS INTEGER) AS n", dbapi.DataError),
        ("SELECT no_such_function(1) AS n", dbapi.ProgrammingError),
    ],
)
def test_local_evaluation_errors_are_classified_by_their_duckdb_cause(
    conn: Any, sql: str, expected: type
) -> None:
    error = _error_of(conn, sql)
    assert type(error) is expected
    assert "DuckDB" in str(error) or "no_such_function" in str(error)


def test_a_parameter_that_does_not_fit_the_column_is_refused(conn: Any) -> None:
    error = _error_of_params(
        conn, "SELECT id FROM pull_requests WHERE repository = ? AND id = ?", ["api", "abc"]
    )
    assert isinstance(error, dbapi.ProgrammingError | dbapi.DataError)
    assert "abc" in str(error)


def _error_of_params(conn: Any, sql: str, params: list[Any]) -> dbapi.Error:
    with pytest.raises(dbapi.Error) as raised:
        conn.cursor().execute(sql, params)
    return raised.value
