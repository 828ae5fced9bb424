"""Whole answers of read queries kept on disk for CacheTTL, shared by every process of a user.

Why: with the persistent scan cache a repeated query makes no request, but a new ``bbsql query``
process still parses the SQL (sqlglot), builds DuckDB tables and loads the cached rows, which is
most of a second; the answer itself is a few rows. Here a small answer (at most
:data:`MAX_ROWS` rows) is kept with its columns, so a repeat inside CacheTTL is read back
without the engine: ``bbsql query`` looks it up before importing sqlglot, DuckDB or httpx
(:func:`lookup`), and an :class:`~.engine.Engine` (DB-API, server) finds it as its result cache.

It is exactly the in-memory result cache the engine always had, made persistent: the same key
(the query text after binding parameters, the connection's Workspace, pushdown), plus every
connection property and the credentials (hashed: nothing secret is stored), the same TTL, and
the same invalidation (a write through the engine forgets every answer of that identity, in
every process). Queries whose answer changes by itself are never kept: those that call ``now()``,
``random()`` and other functions of the moment (:func:`reusable`).

An answer is only as good as the cached rows it was computed from, so it also records the state
of the scan cache's file when it was stored (:func:`scans_state`: entries, and the sums of their
stored and checked times) and is used only while that state is unchanged: any refresh, eviction,
``bbsql cache clear`` or new entry makes every kept answer a miss, and the query runs over the
scan cache as before. Any failure of either file costs only the time to answer again; it never
fails a query.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from .cache import TTLCache
from .result import QueryResult, QueryStats, ResultColumn

#: The file beside the scan cache's, in the cache directory.
FILE_NAME = "answers.sqlite3"
#: Larger answers are not kept (they are rarely repeated verbatim, and cost the disk most).
MAX_ROWS = 10_000
#: Nor answers whose compressed text is larger than this.
MAX_BYTES = 4 * 1024 * 1024
#: The file keeps at most this many answers (the oldest go first).
MAX_ENTRIES = 2_000

#: Queries whose answer may change without the data changing: never kept.
_VOLATILE = re.compile(
    r"\b(now|current_timestamp|current_date|current_time|localtime|localtimestamp|today|random|setseed"
    r"|uuid|gen_random_uuid|uuidv4|uuidv7|nextval|currval|get_current_time|get_current_timestamp"
    r"|transaction_timestamp|current_setting|current_query|sys_\w+)\b",
    re.IGNORECASE,
)
_READ = re.compile(r"\s*(select|with|from|values|table)\b", re.IGNORECASE)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    identity TEXT NOT NULL,
    stored_at REAL NOT NULL,
    scans TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_identity ON answers (identity);
CREATE INDEX IF NOT EXISTS answers_by_age ON answers (stored_at);
"""


def reusable(sql: str) -> bool:
    """Whether an answer of ``sql`` may be reused: a read whose text calls no function of the moment.

    The check is on the text (no parsing: it runs before sqlglot is loaded), so a table or column
    that merely shares such a name also opts out; that costs a cache miss, never a wrong answer.
    ``sys_*`` tables are live views of the connection and are not kept either.
    """
    return bool(_READ.match(sql)) and _VOLATILE.search(sql) is None


def answer_key(settings: Any, sql: str, default_schema: str | None, pushdown: bool) -> str:
    """The entry's key: the engine's result-cache key plus every connection property (hashed)."""
    try:
        properties = dataclasses.asdict(settings)
    except TypeError:
        properties = dict(vars(settings))
    text = json.dumps([properties, sql.strip(), default_schema, pushdown], default=_stable, sort_keys=True)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=20, person=b"bbsql-answer").hexdigest()


def _stable(value: Any) -> Any:
    """JSON for the key: sets in sorted order (their own order changes from one process to the next)."""
    if isinstance(value, set | frozenset):
        return sorted(map(str, value))
    return str(value)


# --- values <-> JSON ------------------------------------------------------------------------------
class _NotKept(Exception):
    """A value this module does not write (the answer is then not kept)."""


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$da": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$ti": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, decimal.Decimal):
        return {"$de": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return {"$u": str(value)}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, tuple):
        return {"$tu": [_encode(item) for item in value]}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"$d": {key: _encode(item) for key, item in value.items()}}
    raise _NotKept(type(value).__name__)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$dt": dt.datetime.fromisoformat,
    "$da": dt.date.fromisoformat,
    "$ti": dt.time.fromisoformat,
    "$td": lambda parts: dt.timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2]),
    "$de": decimal.Decimal,
    "$b": lambda text: base64.b64decode(text),
    "$u": uuid.UUID,
    "$tu": lambda items: tuple(_decode(item) for item in items),
    "$d": lambda items: {key: _decode(item) for key, item in items.items()},
}


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if isinstance(value, dict):
        ((tag, inner),) = value.items()
        return _DECODERS[tag](inner)
    return value


def encode_result(result: QueryResult) -> bytes | None:
    """The answer as compressed JSON, or None when it is not kept (too large, unusual values)."""
    if result.affected_rows is not None or result.stream is not None or len(result.rows) > MAX_ROWS:
        return None
    try:
        payload = {
            "columns": [[column.name, column.type] for column in result.columns],
            "rows": [[_encode(value) for value in row] for row in result.rows],
            "warnings": list(result.warnings),
            # what a repeat saves: the scans the answer was computed from (for its stats)
            "scans": result.stats.requests + result.stats.cache_hits,
        }
    except _NotKept:
        return None
    data = zlib.compress(json.dumps(payload, ensure_ascii=False).encode("utf-8"), 1)
    return data if len(data) <= MAX_BYTES else None


