"""Incremental refresh of the persistent cache: at most the first page per scope, concurrent,
and answers equal to a cold run's.

The emulator is this module's own (the tests change its data); every test has its own
CacheLocation. "Past the TTL" is made by ageing the stored entries, or, where the refresh
itself must outlast the TTL (a short CacheTTL on a large workspace), by a clock that runs a
TTL ahead at every reading.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from _helpers_connect import demo_settings
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.engine import Engine, cache_scans
from bitbucket_sql.engine.cache_scans import PersistentScanCache

PR_LISTING = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
REPOS = "GET /2.0/repositories/{workspace}"
PR_SQL = "SELECT repository, id, title, state, updated_on FROM pull_requests"


@pytest.fixture(scope="module")
def writable() -> Iterator[Any]:
    with run_emulator(scale="tiny", seed=11) as handle:
        yield handle


def _engine(emulator: Any, location: Path) -> Engine:
    return Engine(demo_settings(emulator.base_url, Cache="persistent", CacheLocation=str(location), CacheTTL=300))


def _run(emulator: Any, location: Path, sql: str) -> tuple[list[tuple[Any, ...]], dict[str, int], int]:
    """(rows sorted, requests per route, entries refreshed) of ``sql`` on a new connection."""
    emulator.reset_stats()
    with _engine(emulator, location) as engine:
        rows = sorted(engine.execute(sql).rows, key=repr)
        cache = engine.scan_cache
        assert isinstance(cache, PersistentScanCache)
        refreshed = cache.refreshed
    return rows, dict(emulator.stats()["routes"]), refreshed


def _cold(emulator: Any, sql: str) -> list[tuple[Any, ...]]:
    with Engine(demo_settings(emulator.base_url, Cache="off")) as engine:
        return sorted(engine.execute(sql).rows, key=repr)


def _age(location: Path, seconds: float = 3600) -> None:
    with sqlite3.connect(location / "scans.sqlite3") as db:
        db.execute("UPDATE scans SET checked_at = checked_at - ?", (seconds,))


def _slugs(emulator: Any) -> list[str]:
    with emulator.store.lock:
        return sorted(emulator.store.workspace("acme").repositories)


def test_a_refresh_longer_than_the_ttl_reads_each_scope_once(
    writable: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries refreshed by the scan's concurrent prefetch answer that scan even when the
    refresh took longer than CacheTTL (they were read twice, the second time one by one)."""
    first, _, _ = _run(writable, tmp_path, PR_SQL)
    ahead = [0.0]

    def racing_clock() -> float:
        ahead[0] += 3600  # every reading is a TTL later: no entry is ever fresh by the clock
        return time.time() + ahead[0]

    monkeypatch.setattr(cache_scans, "now", racing_clock)
    rows, routes, refreshed = _run(writable, tmp_path, PR_SQL + " ORDER BY id")  # not a kept answer
    repositories = len(_slugs(writable))
    assert refreshed == repositories
    assert routes == {REPOS: 1, PR_LISTING: repositories}
    assert rows == first


def test_changed_declined_and_new_pull_requests_cost_one_request_per_repository(
    writable: Any, tmp_path: Path
) -> None:
    slugs = _slugs(writable)
    _run(writable, tmp_path, PR_SQL)
    opened = sorted((row[0], row[1]) for row in _cold(writable, PR_SQL) if row[3] == "OPEN")
    by_repository: dict[str, list[int]] = {}
    for slug, number in opened:
        by_repository.setdefault(slug, []).append(number)
    changed = sorted(slug for slug, numbers in by_repository.items() if len(numbers) >= 2)
    assert changed, "the tiny data should have a repository with two open pull requests"
    target = changed[0]
    unchanged = [slug for slug in slugs if slug != target]
    with writable.store.lock:
        source = next(name for name in writable.store.repo_data("acme", target).branches if name != "main")
    base = f"/repositories/acme/{target}/pullrequests"
    renamed, declined = by_repository[target][:2]
    with BitbucketClient(demo_settings(writable.base_url), interactive=False) as client:
        client.put(f"{base}/{renamed}", json={"title": "Renamed behind the cache's back"})
        client.post(f"{base}/{declined}/decline", json={})
        created = client.post(base, json={"title": "Opened behind the cache's back",
                                          "source": {"branch": {"name": source}}})
    _age(tmp_path)

    rows, routes, refreshed = _run(writable, tmp_path, PR_SQL)
    assert routes == {REPOS: 1, PR_LISTING: len(slugs)}  # one page per repository, changed or not
    assert refreshed == len(slugs)
    assert rows == _cold(writable, PR_SQL)
    titles = {(row[0], row[1]): (row[2], row[3]) for row in rows}
    assert titles[(target, renamed)][0] == "Renamed behind the cache's back"
    assert titles[(target, declined)][1] == "DECLINED"
    assert titles[(target, created["id"])] == ("Opened behind the cache's back", "OPEN")
    assert unchanged  # and their rows are the cold run's too (compared above)

    # a filtered query over the refreshed entries: the declined one is gone, the new one there
    open_sql = f"SELECT id FROM pull_requests WHERE repository = '{target}' AND state = 'OPEN'"
    open_rows, routes, _ = _run(writable, tmp_path, open_sql)
    assert routes == {}
    assert open_rows == _cold(writable, open_sql)
    assert (declined,) not in open_rows and (created["id"],) in open_rows


@pytest.mark.parametrize(
    ("table", "sql"),
    [
        ("pipelines", "SELECT repository, uuid, build_number, state_name FROM pipelines"),
        ("deployments", "SELECT repository, uuid, state_name, state_started_on FROM deployments"),
        ("commits", "SELECT repository, hash, message FROM commits"),
    ],
)
def test_a_scope_with_no_change_costs_one_request(writable: Any, tmp_path: Path, table: str, sql: str) -> None:
    first, _, _ = _run(writable, tmp_path, sql)
    unfinished = sum(1 for row in first if table == "pipelines" and row[3] != "COMPLETED")
    _age(tmp_path)
    rows, routes, refreshed = _run(writable, tmp_path, sql)
    listing = f"GET /2.0/repositories/{{workspace}}/{{repo_slug}}/{table}"
    repositories = len(_slugs(writable))
    assert refreshed == repositories
    assert routes.get(REPOS) == 1 and routes.get(listing) == repositories
    # besides: the pipelines unfinished when cached, read again by uuid (unless on that first page)
    assert sum(routes.values()) <= 1 + repositories + unfinished
    assert rows == first == _cold(writable, sql)
