"""A large result is read from DuckDB batch by batch (``cursor.WHOLE_RESULT_ROWS``), as an ETL
loop expects: the same rows as a small result gives, an exact ``rowcount`` whenever it is asked,
and nothing left running when the cursor moves on. The threshold is lowered here so that the tiny
emulator's tables count as large."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import bitbucket_sql
from bitbucket_sql.dbapi import cursor as cursor_module

SQL = "SELECT repository, hash, message FROM commits"


@pytest.fixture
def whole(conn: Any) -> list[tuple[Any, ...]]:
    """The rows as a small result gives them (the whole list at once)."""
    return conn.cursor().execute(SQL).fetchall()


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cursor_module, "WHOLE_RESULT_ROWS", 5)


@pytest.fixture
def cold(connection_string: str) -> Any:
    """A connection without caches: each query is fetched (and streamed when large)."""
    with bitbucket_sql.connect(connection_string + ";Cache=off") as connection:
        yield connection


def fetcher_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "bbsql-fetch-while-read"]


def test_fetchmany_reads_a_large_result_in_batches_with_the_rows_of_a_small_one(
        cold: Any, whole: list[tuple[Any, ...]], large: None) -> None:
    assert len(whole) > 5
    cursor = cold.cursor().execute(SQL)
    got: list[tuple[Any, ...]] = []
    while batch := cursor.fetchmany(7):
        assert len(batch) <= 7
        got.extend(batch)
        assert cursor.rownumber == len(got)
    assert got == whole
    assert cursor.rowcount == len(whole)
    assert cursor.stats.requests > 0 and cursor.stats.rows_returned == len(whole)
    assert cursor.fetchone() is None and cursor.fetchall() == []


def test_rowcount_is_exact_before_a_large_result_is_read(
        cold: Any, whole: list[tuple[Any, ...]], large: None) -> None:
    cursor = cold.cursor().execute(SQL)
    first = cursor.fetchone()
    assert cursor.rowcount == len(whole)
    assert [first, *cursor.fetchall()] == whole


def test_iteration_and_fetchall_give_every_row(cold: Any, whole: list[tuple[Any, ...]], large: None) -> None:
    assert list(cold.cursor().execute(SQL)) == whole
    assert cold.cursor().execute(SQL).fetchall() == whole


def test_a_small_result_is_still_whole_and_answered_again_from_the_cache(connection_string: str, large: None) -> None:
    with bitbucket_sql.connect(connection_string + ";CacheTTL=3600") as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT slug FROM repositories ORDER BY slug LIMIT 3")
        assert cursor.rowcount == 3
        first = cursor.fetchall()
        cursor.execute("SELECT slug FROM repositories ORDER BY slug LIMIT 3")
        assert cursor.fetchall() == first and cursor.stats.requests == 0


def test_a_new_execute_or_close_ends_a_large_result_not_read(cold: Any, large: None) -> None:
    conn = cold
    cursor = conn.cursor().execute("SELECT * FROM commits")
    assert len(cursor.fetchmany(2)) == 2
    cursor.execute("SELECT 1 AS one")
    assert cursor.fetchall() == [(1,)]
    other = conn.cursor().execute("SELECT * FROM commits")
    other.fetchone()
    other.close()
    for thread in fetcher_threads():
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in fetcher_threads())


def test_an_api_failure_while_reading_is_a_database_error_naming_it(
        emulator: Any, connection_string: str, large: None) -> None:
    with bitbucket_sql.connect(connection_string + ";MaxRetries=0;Cache=off") as connection:
        emulator.fail_requests("500", nth=3, times=50, methods=["GET"], path_contains="/commits")
        try:
            with pytest.raises(bitbucket_sql.DatabaseError) as caught:
                cursor = connection.cursor().execute("SELECT * FROM commits")
                while cursor.fetchmany(3):
                    pass
        finally:
            emulator.clear_faults()
    assert "500" in str(caught.value) and "DuckDB" not in str(caught.value)


def test_a_large_result_holds_one_string_per_repeated_value(cold: Any, large: None) -> None:
    """Rows a caller keeps share their repeated text (a repository's name is one object across
    its commits), and each value is the one a small result gives."""
    rows = cold.cursor().execute("SELECT workspace, repository, hash FROM commits ORDER BY repository").fetchall()
    by_repository: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_repository.setdefault(row[1], []).append(row)
    biggest = max(by_repository.values(), key=len)
    assert len(biggest) > 2
    assert len({id(row[1]) for row in biggest}) == 1
    assert len({id(row[0]) for row in rows}) == 1
    assert len({row[2] for row in rows}) == len(rows)  # distinct values stay distinct
