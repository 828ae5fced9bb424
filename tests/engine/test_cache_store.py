"""The persistent cache's file: several processes writing at once, a writer killed mid-write, the
size bound, and the properties that configure it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.settings import parse_connection_string
from bitbucket_sql.engine.cache_scans import (
    MemoryScanCache,
    cache_location,
    cache_mode,
    identity_of,
    open_scan_cache,
    open_store,
    parse_size,
)
from bitbucket_sql.engine.cache_store import CacheStore, Entry
from bitbucket_sql.engine.errors import QueryWarning

WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from bitbucket_sql.engine.cache_store import CacheStore, Entry
    store = CacheStore(Path(sys.argv[1]), max_bytes=1 << 40)
    name = sys.argv[2]
    count = int(sys.argv[3])
    print("ready", flush=True)
    for index in range(count if count else 10**9):
        items = [{"id": i, "text": name * 50} for i in range(200)]
        store.put(Entry(f"{name}-{index}", "me", "pull_requests", f"/repositories/acme/{name}/pullrequests",
                        None, True, items, 1.0 + index, 1.0 + index))
""")


def _entry(key: str, size: int, checked_at: float) -> Entry:
    return Entry(key, "me", "commits", f"/repositories/acme/{key}/commits", None, True,
                 [{"blob": os.urandom(size).hex()}], checked_at, checked_at)


def test_several_processes_write_one_cache_at_once(tmp_path: Path) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"w{n}", "40"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(4)]
    for writer in writers:
        _, errors = writer.communicate(timeout=120)
        assert writer.returncode == 0, errors
    store = CacheStore(tmp_path, max_bytes=1 << 40)
    try:
        [status] = store.status()
        assert status.entries == 160
        assert all(store.get(f"w{n}-{i}") is not None for n in range(4) for i in range(40))
    finally:
        store.close()


def test_a_writer_killed_mid_write_leaves_a_readable_cache(tmp_path: Path) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), "killed", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # in the middle of an endless run of writes
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    store = CacheStore(tmp_path, max_bytes=1 << 40)
    try:
        [status] = store.status()
        assert status.entries > 0
        for index in range(status.entries):
            entry = store.get(f"killed-{index}")
            assert entry is not None and len(entry.items) == 200
        store.put(_entry("after", 10, time.time()))  # and it takes writes again
        assert store.get("after") is not None
    finally:
        store.close()


def test_beyond_its_size_the_entries_checked_longest_ago_go_first(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, max_bytes=100_000)
    try:
        for index in range(10):
            store.put(_entry(f"e{index}", 10_000, 1000.0 + index))  # ~20 kB each (hex of random bytes)
        kept = [index for index in range(10) if store.get(f"e{index}") is not None]
        assert kept and kept == list(range(10 - len(kept), 10))  # the newest survive
        assert sum(status.size for status in store.status()) <= 100_000
    finally:
        store.close()


def test_the_properties(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BBSQL_CACHE", raising=False)
    assert cache_mode(parse_connection_string("")) == "persistent"
    assert cache_mode(parse_connection_string("Cache=Memory")) == "memory"
    assert cache_mode(parse_connection_string("Cache=persistent;CacheTTL=0")) == "off"
    monkeypatch.setenv("BBSQL_CACHE", "off")
    assert cache_mode(parse_connection_string("")) == "off"
    assert cache_mode(parse_connection_string("Cache=persistent")) == "persistent"  # the property wins
    with pytest.raises(ConfigurationError, match="Cache has a value that is not valid"):
        parse_connection_string("Cache=disk")
    monkeypatch.setenv("BBSQL_CACHE", "disk")
    with pytest.raises(ConfigurationError, match="environment variable BBSQL_CACHE has a value that is not valid"):
        cache_mode(parse_connection_string(""))
    assert parse_size("512MB") == 512 * 1024**2 and parse_size("2 GB") == 2 * 1024**3
    assert parse_size("1048576") == 1024**2
    with pytest.raises(ConfigurationError, match="CacheMaxSize must be a size"):
        parse_size("lots")
    with pytest.raises(ConfigurationError, match="CacheMaxSize is too small"):
        parse_size("10KB")
    assert cache_location(parse_connection_string(f"CacheLocation={tmp_path}")) == tmp_path
    monkeypatch.setenv("BBSQL_CACHE_DIR", str(tmp_path / "env"))
    assert cache_location(parse_connection_string("")) == tmp_path / "env"


def test_the_identity_is_a_hash_that_tells_credentials_apart() -> None:
    one = parse_connection_string("AuthScheme=APIToken;User=a@example.com;APIToken=secret-one")
    two = parse_connection_string("AuthScheme=APIToken;User=a@example.com;APIToken=secret-two")
    other_host = parse_connection_string(
        "BaseURL=https://bitbucket.example.com/2.0;AuthScheme=APIToken;User=a@example.com;APIToken=secret-one")
    identities = {identity_of(one), identity_of(two), identity_of(other_host)}
    assert len(identities) == 3
    assert all("secret" not in identity and len(identity) == 32 for identity in identities)


def test_a_damaged_file_is_moved_aside(tmp_path: Path) -> None:
    (tmp_path / "scans.sqlite3").write_bytes(b"this is not a database" * 100)
    store = open_store(tmp_path, max_bytes=1 << 30)
    try:
        store.put(_entry("fresh", 10, time.time()))
        assert store.get("fresh") is not None
    finally:
        store.close()
    assert (tmp_path / "scans.damaged").exists()


def test_an_unusable_location_caches_in_memory_with_a_warning(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings = parse_connection_string(f"Cache=persistent;CacheLocation={blocker / 'cache'}")
    with pytest.warns(QueryWarning, match="cannot be used.*caches in memory only"):
        cache = open_scan_cache(settings, None, 1000)
    assert type(cache) is MemoryScanCache and cache.enabled  # what Cache=memory is
