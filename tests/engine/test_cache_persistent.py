"""The persistent cache (Cache=persistent): shared between connections through one directory,
answering repeats, other columns and narrower filters with no request, refreshed incrementally
past CacheTTL, and dropped by writes.

Every test has its own CacheLocation (tmp_path) and its own emulator when it writes, so request
counts never depend on another test.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _cache_changes import OPEN_SQL, QUERIES, change_repository_api

from _helpers_connect import DEMO_TOKEN, DEMO_USER, demo_settings
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.cache_scans import PersistentScanCache
from bitbucket_sql.engine.errors import EngineError

PR_LISTING = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"


@pytest.fixture(scope="module")
def writable() -> Iterator[Any]:
    """An emulator of this module's own: the refresh tests change its data."""
    with run_emulator(scale="tiny", seed=7) as handle:
        yield handle


def _engine(emulator: Any, location: Path, **overrides: Any) -> Engine:
    values: dict[str, Any] = {"Cache": "persistent", "CacheLocation": str(location), "CacheTTL": 300}
    values.update(overrides)
    return Engine(demo_settings(emulator.base_url, **values))


def _run(emulator: Any, location: Path, sql: str, **overrides: Any) -> tuple[list[tuple[Any, ...]], int, Any]:
    """(rows sorted, requests the emulator saw, the engine's stats) of ``sql`` on a new connection."""
    emulator.reset_stats()
    with _engine(emulator, location, **overrides) as engine:
        result = engine.execute(sql)
    return sorted(result.rows, key=repr), emulator.stats()["total"], result.stats


def _cold(emulator: Any, sql: str) -> list[tuple[Any, ...]]:
    with Engine(demo_settings(emulator.base_url, Cache="off")) as engine:
        return sorted(engine.execute(sql).rows, key=repr)


def _age(location: Path, seconds: float) -> None:
    """Make every entry look ``seconds`` older (as if CacheTTL had passed)."""
    with sqlite3.connect(location / "scans.sqlite3") as db:
        db.execute("UPDATE scans SET checked_at = checked_at - ?", (seconds,))


def test_a_repeat_on_another_connection_makes_no_request(emulator: Any, tmp_path: Path) -> None:
    sql = "SELECT repository, id, title, state FROM pull_requests"
    first, first_requests, _ = _run(emulator, tmp_path, sql)
    again, requests, stats = _run(emulator, tmp_path, sql)
    assert first_requests > 1
    assert requests == 0 and stats.requests == 0
    assert stats.cache_hits >= first_requests - 1  # every listing (one is the repositories' own)
    assert again == first == _cold(emulator, sql)


def test_other_columns_and_narrower_filters_are_answered_from_cached_rows(emulator: Any, tmp_path: Path) -> None:
    _, requests, _ = _run(emulator, tmp_path, "SELECT id FROM pull_requests")
    assert requests > 0
    for sql in (
        "SELECT repository, id, title, author_display_name, created_on FROM pull_requests",
        "SELECT id, title FROM pull_requests WHERE state = 'OPEN'",
        "SELECT id FROM pull_requests WHERE state = 'MERGED' ORDER BY updated_on DESC LIMIT 3",
        "SELECT count(*) FROM pull_requests WHERE title LIKE '%a%' AND created_on >= DATE '2026-01-01'",
    ):
        rows, requests, stats = _run(emulator, tmp_path, sql)
        assert requests == 0, sql
        assert stats.cache_hits > 0
        assert rows == _cold(emulator, sql), sql


def test_objects_by_id_are_answered_from_a_cached_listing(emulator: Any, tmp_path: Path) -> None:
    listed, _, _ = _run(emulator, tmp_path, "SELECT uuid, build_number FROM pipelines WHERE repository = 'api'")
    uuids = [row[0] for row in listed[:3]]
    assert len(uuids) == 3
    for sql in (
        f"SELECT uuid, state_name FROM pipelines WHERE repository = 'api' AND uuid = '{uuids[0]}'",
        f"SELECT uuid, created_on FROM pipelines WHERE repository = 'api' AND uuid IN ('{uuids[1]}', '{uuids[2]}')",
    ):
        rows, requests, _ = _run(emulator, tmp_path, sql)
        assert requests == 0, sql
        assert rows == _cold(emulator, sql) and rows
    missing = "SELECT uuid FROM pipelines WHERE repository = 'api' AND uuid = '{00000000-0000-0000-0000-000000000000}'"
    rows, requests, _ = _run(emulator, tmp_path, missing)
    assert rows == [] and requests > 0  # an id the listing lacks is asked of Bitbucket


def test_memory_and_off_do_not_outlive_the_connection(emulator: Any, tmp_path: Path) -> None:
    sql = "SELECT slug FROM repositories"
    for mode in ("memory", "off"):
        _run(emulator, tmp_path, sql, Cache=mode)
        _, requests, _ = _run(emulator, tmp_path, sql, Cache=mode)
        assert requests == 1, mode
    assert not (tmp_path / "scans.sqlite3").exists()


