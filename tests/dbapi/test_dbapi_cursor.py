"""Cursor: execute, the fetch methods, iteration, description, rowcount, arraysize, closing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bitbucket_sql import dbapi

PR_QUERY = "SELECT id, title, state, draft, created_on FROM pull_requests WHERE repository = ? ORDER BY id"


def test_execute_returns_the_pull_requests_of_a_repository(conn: Any, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    cursor = conn.cursor()
    assert cursor.execute(PR_QUERY, [slug]) is cursor
    rows = cursor.fetchall()
    assert [(row[0], row[1], row[2]) for row in rows] == [
        (pr_id, pr["title"], pr["state"]) for pr_id, pr in sorted(pull_requests.items())
    ]
    assert cursor.rowcount == len(pull_requests)
    created = rows[0][4]
    assert isinstance(created, dt.datetime)
    assert created.utcoffset() == dt.timedelta(0)


def test_description_has_seven_item_tuples_with_comparable_type_codes(
    conn: Any, busiest_repository: Any
) -> None:
    cursor = conn.cursor()
    assert cursor.description is None
    cursor.execute(PR_QUERY, [busiest_repository[0]])
    description = cursor.description
    assert [column[0] for column in description] == ["id", "title", "state", "draft", "created_on"]
    assert all(len(column) == 7 for column in description)
    id_type, title_type, _, draft_type, created_type = (column[1] for column in description)
    assert id_type == dbapi.NUMBER
    assert title_type == dbapi.STRING
    assert draft_type == dbapi.BOOLEAN
    assert created_type == dbapi.DATETIME
    assert title_type != dbapi.NUMBER


def test_unnamed_expressions_get_postgres_style_names(conn: Any) -> None:
    cursor = conn.cursor().execute("SELECT count(*) FROM repositories")
    assert cursor.description[0][0] == "count"


def test_fetchone_fetchmany_and_arraysize_walk_the_rows_once(conn: Any, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    total = len(pull_requests)
    cursor = conn.cursor()
    cursor.execute(PR_QUERY, [slug])
    assert cursor.arraysize == 1
    first = cursor.fetchone()
    assert len(cursor.fetchmany()) == min(1, total - 1)
    cursor.arraysize = 2
    batch = cursor.fetchmany()
    assert len(batch) == min(2, max(total - 2, 0))
    rest = cursor.fetchall()
    assert 1 + min(1, total - 1) + len(batch) + len(rest) == total
    assert first[0] == min(pull_requests)
    assert cursor.fetchone() is None
    assert cursor.fetchmany(5) == []
    assert cursor.fetchall() == []


def test_cursor_is_iterable(conn: Any, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    ids = [row[0] for row in conn.cursor().execute(PR_QUERY, [slug])]
    assert ids == sorted(pull_requests)


def test_execute_again_replaces_the_result(conn: Any) -> None:
    cursor = conn.cursor()
    cursor.execute("SELECT slug FROM repositories")
    cursor.execute("SELECT 42 AS answer")
    assert cursor.fetchall() == [(42,)]
    assert cursor.rowcount == 1
    assert cursor.description[0][0] == "answer"


def test_executemany_runs_every_parameter_set(conn: Any, emulator: Any) -> None:
    from _helpers_connect import pull_requests_by_repository

    by_repo = pull_requests_by_repository(emulator)
    slugs = sorted(by_repo)[:3]
    cursor = conn.cursor()
    cursor.executemany("SELECT id FROM pull_requests WHERE repository = ?", [[slug] for slug in slugs])
    assert cursor.rowcount == sum(len(by_repo[slug]) for slug in slugs)
    assert sorted(row[0] for row in cursor.fetchall()) == sorted(by_repo[slugs[-1]])


def test_fetch_before_execute_is_a_programming_error(conn: Any) -> None:
    cursor = conn.cursor()
    assert cursor.rowcount == -1
    with pytest.raises(dbapi.ProgrammingError, match="execute"):
        cursor.fetchone()


def test_setinputsizes_and_setoutputsize_are_accepted(conn: Any) -> None:
    cursor = conn.cursor()
    assert cursor.setinputsizes([None, 10]) is None
    assert cursor.setoutputsize(1000) is None
    assert cursor.setoutputsize(1000, 0) is None
    assert cursor.execute("SELECT ? AS v", ["x"]).fetchall() == [("x",)]


def test_closed_cursor_refuses_use(conn: Any) -> None:
    cursor = conn.cursor()
    cursor.execute("SELECT 1 AS one")
    cursor.close()
    cursor.close()
    for use in (cursor.fetchone, cursor.fetchall, lambda: cursor.execute("SELECT 1")):
        with pytest.raises(dbapi.InterfaceError, match="closed"):
            use()
    assert conn.cursor().execute("SELECT 1 AS one").fetchone() == (1,)


def test_cursor_as_context_manager_closes(conn: Any) -> None:
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 AS one")
    with pytest.raises(dbapi.InterfaceError):
        cursor.fetchone()


def test_stats_report_the_requests_of_the_last_query(
    conn: Any, emulator: Any, busiest_repository: Any
) -> None:
    cursor = conn.cursor()
    emulator.reset_stats()
    cursor.execute("SELECT id FROM pull_requests WHERE repository = ?", [busiest_repository[0]])
    assert cursor.stats.requests >= 1
    assert cursor.stats.requests == emulator.stats()["total"]


def test_max_rows_caps_the_rows_returned(emulator: Any) -> None:
    import bitbucket_sql
    from _helpers_connect import connection_string_for, pull_requests_by_repository

    total = sum(len(prs) for prs in pull_requests_by_repository(emulator).values())
    assert total > 3
    with bitbucket_sql.connect(connection_string_for(emulator, MaxRows="3")) as capped:
        rows = capped.cursor().execute("SELECT id, repository FROM pull_requests").fetchall()
    assert len(rows) == 3
