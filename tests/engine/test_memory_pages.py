"""Pages become rows as they come (issue 14: memory): a list request's items are turned into
Arrow rows and handed to the scan cache a chunk at a time, never held whole.

These tests check behaviour only (rows, order, cache hits); the memory it saves is measured in
``benchmarks/process.py`` (memory scenarios), never asserted here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from _helpers_connect import demo_settings
from bitbucket_sql.engine import Engine, fetcher
from bitbucket_sql.engine.cache_scans import merge_meta
from bitbucket_sql.engine.cache_store import CacheStore, Entry, ItemsEncoder, inflate

COMMITS = "SELECT * FROM commits"
BRANCH_COMMITS = "SELECT * FROM branch_commits WHERE repository = 'api' AND branch = 'main'"


def _rows(emulator: Any, sql: str, **settings: Any) -> tuple[list[tuple[Any, ...]], int]:
    """(rows in the order the engine gives them, requests the emulator saw) on a new connection."""
    emulator.reset_stats()
    with Engine(demo_settings(emulator.base_url, **settings)) as engine:
        rows = engine.execute(sql).rows
    return rows, emulator.stats()["total"]


@pytest.mark.parametrize("sql", [COMMITS, BRANCH_COMMITS])
def test_rows_in_small_chunks_equal_rows_of_whole_requests(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: str
) -> None:
    """Same rows, same order (and listing positions) whether a request's items become rows in
    chunks of 3 or all at once; a repeat from the persistent cache written chunk by chunk makes
    no request and gives the same rows."""
    monkeypatch.setattr(fetcher, "CHUNK_ITEMS", 10**9)
    whole, _ = _rows(emulator, sql, Cache="off")
    monkeypatch.setattr(fetcher, "CHUNK_ITEMS", 3)
    chunked, first_requests = _rows(emulator, sql, Cache="persistent", CacheLocation=str(tmp_path), CacheTTL=300)
    assert len(whole) > 3
    assert chunked == whole
    again, requests = _rows(emulator, sql, Cache="persistent", CacheLocation=str(tmp_path), CacheTTL=300)
    assert first_requests > 0 and requests == 0
    assert again == whole


def test_items_encoded_page_by_page_read_back_as_stored_whole(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, 10 * 1024 * 1024)
    items = [{"id": n, "title": f"PR «{n}»", "tags": [n, None]} for n in range(7)]
    encoder = ItemsEncoder()
    for start in range(0, len(items), 3):
        encoder.add(items[start:start + 3])
    entry = Entry("k", "me", "pull_requests", "/p", None, True, [])
    store.put_encoded(entry, encoder.finish(), encoder.count)
    found = store.get("k")
    assert found is not None and found.items == items
    assert store.status()[0].items == len(items)
    empty = ItemsEncoder()
    store.put_encoded(Entry("e", "me", "pull_requests", "/q", None, True, []), empty.finish(), 0)
    assert store.get("e").items == []  # type: ignore[union-attr]
    store.close()


def test_stored_items_are_read_from_one_zlib_stream_or_several() -> None:
    """A listing written page by page is a zlib stream per page (no compressor is kept open
    between pages); an entry stored whole is one stream; a cut entry is an error, not fewer items."""
    import json
    import zlib

    encoder = ItemsEncoder()
    encoder.add([{"id": 1}])
    encoder.add([{"id": 2}, {"id": 3}])
    data = encoder.finish()
    assert json.loads(inflate(data)) == [{"id": 1}, {"id": 2}, {"id": 3}]
    whole = zlib.compress(b'[{"id":1}]', 1)
    assert json.loads(inflate(whole)) == [{"id": 1}]
    with pytest.raises(zlib.error):
        inflate(data[:-3])


def test_refresh_data_of_pages_merges_as_of_all_items() -> None:
    first = {"hwm": "2026-01-02T00:00:00+00:00", "unfinished": ["{b}"]}
    second = {"hwm": "2026-01-01T23:00:00+00:00", "unfinished": ["{a}", "{b}"]}
    assert merge_meta(first, second) == {"hwm": "2026-01-02T00:00:00+00:00", "unfinished": ["{a}", "{b}"]}
    assert merge_meta({"hwm": None}, {"hwm": "2026-01-01T00:00:00+00:00"}) == {"hwm": "2026-01-01T00:00:00+00:00"}
    assert merge_meta({}, {}) == {}