def test_other_credentials_never_see_the_cached_rows(emulator: Any, tmp_path: Path) -> None:
    emulator.credentials.add_api_token(DEMO_USER, "second-demo-token")
    sql = "SELECT slug FROM repositories"
    _run(emulator, tmp_path, sql)
    _, requests, _ = _run(emulator, tmp_path, sql, APIToken="second-demo-token")
    assert requests == 1
    _, requests, _ = _run(emulator, tmp_path, sql)
    assert requests == 0
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert DEMO_TOKEN.encode() not in stored and b"second-demo-token" not in stored


def test_a_write_drops_the_cached_rows_for_every_connection(writable: Any, tmp_path: Path) -> None:
    sql = "SELECT id, title FROM pull_requests WHERE repository = 'api' AND state = 'OPEN'"
    before, _, _ = _run(writable, tmp_path, sql)
    assert before
    target = before[0][0]
    with _engine(writable, tmp_path) as writer:
        writer.execute(f"UPDATE pull_requests SET title = 'Renamed through the cache test' "
                       f"WHERE repository = 'api' AND id = {target}")
    after, requests, _ = _run(writable, tmp_path, sql)
    assert requests > 0
    assert (target, "Renamed through the cache test") in after
    assert after == _cold(writable, sql)


def test_past_the_ttl_an_unchanged_repository_costs_one_request_per_table(writable: Any, tmp_path: Path) -> None:
    sql = ("SELECT 'pr' AS kind, repository, CAST(id AS VARCHAR) AS id, state AS detail FROM pull_requests "
           "WHERE repository = 'web' UNION ALL "
           "SELECT 'pipeline', repository, uuid, state_name FROM pipelines WHERE repository = 'web' UNION ALL "
           "SELECT 'commit', repository, hash, message FROM commits WHERE repository = 'web'")
    first, cold_requests, _ = _run(writable, tmp_path, sql)
    _age(tmp_path, 3600)
    engine = _engine(writable, tmp_path)
    writable.reset_stats()
    with engine:
        result = engine.execute(sql)
        cache = engine.scan_cache
        assert isinstance(cache, PersistentScanCache)
        refreshed = cache.refreshed
    routes = writable.stats()["routes"]
    unfinished = sum(1 for row in first if row[0] == "pipeline" and row[3] != "COMPLETED")
    assert refreshed == 3
    assert routes.get(PR_LISTING, 0) == 1
    # one request per table, plus the pipelines unfinished when cached (unless on that first page)
    assert 3 <= writable.stats()["total"] <= 3 + unfinished
    assert cold_requests >= 3
    assert sorted(result.rows, key=repr) == first


def test_a_refresh_of_every_repository_costs_one_request_each(writable: Any, tmp_path: Path) -> None:
    sql = "SELECT repository, id, title, state FROM pull_requests"
    first, cold_requests, _ = _run(writable, tmp_path, sql)
    _age(tmp_path, 3600)
    rows, requests, stats = _run(writable, tmp_path, sql)
    routes = writable.stats()["routes"]
    repositories = routes.get("GET /2.0/repositories/{workspace}", 0)
    assert repositories == 1  # the workspace's repositories, listed again (no change feed)
    assert routes[PR_LISTING] == cold_requests - 1  # one per repository: the page holding the mark
    assert requests == cold_requests and stats.cache_hits == cold_requests - 1
    assert rows == first == _cold(writable, sql)


def test_a_refresh_reads_only_the_changes_and_equals_a_cold_run(writable: Any, tmp_path: Path) -> None:
    for sql in QUERIES:
        _run(writable, tmp_path, sql)
    opened = [row[0] for row in _cold(writable, OPEN_SQL)]
    assert len(opened) >= 2, "the tiny data should have open pull requests in api"
    change_repository_api(writable, opened, "Changed behind the cache's back")
    _age(tmp_path, 3600)

    for sql in QUERIES:
        rows, requests, _ = _run(writable, tmp_path, sql)
        assert rows == _cold(writable, sql), sql
        assert requests <= 4, sql  # the first page of the feed, maybe its second, unfinished pipelines
    merged = _run(writable, tmp_path, OPEN_SQL)[0]
    assert (opened[1],) not in merged


def test_a_repository_deleted_since_is_reported_as_a_cold_run_reports_it(writable: Any, tmp_path: Path) -> None:
    with writable.store.lock:
        slug = sorted(set(writable.store.workspace("acme").repositories) - {"api", "web"})[-1]
    sql = f"SELECT id, title FROM pull_requests WHERE repository = '{slug}'"
    _run(writable, tmp_path, sql)
    with BitbucketClient(demo_settings(writable.base_url), interactive=False) as client:
        client.delete(f"/repositories/acme/{slug}")
    _age(tmp_path, 3600)  # the refresh meets a 404: a miss, so the fetch reports it as always
    with Engine(demo_settings(writable.base_url, Cache="off")) as cold, pytest.raises(EngineError) as expected:
        cold.execute(sql)
    with _engine(writable, tmp_path) as engine, pytest.raises(type(expected.value)) as caught:
        engine.execute(sql)
    assert str(caught.value) == str(expected.value)
