"""Cache=memory: a connection's scan cache answers other columns of rows it already read.

Like the persistent cache, memory mode asks for whole rows and keys its entries without
``fields=``, so a second query selecting other columns of the same listing makes no request;
a narrow listing (the repository slugs read to enumerate parents) never answers a query that
needs more columns than it holds. Counts are the emulator's own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from _cache_changes import OPEN_SQL, QUERIES, change_repository_api

from _helpers_connect import demo_settings
from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.cache_scans import MemoryScanCache

REPOS = "GET /2.0/repositories/{workspace}"
PR_LISTING = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"


@pytest.fixture(scope="module")
def writable() -> Iterator[Any]:
    """An emulator of this module's own: the refresh tests change its data."""
    with run_emulator(scale="tiny", seed=11) as handle:
        yield handle


def _count(emulator: Any, engine: Engine, sql: str) -> tuple[list[tuple[Any, ...]], int]:
    emulator.reset_stats()
    rows = sorted(engine.execute(sql).rows, key=repr)
    return rows, emulator.stats()["total"]


def _cold(emulator: Any, sql: str) -> list[tuple[Any, ...]]:
    with Engine(demo_settings(emulator.base_url, Cache="off")) as engine:
        return sorted(engine.execute(sql).rows, key=repr)


def _age(engine: Engine, seconds: float) -> None:
    """Let ``seconds`` pass for the connection's caches (as if CacheTTL had passed)."""
    cache = engine.scan_cache
    assert isinstance(cache, MemoryScanCache)
    cache._clock = lambda: time.monotonic() + seconds
    engine.result_cache.clear()  # whole answers expire with the TTL too


def test_other_columns_of_the_same_rows_make_no_request(emulator: Any) -> None:
    with Engine(demo_settings(emulator.base_url, Cache="memory", CacheTTL=300)) as engine:
        assert isinstance(engine.scan_cache, MemoryScanCache)
        _, first = _count(emulator, engine, "SELECT id, title FROM pull_requests WHERE repository = 'api'")
        assert first == 1
        for sql in (
            "SELECT id, state, created_on, author_display_name FROM pull_requests WHERE repository = 'api'",
            "SELECT * FROM pull_requests WHERE repository = 'api'",
            "SELECT id, reviewers FROM pull_requests WHERE repository = 'api'",
        ):
            rows, requests = _count(emulator, engine, sql)
            assert requests == 0, sql
            assert rows == _cold(emulator, sql), sql


def test_a_narrow_parent_listing_does_not_answer_whole_rows(emulator: Any) -> None:
    with Engine(demo_settings(emulator.base_url, Cache="memory", CacheTTL=300)) as engine:
        _count(emulator, engine, "SELECT count(*) FROM pull_requests")  # lists the repository slugs only
        sql = "SELECT slug, name, is_private, created_on FROM repositories"
        rows, requests = _count(emulator, engine, sql)
        assert emulator.stats()["routes"] == {REPOS: requests} and requests >= 1
        assert rows == _cold(emulator, sql)
        _, again = _count(emulator, engine, "SELECT slug, description FROM repositories")
        assert again == 0


def test_cache_off_keeps_asking_for_only_the_columns_needed(emulator: Any) -> None:
    with Engine(demo_settings(emulator.base_url, Cache="off", CacheTTL=300)) as engine:
        _, first = _count(emulator, engine, "SELECT id, title FROM pull_requests WHERE repository = 'api'")
        _, second = _count(emulator, engine, "SELECT id, state FROM pull_requests WHERE repository = 'api'")
    assert first == second == 1


