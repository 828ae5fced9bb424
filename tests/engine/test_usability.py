"""What a new user sees: readable syntax errors, typed parameters, honest EXPLAIN text, progress."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from bitbucket_sql.engine import Engine, SqlSyntaxError
from bitbucket_sql.engine.result import Progress


@pytest.mark.parametrize(
    ("sql", "message", "line", "column"),
    [
        ("SELECT * FROM pull_requests WHERE", "WHERE needs a condition", 1, 29),
        ("SELEC * FROM pull_requests", "'SELEC' is not a SQL keyword (did you mean SELECT)", 1, 1),
        ("\n  selct id FROM pull_requests", "'selct' is not a SQL keyword (did you mean SELECT)", 2, 3),
        ("SELECT id FROM pull_requests LIMIT", "LIMIT needs a number", 1, 30),
        ("SELECT 1 +", "the operator + is missing an operand", 1, 10),
        ("pull requests please", "a query starts with SELECT, WITH or VALUES, not 'pull'", 1, 1),
    ],
)
def test_syntax_errors_are_readable_and_positioned(engine: Engine, sql: str, message: str, line: int, column: int) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        engine.execute(sql)
    text = str(caught.value)
    assert message in text
    assert "sqlglot" not in text and "<class" not in text and "Required keyword" not in text
    assert (caught.value.line, caught.value.column) == (line, column)


def test_placeholder_with_a_cast_and_new_parameter_types(engine: Engine) -> None:
    result = engine.execute(
        "SELECT ?::DATE AS d, ? AS t, ? AS b, ?::INTEGER + 1 AS n",
        ["2026-11-21", datetime.time(12, 30, 5), b"\x00\xffbb", "41"],
    )
    assert result.rows == [(datetime.date(2026, 11, 21), datetime.time(12, 30, 5), b"\x00\xffbb", 42)]
    assert [column.type for column in result.columns] == ["DATE", "TIME", "BLOB", "INTEGER"]


def test_explain_without_requests_says_so(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    plan = "\n".join(row[0] for row in engine.explain("SELECT id FROM pull_requests WHERE repository = 'api'").rows)
    assert emulator.stats()["total"] == 0
    assert "EXPLAIN made no requests" in plan and "enumerate parents" not in plan


def test_explain_analyze_shows_the_users_query_with_singular_counts(make_engine: Callable[..., Engine]) -> None:
    fresh = make_engine()
    plan = "\n".join(row[0] for row in fresh.execute(
        "EXPLAIN ANALYZE SELECT count(*) FROM pull_requests WHERE repository = 'api' AND id = 1").rows)
    assert "__bbsql" not in plan and "SELECT count(*) FROM pull_requests WHERE repository = 'api' AND id = 1" in plan
    assert "actual: 1 request (0 retries" in plan and "1 row fetched" in plan and "0 cache hits" in plan
    assert "1 row returned" in plan and "Rate limit (this process):" in plan


def test_progress_is_reported_after_every_request(make_engine: Callable[..., Engine], reference: Engine) -> None:
    fresh = make_engine(MaxConcurrency=1)  # one request at a time: each completion is seen on its own
    reports: list[Progress] = []
    result = fresh.execute("SELECT * FROM pull_request_comments", progress=reports.append)
    requests = result.stats.requests
    done = [report.requests_done for report in reports]
    assert done == sorted(done) and done[-1] == requests
    # every request that returned rows is reported (an empty page is reported with the next one)
    listings_with_rows = len({(row[1], row[2]) for row in result.rows})
    assert len(set(done)) >= listings_with_rows > 3
    rows = [report.rows_so_far for report in reports]
    assert rows == sorted(rows) and rows[-1] == result.stats.rows_fetched and max(rows[:-1]) > 0


def test_boolean_parameter_is_sent_lower_case(engine: Engine) -> None:
    for value, text in ((True, "administrator=true"), (False, "administrator=false")):
        with engine.client.recording() as recording:
            result = engine.execute("SELECT slug, administrator FROM workspaces WHERE administrator = ?", [value])
        assert [text in record.url for record in recording.records] == [True]
        assert all(row[1] is value for row in result.rows)
