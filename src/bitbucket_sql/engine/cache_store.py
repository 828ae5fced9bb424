"""The persistent scan cache's storage: one SQLite file shared by every process of a user.

Why SQLite: it ships with Python (no dependency, nothing to start), and in WAL mode readers never
block, writers queue on a lock with a timeout instead of failing, and a process killed in the
middle of a write leaves the last committed state (the write-ahead log is rolled back on the
next open). Every write is one short transaction, so two ``bbsql`` processes, a server and a
notebook can share one file.

One row per cached request (``scans``): the key is a hash of the identity (API host and
credentials, hashed: no secret is stored), the table, the path and the parameters without
``fields=``; the items are zlib-compressed JSON. ``checked_at`` is when the rows were last known
current (stored or refreshed), ``stored_at`` when they were first fetched. Size is bounded by
``CacheMaxSize``: beyond it the entries checked longest ago are evicted.

Every failure to read or write the file is swallowed by the callers (``cache_scans``): the cache
can only save requests, never fail a query.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import threading
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The file inside the cache directory.
FILE_NAME = "scans.sqlite3"
#: Bumped when the table layout or the meaning of a column changes: older files are rebuilt.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scans (
    key TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    table_name TEXT NOT NULL,
    path TEXT NOT NULL,
    fields TEXT,
    complete INTEGER NOT NULL,
    stored_at REAL NOT NULL,
    checked_at REAL NOT NULL,
    size INTEGER NOT NULL,
    items INTEGER NOT NULL,
    meta TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_by_path ON scans (identity, path);
CREATE INDEX IF NOT EXISTS scans_by_age ON scans (checked_at);
"""