def decode_result(data: bytes, started: float) -> QueryResult:
    payload = json.loads(zlib.decompress(data))
    rows = [tuple(_decode(value) for value in row) for row in payload["rows"]]
    stats = QueryStats(rows_returned=len(rows), cache_hits=max(1, int(payload.get("scans", 1))),
                       elapsed_s=time.monotonic() - started)
    return QueryResult([ResultColumn(name, kind) for name, kind in payload["columns"]], rows, stats,
                       list(payload["warnings"]))


def scans_state(directory: Path) -> str | None:
    """The scan cache's state (``cache_store``'s file): None when there is no such file to trust."""
    from .cache_store import FILE_NAME as SCANS_FILE

    path = directory / SCANS_FILE
    if not path.exists():
        return None
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=2.0)
    try:
        row = connection.execute("SELECT count(*), total(stored_at), total(checked_at) FROM scans").fetchone()
    finally:
        connection.close()
    return json.dumps(list(row))


# --- the file -------------------------------------------------------------------------------------
class AnswerStore:
    """The SQLite file (WAL mode: readers never wait; writers queue briefly)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=2.0, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            self._connection = connection
        return self._connection

    def get(self, key: str, max_age: float) -> bytes | None:
        """The answer, if younger than ``max_age`` and the scan cache is as it was when it was kept."""
        if not self.path.exists():
            return None
        with self._lock:
            row = self._open().execute("SELECT stored_at, scans, data FROM answers WHERE key = ?", (key,)).fetchone()
        if row is None or time.time() - row[0] > max_age or row[1] != scans_state(self.path.parent):
            return None
        return bytes(row[2])

    def put(self, key: str, identity: str, data: bytes) -> None:
        state = scans_state(self.path.parent)
        if state is None:
            return
        with self._lock:
            connection = self._open()
            connection.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                               (key, identity, time.time(), state, data))
            connection.execute("DELETE FROM answers WHERE key IN (SELECT key FROM answers ORDER BY stored_at DESC "
                               "LIMIT -1 OFFSET ?)", (MAX_ENTRIES,))

    def clear(self, identity: str) -> None:
        if not self.path.exists():
            return
        with self._lock:
            self._open().execute("DELETE FROM answers WHERE identity = ?", (identity,))

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def _store_for(settings: Any) -> tuple[AnswerStore, str] | None:
    """The store and identity for ``settings``, or None when answers are not kept (Cache is not persistent)."""
    from .cache_scans import cache_location, cache_mode, identity_of

    if cache_mode(settings) != "persistent":
        return None
    return AnswerStore(cache_location(settings)), identity_of(settings)


def lookup(settings: Any, sql: str) -> QueryResult | None:
    """The kept answer of ``sql`` (no parameters) on this connection, or None: for ``bbsql query``
    before it loads the engine. The key is the engine's, so an answer any process stored is found."""
    started = time.monotonic()
    if not reusable(sql):
        return None
    try:
        opened = _store_for(settings)
        if opened is None:
            return None
        store, _ = opened
        try:
            data = store.get(answer_key(settings, sql, settings.workspace, True), float(settings.cache_ttl))
        finally:
            store.close()
        return decode_result(data, started) if data is not None else None
    except (sqlite3.Error, OSError, ValueError, KeyError, zlib.error):
        return None


class AnswerCache(TTLCache[QueryResult]):
    """The engine's result cache (``TTLCache`` interface) with the answers also on disk.

    ``get``/``put`` take the engine's key ``(sql, default schema, pushdown)``; ``clear`` (a write)
    forgets this identity's answers in every process; ``close`` only releases this connection's.
    """

    def __init__(self, settings: Any, store: AnswerStore, identity: str, *, max_weight: int,
                 weigh: Callable[[QueryResult], int]) -> None:
        super().__init__(float(settings.cache_ttl), max_weight=max_weight, weigh=weigh)
        self.settings = settings
        self.store = store
        self.identity = identity

    def _key(self, key: Hashable) -> str | None:
        if not (isinstance(key, tuple) and len(key) == 3 and isinstance(key[0], str)) or not reusable(key[0]):
            return None
        return answer_key(self.settings, key[0], key[1], bool(key[2]))

    def get(self, key: Hashable) -> QueryResult | None:
        found = super().get(key)
        if found is not None or not self.enabled:
            return found
        stored = self._key(key)
        if stored is None:
            return None
        try:
            data = self.store.get(stored, self.ttl)
            return decode_result(data, time.monotonic()) if data is not None else None
        except (sqlite3.Error, OSError, ValueError, KeyError, zlib.error):
            return None

    def put(self, key: Hashable, value: QueryResult) -> None:
        super().put(key, value)
        stored = self._key(key)
        if not self.enabled or stored is None:
            return
        data = encode_result(value)
        if data is None:
            return
        try:
            self.store.put(stored, self.identity, data)
        except (sqlite3.Error, OSError):
            return

    def clear(self) -> None:
        """A write happened: forget the answers of this identity, here and on disk."""
        super().clear()
        try:
            self.store.clear(self.identity)
        except (sqlite3.Error, OSError):
            return

    def close(self) -> None:
        super().clear()
        self.store.close()


def open_answer_cache(settings: Any, max_weight: int, weigh: Callable[[QueryResult], int]) -> TTLCache[QueryResult]:
    """The engine's result cache: on disk too with ``Cache=persistent`` (the default), else in memory."""
    from .cache_scans import cache_ttl

    opened = None
    try:
        opened = _store_for(settings)
    except (sqlite3.Error, OSError):
        opened = None
    if opened is None:
        return TTLCache(cache_ttl(settings), max_weight=max_weight, weigh=weigh)
    store, identity = opened
    return AnswerCache(settings, store, identity, max_weight=max_weight, weigh=weigh)