def test_narrower_filters_sorts_and_limits_are_answered_from_a_cached_listing(emulator: Any) -> None:
    """As with the persistent cache: a complete listing answers any narrower question of it
    (DuckDB applies the query's own filters to its rows)."""
    with Engine(demo_settings(emulator.base_url, Cache="memory", CacheTTL=300)) as engine:
        _, first = _count(emulator, engine, "SELECT id FROM pull_requests")
        assert first > 1
        for sql in (
            "SELECT id, title FROM pull_requests WHERE state = 'OPEN'",
            "SELECT id FROM pull_requests WHERE state = 'MERGED' ORDER BY updated_on DESC LIMIT 3",
            "SELECT count(*) FROM pull_requests WHERE title LIKE '%a%' AND created_on >= DATE '2026-01-01'",
            "SELECT id, title FROM pull_requests WHERE repository = 'api' AND id IN (1, 2)",
        ):
            rows, requests = _count(emulator, engine, sql)
            assert requests == 0, sql
            assert rows == _cold(emulator, sql), sql


def test_objects_by_id_are_answered_from_a_cached_listing(emulator: Any) -> None:
    with Engine(demo_settings(emulator.base_url, Cache="memory", CacheTTL=300)) as engine:
        listed, _ = _count(emulator, engine, "SELECT uuid, build_number FROM pipelines WHERE repository = 'api'")
        uuids = [row[0] for row in listed[:2]]
        assert len(uuids) == 2
        sql = f"SELECT uuid, state_name FROM pipelines WHERE repository = 'api' AND uuid IN ('{uuids[0]}', '{uuids[1]}')"
        rows, requests = _count(emulator, engine, sql)
        assert requests == 0 and rows == _cold(emulator, sql) and rows
        missing = "SELECT uuid FROM pipelines WHERE repository = 'api' AND uuid = '{00000000-0000-0000-0000-000000000000}'"
        rows, requests = _count(emulator, engine, missing)
        assert rows == [] and requests > 0  # an id the listing lacks is asked of Bitbucket


def test_past_the_ttl_a_listing_reads_only_the_changes_and_equals_a_cold_run(writable: Any) -> None:
    """As the persistent cache: an expired listing is brought up to date by its table's change
    feed (pull requests by updated_on, pipelines by created_on plus unfinished ones, new commits),
    not listed again."""
    with Engine(demo_settings(writable.base_url, Cache="memory", CacheTTL=300)) as engine:
        for sql in QUERIES:
            engine.execute(sql)
        opened = [row[0] for row in _cold(writable, OPEN_SQL)]
        assert len(opened) >= 2, "the tiny data should have open pull requests in api"
        change_repository_api(writable, opened, "Changed behind the memory cache")
        _age(engine, 3600)
        cache = engine.scan_cache
        assert isinstance(cache, MemoryScanCache)
        for sql in QUERIES:
            rows, requests = _count(writable, engine, sql)
            assert rows == _cold(writable, sql), sql
            assert requests <= 4, sql  # the first page of the feed, maybe its second, unfinished pipelines
        assert cache.refreshed >= 3
        assert (opened[1],) not in _count(writable, engine, OPEN_SQL)[0]


def test_past_the_ttl_every_repository_is_refreshed_once_concurrently(writable: Any) -> None:
    sql = "SELECT repository, id, title, state FROM pull_requests"
    with Engine(demo_settings(writable.base_url, Cache="memory", CacheTTL=300)) as engine:
        first, cold_requests = _count(writable, engine, sql)
        _age(engine, 3600)
        rows, requests = _count(writable, engine, sql)
        cache = engine.scan_cache
        assert isinstance(cache, MemoryScanCache)
        routes = writable.stats()["routes"]
        assert routes.get(REPOS, 0) == 1  # the workspace's repositories, listed again (no change feed)
        assert routes[PR_LISTING] == cold_requests - 1 == cache.refreshed  # one per repository
        assert requests == cold_requests
        assert rows == first == _cold(writable, sql)


def test_a_table_without_a_change_feed_is_fetched_again_past_the_ttl(writable: Any) -> None:
    sql = "SELECT slug, name, description FROM repositories"
    with Engine(demo_settings(writable.base_url, Cache="memory", CacheTTL=300)) as engine:
        _, first = _count(writable, engine, sql)
        _, within = _count(writable, engine, "SELECT slug FROM repositories")
        assert within == 0
        _age(engine, 3600)
        rows, after = _count(writable, engine, "SELECT slug FROM repositories")
        assert after == first >= 1
        assert rows == _cold(writable, "SELECT slug FROM repositories")
