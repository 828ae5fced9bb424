"""EXPLAIN's estimate of the requests a query will make (issue 13: it said "scopes: 10" for a
join that made 77 requests); EXPLAIN ANALYZE puts the estimate next to what was spent."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bitbucket_sql.engine import Engine

ACTIVITY_JOIN = (
    "SELECT a.* FROM pull_requests p JOIN pull_request_activity a "
    "ON a.repository = p.repository AND a.pull_request_id = p.id"
)

STEPS_JOIN = (
    "SELECT s.* FROM pipelines p JOIN pipeline_steps s ON s.repository = p.repository AND s.pipeline_uuid = p.uuid"
)


def plan_text(engine: Engine, sql: str) -> str:
    return "\n".join(row[0] for row in engine.execute(sql).rows)


def estimated_total(text: str) -> int:
    match = re.search(r"^Estimate: (?:at least |~)(\d+) requests?", text, re.MULTILINE)
    assert match, text
    return int(match.group(1))


def test_a_join_estimate_counts_the_children_of_every_parent(engine: Engine, reference: Engine) -> None:
    text = plan_text(engine, f"EXPLAIN {STEPS_JOIN}")
    # the child scan's scopes come from the parent's estimated rows, not from nothing
    assert re.search(r"estimate: ~\d+ requests \(\d+ scopes \(one per estimated row of p\) x at least 1 page", text), text
    assert "sampled 2 scopes holding" in text
    actual = engine.execute(STEPS_JOIN).stats.requests
    estimate = estimated_total(text)
    assert actual / 2 <= estimate <= actual * 2, (estimate, actual)
    pipelines = reference.execute("SELECT count(*) FROM pipelines").rows[0][0]
    assert estimate > pipelines  # one step listing per pipeline, at least


def test_a_join_to_activity_is_estimated_as_the_repository_wide_stream(engine: Engine) -> None:
    text = plan_text(engine, f"EXPLAIN {ACTIVITY_JOIN}")
    assert "strategy: repository-wide listing" in text and "alternative: listing per parent" in text
    actual = engine.execute(ACTIVITY_JOIN).stats.requests
    estimate = estimated_total(text)
    assert actual / 2 <= estimate <= actual * 2, (estimate, actual)


def test_explain_analyze_shows_estimate_and_actual(engine: Engine) -> None:
    result = engine.execute(f"EXPLAIN ANALYZE {ACTIVITY_JOIN}")
    text = "\n".join(row[0] for row in result.rows)
    line = next(line for line in text.splitlines() if line.startswith("Estimate:"))
    assert f"actual {result.stats.requests} requests" in line
    assert re.search(r"estimate: .*; actual \d+ requests", text)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM pull_requests WHERE repository = 'api' AND id IN (1, 2)", 1),  # one id IN listing
        ("SELECT * FROM pull_requests WHERE repository IN ('api', 'web')", 2),
        ("SELECT * FROM repositories", 1),
    ],
)
def test_counted_scans_are_estimated_exactly(engine: Engine, emulator: Any, sql: str, expected: int) -> None:
    assert estimated_total(plan_text(engine, f"EXPLAIN {sql}")) == expected
    assert engine.execute(sql).stats.requests == expected


def test_cursor_paged_scans_say_their_estimate_is_a_lower_bound(engine: Engine, reference: Engine) -> None:
    repositories = reference.execute("SELECT count(*) FROM repositories").rows[0][0]
    text = plan_text(engine, "EXPLAIN SELECT hash FROM commits")
    assert (f"estimate: at least {repositories} requests ({repositories} scopes x at least 1 page "
            f"(cursor paging reports no size))") in text
    assert text.count("Estimate: at least") == 1


def test_one_scope_is_not_sampled(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    text = plan_text(engine, "EXPLAIN SELECT id FROM pull_requests WHERE repository = 'api'")
    assert emulator.stats()["total"] == 0
    assert "estimate: at least 1 request (1 scope x at least 1 page (one scope: its pages are not sampled))" in text


def test_explain_analyze_lists_the_parents_once(engine: Engine, emulator: Any) -> None:
    # estimating enumerates the repositories; the run that follows reuses that listing
    emulator.reset_stats()
    engine.execute("EXPLAIN ANALYZE SELECT count(*) FROM pull_requests")
    assert emulator.stats()["routes"]["GET /2.0/repositories/{workspace}"] == 1