def default_cache_dir() -> Path:
    """``$BBSQL_CACHE_DIR``, else the platform's user cache directory + ``bitbucket-sql``.

    Linux: ``$XDG_CACHE_HOME`` or ``~/.cache``; macOS: ``~/Library/Caches``; Windows:
    ``%LOCALAPPDATA%``. (The tests point ``BBSQL_CACHE_DIR`` at a temporary directory.)
    """
    explicit = os.environ.get("BBSQL_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "bitbucket-sql"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "bitbucket-sql" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bitbucket-sql"


@dataclass
class Entry:
    """One cached request: its items and what a refresh needs to know (``meta``)."""

    key: str
    identity: str
    table: str
    path: str
    fields: str | None
    complete: bool
    items: list[Any]
    stored_at: float = 0.0
    checked_at: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TableStatus:
    """What ``bbsql cache status`` shows for one table."""

    table: str
    entries: int
    items: int
    size: int
    oldest: float
    newest: float


class CacheStore:
    """The SQLite file of the persistent cache (thread-safe: one connection behind a lock)."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        if not directory.exists():
            directory.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(OSError):  # only a directory of its own: never chmod a shared one
                os.chmod(directory, 0o700)  # other users of the machine must not read cached rows
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                db.execute("DROP TABLE IF EXISTS scans")
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            db.close()
            raise
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- entries ------------------------------------------------------------------------------
    def get(self, key: str) -> Entry | None:
        with self._lock:
            row = self._db.execute(
                "SELECT key, identity, table_name, path, fields, complete, stored_at, checked_at, meta, data "
                "FROM scans WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        items = json.loads(inflate(row[9]))
        return Entry(row[0], row[1], row[2], row[3], row[4], bool(row[5]), items, row[6], row[7], json.loads(row[8]))

    def head(self, key: str) -> Entry | None:
        """The entry without its items (cheap: nothing to decompress), to decide whether to use it."""
        with self._lock:
            row = self._db.execute(
                "SELECT key, identity, table_name, path, fields, complete, stored_at, checked_at, meta "
                "FROM scans WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return Entry(row[0], row[1], row[2], row[3], row[4], bool(row[5]), [], row[6], row[7], json.loads(row[8]))

    def put(self, entry: Entry) -> None:
        data = zlib.compress(json.dumps(entry.items, separators=(",", ":")).encode("utf-8"), 1)
        self.put_encoded(entry, data, len(entry.items))

    def put_encoded(self, entry: Entry, data: bytes, count: int) -> None:
        """Store an entry whose items are already encoded as :meth:`put` encodes them (zlib of a
        JSON list, see :class:`ItemsEncoder`) and number ``count``; ``entry.items`` is ignored.
        A listing written page by page never exists as one list of objects (issue 14: memory)."""
        if len(data) > self.max_bytes:
            return  # larger than the whole cache: not worth evicting everything for it
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO scans (key, identity, table_name, path, fields, complete, stored_at, "
                "checked_at, size, items, meta, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.key, entry.identity, entry.table, entry.path, entry.fields, int(entry.complete),
                 entry.stored_at, entry.checked_at, len(data), count, json.dumps(entry.meta), data))
            self._evict()

    def touch(self, key: str, checked_at: float, meta: dict[str, Any]) -> None:
        """Mark an entry as checked at ``checked_at`` with ``meta``, its rows unchanged: an
        incremental refresh that found no change rewrites no rows (no JSON, no compression)."""
        with self._lock:
            self._db.execute("UPDATE scans SET checked_at = ?, meta = ? WHERE key = ?",
                             (checked_at, json.dumps(meta), key))

    def _evict(self) -> None:
        """Drop the entries checked longest ago until the file's rows fit ``max_bytes``."""
        total = self._db.execute("SELECT COALESCE(SUM(size), 0) FROM scans").fetchone()[0]
        if total <= self.max_bytes:
            return
        excess = total - int(self.max_bytes * 0.9)  # some room, so the next puts do not evict again
        doomed: list[str] = []
        for key, size in self._db.execute("SELECT key, size FROM scans ORDER BY checked_at"):
            if excess <= 0:
                break
            doomed.append(key)
            excess -= size
        self._delete(doomed)

    def _delete(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            self._db.execute(f"DELETE FROM scans WHERE key IN ({', '.join('?' * len(chunk))})", chunk)
        return len(keys)

    def paths(self, identity: str) -> list[tuple[str, str]]:
        """(key, path) of every entry of ``identity`` (for write invalidation)."""
        with self._lock:
            return list(self._db.execute("SELECT key, path FROM scans WHERE identity = ?", (identity,)))

    def delete(self, keys: Iterable[str]) -> int:
        with self._lock:
            return self._delete(keys)

    def clear(self, *, identity: str | None = None, table: str | None = None) -> int:
        """Delete every entry (of one identity, of one table); returns how many."""
        where, args = [], []
        if identity is not None:
            where.append("identity = ?")
            args.append(identity)
        if table is not None:
            where.append("table_name = ?")
            args.append(table)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            cursor = self._db.execute(f"DELETE FROM scans{clause}", args)
            count = cursor.rowcount
        if identity is None and table is None:
            self.vacuum()
        return count

    def vacuum(self) -> None:
        """Give the space back to the disk; best effort (another process reading blocks it)."""
        with self._lock, contextlib.suppress(sqlite3.OperationalError):
            self._db.execute("VACUUM")

    def status(self) -> list[TableStatus]:
        with self._lock:
            rows = self._db.execute(
                "SELECT table_name, COUNT(*), SUM(items), SUM(size), MIN(checked_at), MAX(checked_at) "
                "FROM scans GROUP BY table_name ORDER BY table_name").fetchall()
        return [TableStatus(*row) for row in rows]

    def file_size(self) -> int:
        """Bytes on disk: the database and its write-ahead log."""
        total = 0
        for suffix in ("", "-wal", "-shm"):
            try:
                total += os.path.getsize(f"{self.path}{suffix}")
            except OSError:
                continue
        return total


class ItemsEncoder:
    """The stored form of a list of items (compact JSON in zlib streams), built page by page.

    Why: a listing of thousands of objects used to be kept whole until its last page, then
    encoded at once; here each page is encoded and compressed as it comes and its objects can be
    dropped. Each page is a zlib stream of its own: a compressor kept open between pages holds
    about 256 KiB, and a scan writes to a dozen listings at once (16 at medium for commits). The
    text is the same JSON list :meth:`CacheStore.put` writes; :func:`inflate` reads either.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.count = 0

    def add(self, items: list[Any]) -> None:
        if not items:
            return
        text = json.dumps(items, separators=(",", ":"))[1:-1]  # the items without the list's brackets
        self._write(("[" if self.count == 0 else ",") + text)
        self.count += len(items)

    def _write(self, text: str) -> None:
        self._parts.append(zlib.compress(text.encode("utf-8"), 1))

    def finish(self) -> bytes:
        """The encoded list (no more :meth:`add` after this)."""
        self._write("[]" if self.count == 0 else "]")
        data = b"".join(self._parts)
        self._parts = []
        return data

    @property
    def size(self) -> int:
        """Compressed bytes so far (to give up on a listing larger than the whole cache)."""
        return sum(len(part) for part in self._parts)


def inflate(data: bytes) -> bytes:
    """The text of stored items: one zlib stream (:meth:`CacheStore.put`) or several in a row
    (:class:`ItemsEncoder`). Raises zlib.error for anything else, as ``zlib.decompress`` does."""
    parts = []
    while True:
        stream = zlib.decompressobj()
        parts.append(stream.decompress(data))
        if not stream.eof:
            raise zlib.error("incomplete or truncated stream")
        data = stream.unused_data
        if not data:
            return b"".join(parts)


def now() -> float:
    """Wall-clock seconds: entries are shared between processes, so no monotonic clock."""
    return time.time()
