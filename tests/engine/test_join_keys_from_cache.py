"""A parent answered from a wider cached listing passes only its matching rows' keys to a join.

Found in the demo: after one query listed every pull request of a repository, the persistent
cache answered ``state = 'OPEN'`` from that complete listing (extra rows are re-filtered by
DuckDB), but the join took the keys of *every* cached pull request and listed comments for each:
78 requests where a cold run makes 9.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _helpers_connect import demo_settings
from bitbucket_sql.engine import Engine

JOIN = (
    "SELECT p.id, count(c.id) AS comments FROM pull_requests p "
    "LEFT JOIN pull_request_comments c ON c.repository = p.repository AND c.pull_request_id = p.id "
    "WHERE p.repository = '{repo}' AND p.state = 'OPEN' GROUP BY p.id"
)


def _busiest(emulator: Any) -> str:
    with Engine(demo_settings(emulator.base_url, Cache="off")) as engine:
        return str(engine.execute(
            "SELECT repository FROM pull_requests GROUP BY repository ORDER BY count(*) DESC, repository LIMIT 1"
        ).rows[0][0])


def _run(emulator: Any, sql: str, **settings: Any) -> tuple[list[tuple[Any, ...]], int]:
    emulator.reset_stats()
    with Engine(demo_settings(emulator.base_url, **settings)) as engine:
        rows = sorted(engine.execute(sql).rows)
    return rows, emulator.stats()["total"]


def test_join_after_a_complete_listing_is_cached_costs_what_a_cold_join_costs(emulator: Any, tmp_path: Path) -> None:
    repo = _busiest(emulator)
    sql = JOIN.format(repo=repo)
    cold_rows, cold_requests = _run(emulator, sql, Cache="off")
    cache = {"Cache": "persistent", "CacheLocation": str(tmp_path), "CacheTTL": 300}
    _run(emulator, f"SELECT id, state FROM pull_requests WHERE repository = '{repo}'", **cache)  # every PR cached
    with Engine(demo_settings(emulator.base_url, Cache="off")) as engine:
        all_prs, open_prs = engine.execute(
            f"SELECT count(*), count(*) FILTER (WHERE state = 'OPEN') FROM pull_requests WHERE repository = '{repo}'"
        ).rows[0]
    assert all_prs > open_prs  # otherwise the test could not tell the two behaviours apart
    rows, requests = _run(emulator, sql, **cache)
    assert rows == cold_rows
    assert requests <= cold_requests - 1  # the pull requests came from the cache; comments only for open ones
