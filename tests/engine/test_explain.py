"""EXPLAIN shows the planned requests without fetching; EXPLAIN ANALYZE runs and reports costs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bitbucket_sql.engine import Engine, Progress


def text(result: Any) -> str:
    assert [c.name for c in result.columns] == ["plan"]
    return "\n".join(row[0] for row in result.rows)


def test_explain_lists_requests_without_fetching(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    plan = text(engine.execute(
        "EXPLAIN SELECT title FROM pull_requests WHERE repository = 'api' AND state = 'MERGED' "
        "AND title LIKE '%Update%' ORDER BY created_on DESC LIMIT 5"
    ))
    assert emulator.stats()["total"] == 0
    assert "GET /repositories/{workspace}/{repo_slug}/pullrequests" in plan
    assert "scopes: 1" in plan
    assert 'q: state = "MERGED" AND title ~ "Update"' in plan
    assert "fields: values." in plan and "pagelen: 50" in plan
    assert "sort:" not in plan  # a superset filter (LIKE) remains
    assert "local: pull_requests.title LIKE '%Update%'" in plan
    assert "EXPLAIN made no requests; no rows were fetched." in plan and "made 0" not in plan
    assert "Rate limit (this process): " in plan and "requests used in the last hour" in plan


def test_explain_counts_scopes_by_enumerating_parents(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    plan = text(engine.explain("SELECT * FROM pull_requests WHERE state = 'OPEN' ORDER BY created_on LIMIT 3"))
    repositories = engine.execute("SELECT count(*) FROM repositories").rows[0][0]
    assert f"scopes: {repositories}" in plan
    assert "enumerate repository via repositories" in plan
    assert "sort: created_on   limit per scope: 3" in plan
    assert "EXPLAIN made 1 request, only to enumerate parents" in plan


def test_explain_join_defers_keys(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    plan = text(engine.explain(
        "SELECT p.id, c.id FROM pull_requests p JOIN pull_request_comments c "
        "ON c.pull_request_id = p.id AND c.repository = p.repository WHERE p.repository = 'api' AND p.state = 'OPEN'"
    ))
    assert emulator.stats()["total"] == 1  # the sample that estimates p's rows, hence c's scopes
    assert "Scan 1: acme.pull_requests AS p" in plan and "Scan 2: acme.pull_request_comments AS c" in plan
    assert "keys from join: " in plan and "(fetched first)" in plan


def test_explain_analyze_reports_costs(make_engine: Callable[..., Engine], emulator: Any) -> None:
    fresh = make_engine()
    emulator.reset_stats()
    result = fresh.execute("EXPLAIN ANALYZE SELECT count(*) FROM pull_requests WHERE repository IN ('api', 'web')")
    plan = text(result)
    assert emulator.stats()["total"] == 2 + 2  # + one sample per scope for the estimate made beforehand
    assert "actual: 2 requests" in plan and "actual 2 requests (estimating beforehand took 2 requests" in plan
    assert "Total: 2 requests" in plan and "1 row returned" in plan and "Time:" in plan
    assert "__bbsql" not in plan and "SELECT count(*) FROM pull_requests" in plan
    assert result.stats.requests == 2


def test_progress_is_reported(make_engine: Callable[..., Engine]) -> None:
    seen: list[Progress] = []
    make_engine().execute("SELECT count(*) FROM pull_request_comments", progress=seen.append)
    assert seen and seen[-1].rows_so_far > 0 and seen[-1].requests_done > 0


def test_stats_account_requests_and_rows(make_engine: Callable[..., Engine], emulator: Any) -> None:
    emulator.reset_stats()
    result = make_engine().execute("SELECT id FROM pull_requests WHERE repository = 'api' AND state = 'OPEN'")
    stats = result.stats
    assert stats.requests == emulator.stats()["total"] == 1
    assert stats.bytes > 0 and stats.retries == 0
    assert stats.rows_fetched == stats.rows_returned == len(result.rows)
    assert stats.elapsed_s >= stats.api_s >= 0 and stats.local_s > 0


def _sent_queries(engine: Engine, sql: str) -> list[str]:
    """The ``q`` parameters of the requests a query sends."""
    with engine.client.recording() as recording:
        engine.execute(sql)
    return [query["q"][0] for query in (parse_qs(urlsplit(r.url).query) for r in recording.records) if "q" in query]


def test_explain_shows_the_q_that_is_sent(make_engine: Callable[..., Engine]) -> None:
    fresh = make_engine()
    sql = (
        "SELECT id FROM pull_requests WHERE repository = 'api' AND "
        "(state = 'OPEN' OR comment_count >= 2 AND comment_count <= 3 OR title = 'say \"hi\" \\ ok') "
        "AND comment_count > 1e-05 - 1"
    )
    plan = text(fresh.explain(sql))
    (line,) = [line for line in plan.splitlines() if line.startswith("  q: ")]
    shown = line.removeprefix("  q: ")
    assert '(comment_count >= 2 AND comment_count <= 3)' in shown  # OR branches parenthesised
    assert 'title = "say \\"hi\\" \\\\ ok"' in shown
    assert "e-" not in shown
    assert _sent_queries(fresh, sql) == [shown]


def test_explain_marks_null_matching_filters_as_supersets(engine: Engine) -> None:
    plan = text(engine.explain(
        "SELECT id FROM pull_requests WHERE merge_commit_hash != 'zzz' ORDER BY created_on LIMIT 3"
    ))
    assert 'AND merge_commit.hash != "zzz"' in plan
    assert "merge_commit_hash <> 'zzz' (re-checked: the API filter is a superset)" in plan
    assert "sort:" not in plan and "limit per scope" not in plan  # a superset never drives an early stop
    exact = text(engine.explain("SELECT id FROM pull_requests WHERE merge_commit_hash = 'zzz' ORDER BY created_on LIMIT 3"))
    assert "sort: created_on   limit per scope: 3" in exact
