"""qmark parameters: values are values, never SQL, whatever they contain."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bitbucket_sql import dbapi

INJECTIONS = [
    'x" OR name ~ "',
    "x' OR '1'='1",
    'x" OR state = "OPEN") OR ("',
    "'; DROP TABLE pull_requests; --",
    "%",
    "\\",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_attempts_are_plain_strings(conn: Any, value: str) -> None:
    cursor = conn.cursor()
    assert cursor.execute("SELECT ? AS v", [value]).fetchall() == [(value,)]
    cursor.execute("SELECT id FROM pull_requests WHERE title = ?", [value])
    assert cursor.fetchall() == []


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_into_a_pushed_down_key_matches_nothing(conn: Any, value: str) -> None:
    cursor = conn.cursor()
    cursor.execute("SELECT slug FROM repositories WHERE slug = ?", [value])
    assert cursor.fetchall() == []


def test_parameters_filter_like_literals(conn: Any, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    some_id, some_pr = sorted(pull_requests.items())[0]
    cursor = conn.cursor()
    cursor.execute(
        "SELECT id, title FROM pull_requests WHERE repository = ? AND id = ? AND title = ?",
        (slug, some_id, some_pr["title"]),
    )
    assert cursor.fetchall() == [(some_id, some_pr["title"])]


def test_untyped_text_parameters_are_coerced_to_the_column_type(conn: Any, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    largest = max(pull_requests)
    cursor = conn.cursor()
    cursor.execute("SELECT id FROM pull_requests WHERE repository = ? AND id >= ?", [slug, str(largest)])
    assert cursor.fetchall() == [(largest,)]


def test_datetime_parameters(conn: Any, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    cutoff = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    cursor = conn.cursor()
    cursor.execute(
        "SELECT count(*) FROM pull_requests WHERE repository = ? AND created_on > ?", [slug, cutoff]
    )
    assert cursor.fetchone() == (len(pull_requests),)
    cursor.execute(
        "SELECT count(*) FROM pull_requests WHERE repository = ? AND created_on < ?", [slug, cutoff]
    )
    assert cursor.fetchone() == (0,)


def test_null_and_numeric_parameter_values(conn: Any) -> None:
    row = conn.cursor().execute("SELECT ? IS NULL AS n, ? + 1 AS i, ? * 2 AS f", [None, 41, 1.5]).fetchone()
    assert row == (True, 42, 3.0)


def test_a_mapping_is_refused_because_the_paramstyle_is_qmark(conn: Any) -> None:
    with pytest.raises(dbapi.ProgrammingError, match="qmark"):
        conn.cursor().execute("SELECT ? AS v", {"v": 1})


def test_a_bare_string_is_refused_as_parameters(conn: Any) -> None:
    with pytest.raises(dbapi.ProgrammingError, match="list or tuple"):
        conn.cursor().execute("SELECT ? AS v", "abc")


@pytest.mark.parametrize("params", [[], ["a", "b"]])
def test_wrong_number_of_parameters_is_a_programming_error(conn: Any, params: list[str]) -> None:
    with pytest.raises(dbapi.ProgrammingError):
        conn.cursor().execute("SELECT ? AS v", params)


def test_constructor_values_work_as_parameters(conn: Any) -> None:
    row = (
        conn.cursor()
        .execute(
            "SELECT CAST(? AS DATE) AS d, CAST(? AS TIME) AS t, ? AS ts",
            [
                dbapi.Date(2026, 11, 21),
                dbapi.Time(13, 5, 9),
                dbapi.Timestamp(2026, 11, 21, 13, 5, 9, tzinfo=dt.UTC),
            ],
        )
        .fetchone()
    )
    assert row[0] == dt.date(2026, 11, 21)
    assert row[1] == dt.time(13, 5, 9)
    assert row[2] == dt.datetime(2026, 11, 21, 13, 5, 9, tzinfo=dt.UTC)
