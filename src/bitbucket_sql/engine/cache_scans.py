"""The scan cache a connection uses: ``Cache=off|memory|persistent`` (default persistent).

``memory`` is :class:`MemoryScanCache`, the connection's own; ``persistent`` is
:class:`PersistentScanCache`: the same interface over the shared SQLite file of
:mod:`.cache_store`, so a repeat of a query in *another process* inside ``CacheTTL`` makes no
request. Three things make both answer more than exact repeats:

* **whole rows**: with a persistent cache the engine asks for every column of a table
  (:func:`widen_plans`: ``fields=`` names no subset), and the key leaves ``fields=`` out, so a
  query that selects other columns of the same rows is answered from the same entry;
* **wider listings**: a filtered, sorted or limited list request (``q=``, ``sort=``, a LIMIT) is
  answered from a cached complete listing of the same path with the same other parameters, or
  from the complete unfiltered listing. The extra rows are harmless: the engine always runs the
  user's own SQL over the fetched rows in DuckDB, which filters, sorts and limits them again
  (``ScanKey.widenable`` excludes the cases where extra rows would change an answer);
* **incremental refresh**: an entry older than ``CacheTTL`` is brought up to date by
  :mod:`.refresh` (only what changed since, for tables with a change feed) instead of being
  fetched again.

Entries are keyed by the *identity* (API host plus credentials, hashed with a key of its own:
no secret is stored) so that two users of one machine never see each other's rows; the path
holds the workspace. Any failure of the file (locked past the timeout, disk full, corrupt) only
costs requests: the query goes to Bitbucket as without a cache.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import math
import os
import re
import sqlite3
import threading
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.catalog import registry

from . import refresh
from .cache import ScanKey, TTLCache
from .cache_store import CacheStore, Entry, ItemsEncoder, default_cache_dir, now
from .errors import QueryWarning

MODES = ("off", "memory", "persistent")
DEFAULT_MAX_SIZE = 256 * 1024 * 1024
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


# --- settings -------------------------------------------------------------------------------------
def cache_mode(settings: Any) -> str:
    """``off``, ``memory`` or ``persistent``: the ``Cache`` property, else ``$BBSQL_CACHE``, else
    persistent. ``CacheTTL=0`` means off whatever the mode."""
    if getattr(settings, "cache_ttl", 0) <= 0:
        return "off"
    source = "Cache"
    if "Cache" in getattr(settings, "explicit", frozenset()) or not os.environ.get("BBSQL_CACHE"):
        chosen = str(getattr(settings, "cache", "persistent"))
    else:
        chosen, source = os.environ["BBSQL_CACHE"], "the environment variable BBSQL_CACHE"
    chosen = chosen.strip().lower()
    if chosen not in MODES:
        raise ConfigurationError(f"{source} has a value that is not valid", hint="Use one of: off, memory, persistent")
    return chosen


def cache_ttl(settings: Any) -> float:
    """The TTL of the connection's caches (0 when ``Cache=off``)."""
    return 0.0 if cache_mode(settings) == "off" else float(settings.cache_ttl)


def parse_size(text: Any) -> int:
    """``CacheMaxSize``: bytes, or a number with KB/MB/GB/TB (powers of 1024; ``512MB``)."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = int(text)
    else:
        match = _SIZE.match(str(text))
        if match is None:
            raise ConfigurationError("CacheMaxSize must be a size", hint="Write bytes or a size such as 512MB or 2GB")
        unit = (match.group(2) or "").lower().replace("i", "").rstrip("b") or ""
        value = int(float(match.group(1)) * _UNITS[unit])
    if value < 1024 * 1024:
        raise ConfigurationError("CacheMaxSize is too small", hint="Use at least 1MB")
    return value


def cache_location(settings: Any) -> Path:
    """``CacheLocation`` (a directory), else :func:`~.cache_store.default_cache_dir`."""
    location = getattr(settings, "cache_location", None)
    return Path(os.path.expanduser(location)) if location else default_cache_dir()


def identity_of(settings: Any) -> str:
    """A hash naming whose rows an entry holds: API origin and credentials, never stored in clear.

    OAuth identities are the consumer and its token file (access tokens rotate every two hours;
    the rows they read do not change with them).
    """
    scheme = getattr(settings, "auth_scheme", "None")
    parts: list[Any] = [list(settings.api_origin), scheme]
    if scheme == "OAuth":
        parts += [settings.oauth_client_id, settings.oauth_settings_location, settings.oauth_access_token]
    elif scheme == "Client":
        parts += [settings.oauth_client_id, settings.oauth_client_secret]
    else:
        parts += [settings.user, settings.api_token, settings.password, settings.access_token,
                  settings.oauth_access_token]
    text = json.dumps(parts, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16, person=b"bbsql-cache-id").hexdigest()


def open_scan_cache(settings: Any, client: Any, max_items: int) -> TTLCache[list[Any]]:
    """The scan cache for one connection (see the module docstring)."""
    mode = cache_mode(settings)
    if mode == "memory":
        return MemoryScanCache(cache_ttl(settings), max_items, client)
    if mode != "persistent":
        return TTLCache(cache_ttl(settings), max_weight=max_items, weigh=len)
    max_bytes = parse_size(getattr(settings, "cache_max_size", DEFAULT_MAX_SIZE) or DEFAULT_MAX_SIZE)
    directory = cache_location(settings)
    try:
        store = open_store(directory, max_bytes)
    except (OSError, sqlite3.Error) as error:
        warnings.warn(f"the persistent cache in {directory} cannot be used ({error}); this connection caches "
                      "in memory only (set CacheLocation= to another directory, or Cache=memory)",
                      QueryWarning, stacklevel=3)
        return MemoryScanCache(cache_ttl(settings), max_items, client)
    return PersistentScanCache(store, identity_of(settings), settings.cache_ttl, client)


def open_store(directory: Path, max_bytes: int) -> CacheStore:
    """The store in ``directory``; a file that is not a database (damaged) is moved aside once."""
    try:
        return CacheStore(directory, max_bytes)
    except sqlite3.DatabaseError:
        broken = directory / "scans.sqlite3"
        if broken.exists():
            broken.replace(broken.with_suffix(".damaged"))
        for suffix in ("-wal", "-shm"):
            Path(f"{broken}{suffix}").unlink(missing_ok=True)
        return CacheStore(directory, max_bytes)


def widen_plans(cache: Any, plans: list[tuple[int, Any]]) -> None:
    """With a persistent or memory scan cache, every scan asks for whole rows (no ``fields=``
    subset), so the rows cached for one query answer any other query's columns of the same
    listing (``Cache=off`` keeps the narrow ``fields=``: nothing is kept for another query)."""
    if not isinstance(cache, PersistentScanCache | MemoryScanCache) or not cache.enabled:
        return
    from .planner import plan_fields

    for _, plan in plans:
        if plan.table.paging != "raw":
            plan_fields(plan, None)


# --- writing a request's items as they come ------------------------------------------------------
class ScanWriter:
    """Takes one request's items page by page and stores them when the request is over.

    Why: the fetcher turns each page into Arrow rows and drops its objects (issue 14: memory);
    holding a whole listing only to hand it to the cache at its end would keep them all. This
    base writer keeps nothing (the cache is off or the key is not cacheable).
    ``commit`` stores what was added; ``discard`` forgets it (a failed or cut-short request).
    """

    def add(self, items: list[Any]) -> None:
        """More items of the request, in listing order."""

    def commit(self) -> None:
        """The request is complete: store its items."""

    def discard(self) -> None:
        """The request failed or was cut short: store nothing."""


class _ListWriter(ScanWriter):
    """For a cache that keeps the objects themselves (``Cache=memory``): collected, put at the end."""

    def __init__(self, cache: TTLCache[list[Any]], key: Hashable) -> None:
        self.cache, self.key = cache, key
        self.items: list[Any] = []

    def add(self, items: list[Any]) -> None:
        self.items.extend(items)

    def commit(self) -> None:
        self.cache.put(self.key, self.items)
        self.items = []

    def discard(self) -> None:
        self.items = []


class _EncodingWriter(ScanWriter):
    """For the persistent cache: each page is encoded and compressed as it comes
    (:class:`~.cache_store.ItemsEncoder`), and what a refresh needs (``refresh.meta_for``) is
    gathered page by page; the entry is written once, at :meth:`commit`."""

    def __init__(self, cache: PersistentScanCache, key: ScanKey) -> None:
        self.cache, self.key = cache, key
        self.encoder: ItemsEncoder | None = ItemsEncoder()
        self.meta: dict[str, Any] = refresh.meta_for(key.table, [])

    def add(self, items: list[Any]) -> None:
        if self.encoder is None or not items:
            return
        try:
            self.encoder.add(items)
            self.meta = merge_meta(self.meta, refresh.meta_for(self.key.table, items))
        except (ValueError, TypeError, KeyError, zlib.error):
            self.encoder = None  # not storable: the query goes on, only the cache entry is lost
            return
        if self.encoder.size > self.cache.store.max_bytes:
            self.encoder = None  # larger than the whole cache (CacheStore.put_encoded would refuse it)

    def commit(self) -> None:
        encoder, self.encoder = self.encoder, None
        if encoder is None:
            return
        try:
            self.cache.store.put_encoded(self.cache._entry(self.key, [], self.meta), encoder.finish(), encoder.count)
        except (sqlite3.Error, OSError, ValueError, TypeError, zlib.error):
            return

    def discard(self) -> None:
        self.encoder = None


def merge_meta(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """``refresh.meta_for`` of two consecutive runs of items, as if of all of them: a high-water
    mark (an ISO timestamp) is the newer one, a list (unfinished objects) is the sorted union."""
    merged = dict(first)
    for name, value in second.items():
        held = merged.get(name)
        if held is None:
            merged[name] = value
        elif isinstance(held, list) and isinstance(value, list):
            merged[name] = sorted(set(held) | set(value))
        elif isinstance(held, str) and isinstance(value, str):
            merged[name] = max(held, value, key=_stamp_order)
        elif value is not None:
            raise TypeError(f"cannot merge the refresh data {name!r} of two pages")
    return merged


def _stamp_order(text: str) -> Any:
    import datetime

    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return float("-inf")


def scan_writer(cache: Any, key: Hashable) -> ScanWriter:
    """The writer for one request's items in ``cache`` (nothing kept when the cache is off)."""
    if not getattr(cache, "enabled", False):
        return ScanWriter()
    made = getattr(cache, "writer", None)
    return made(key) if made is not None else _ListWriter(cache, key)


# --- the caches -----------------------------------------------------------------------------------
class _Refreshing:
    """What both scan caches share about incremental refresh (:mod:`.refresh`): a scan's stale
    entries are refreshed concurrently before its requests are looked up (:meth:`prefetch`), and
    each refresh is current for that scan whatever ``CacheTTL`` says.

    A cache using it gives ``client``, ``_answering(key)`` (the entries that can answer a
    request, the closest first), ``_fresh(entry)``, ``_items(entry)`` and ``_refresh(entry)``
    (the entry's items brought up to date, or None: fetch it)."""

    client: Any
    enabled: bool

    def _init_refreshing(self) -> None:
        #: entries brought up to date by an incremental refresh (tests and benchmarks read it)
        self.refreshed = 0
        #: requests answered from a wider cached listing
        self.widened = 0
        self._stats_lock = threading.Lock()
        #: entries refreshed by the current scan's :meth:`prefetch`: entry key -> (items, requests
        #: still to answer). A refresh is current for the scan that made it whatever ``CacheTTL``
        #: says: a short TTL must not expire rows refreshed a moment ago, before the scan reads them
        self._prefetched: dict[str, tuple[list[Any], int]] = {}

    def _answering(self, key: ScanKey) -> list[tuple[ScanKey, Entry]]:
        raise NotImplementedError

    def _fresh(self, entry: Entry) -> bool:
        raise NotImplementedError

    def _items(self, entry: Entry) -> list[Any] | None:
        raise NotImplementedError

    def _refresh(self, entry: Entry) -> list[Any] | None:
        raise NotImplementedError

    def _can_refresh(self) -> bool:
        return self.enabled and self.client is not None

    def _stale(self, key: ScanKey) -> Entry | None:
        """The entry to refresh for ``key``: None when a fresh entry answers it or none can be refreshed."""
        entries = self._answering(key)
        if any(self._fresh(entry) for _, entry in entries):
            return None
        return next((entry for _, entry in entries if entry.complete and refresh.refreshable(entry.table)), None)

    def _from_entries(self, key: ScanKey) -> list[Any] | None:
        """The rows of a fresh entry that answers ``key`` (one :meth:`prefetch` refreshed first),
        else of the first one an incremental refresh updates; None: fetch them."""
        entries = self._answering(key)
        for candidate, entry in entries:
            if (items := self._take_prefetched(entry.key)) is not None:
                self._count_widened(candidate, key)
                return items
        fresh = [(candidate, entry) for candidate, entry in entries if self._fresh(entry)]
        for candidate, entry in fresh or entries:
            items = self._items(entry) if fresh else self._refresh(entry)
            if items is not None:
                self._count_widened(candidate, key)
                return items
        return None

    def prefetch(self, keys: list[Any]) -> None:
        """Refresh the stale entries of a scan's requests concurrently (one scope each), so that a
        refresh of 100 repositories takes the time of MaxConcurrency rounds, not of 100 requests.
        The requests run in copies of the caller's context: the query's accounting sees them."""
        with self._stats_lock:
            self._prefetched.clear()  # what an earlier scan left unread (a LIMIT stopped it)
        if not self._can_refresh():
            return
        try:
            found = [entry for key in keys if isinstance(key, ScanKey) and (entry := self._stale(key)) is not None]
        except (sqlite3.Error, OSError, ValueError, zlib.error):
            return
        uses = Counter(entry.key for entry in found)
        stale = list({entry.key: entry for entry in found}.values())  # one refresh per entry
        if len(stale) < 2:
            return  # one refresh runs in get() as it would here
        workers = max(1, min(len(stale), int(getattr(getattr(self.client, "settings", None), "max_concurrency", 8))))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bbsql-refresh") as pool:
            futures = [(entry, pool.submit(contextvars.copy_context().run, self._refresh, entry)) for entry in stale]
            for entry, future in futures:
                items = future.result()  # _refresh never raises: a failed refresh is a miss in get()
                if items is not None:
                    with self._stats_lock:
                        self._prefetched[entry.key] = (items, uses[entry.key])

    def _take_prefetched(self, entry_key: str) -> list[Any] | None:
        """The items :meth:`prefetch` refreshed for this entry (dropped after its last request)."""
        with self._stats_lock:
            found = self._prefetched.get(entry_key)
            if found is None:
                return None
            items, left = found
            if left <= 1:
                del self._prefetched[entry_key]
            else:
                self._prefetched[entry_key] = (items, left - 1)
            return items

    def _count_widened(self, candidate: ScanKey, key: ScanKey) -> None:
        if candidate is not key:
            with self._stats_lock:
                self.widened += 1

    def _count_refreshed(self) -> None:
        with self._stats_lock:
            self.refreshed += 1


class MemoryScanCache(_Refreshing, TTLCache[list[Any]]):
    """``Cache=memory``: the connection's own scan cache, keyed like the persistent one.

    A request's key leaves ``fields=`` out and each entry remembers the ``fields=`` its rows were
    read with, so a query selecting other columns of the same listing is answered from rows
    cached whole (:func:`widen_plans` asks for whole rows), and a narrow entry (a parent
    enumeration reading only the slugs) never answers a request for more columns than it holds.
    A complete listing also answers narrower filters, sorts, limits and objects by id, and past
    ``CacheTTL`` it is brought up to date by the table's change feed (:mod:`.refresh`), as the
    persistent cache's entries are. Keys that are not :class:`~.cache.ScanKey` (none today) are
    kept as given and expire."""

    def __init__(self, ttl: float, max_items: int, client: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ttl, max_weight=max_items, weigh=len, clock=clock)
        self.client = client
        self._init_refreshing()
        # entries outlive CacheTTL (an expired one is refreshed, not dropped); the size bound evicts
        self._rows: TTLCache[Entry] = TTLCache(math.inf, max_weight=max_items, weigh=lambda entry: len(entry.items))

    def get(self, key: Hashable) -> list[Any] | None:
        """The rows of ``key``, or of a complete listing that holds them (a narrower filter, a
        sort or limit, one object by id: DuckDB filters the rows again), as the persistent cache;
        an expired listing is refreshed incrementally when its table has a change feed."""
        if not isinstance(key, ScanKey):
            return super().get(key)
        if not self.enabled:
            return None
        items = self._from_entries(key)
        if items is not None:
            return items
        listing = listing_of_object(key)
        if listing is not None:
            held = self._rows.get(_bare(listing[0]))
            if held is not None and self._fresh(held) and held.fields == whole_fields(key.table, "list"):
                return object_in_listing(held.items, listing[1], listing[2])
        return None

    def put(self, key: Hashable, value: list[Any]) -> None:
        if not isinstance(key, ScanKey):
            super().put(key, value)
            return
        if not self.enabled:
            return
        params = dict(key.params)
        fields = params.get("fields")
        bare = _bare(key)
        held = self._rows.get(bare)
        if held is not None and held.fields != fields and _fields_cover(held.fields, fields, key) and self._fresh(held):
            return  # whole rows already cached: a narrower copy would only hide them
        stamp = self._clock()
        self._rows.put(bare, Entry(
            key=repr(bare), identity="", table=key.table, path=key.path, fields=fields,
            complete=key.limit is None and "page" not in params, items=value, stored_at=stamp, checked_at=stamp,
            meta={"params": _jsonable({k: v for k, v in params.items() if k != "fields"}),
                  **refresh.meta_for(key.table, value)}))

    def _fresh(self, entry: Entry) -> bool:
        return self._clock() - entry.checked_at < self.ttl

    def _items(self, entry: Entry) -> list[Any] | None:
        return entry.items

    def _answering(self, key: ScanKey) -> list[tuple[ScanKey, Entry]]:
        """(candidate, entry) for every cached entry that can answer ``key``, the closest first."""
        wanted = dict(key.params).get("fields")
        found: list[tuple[ScanKey, Entry]] = []
        for candidate in widening_candidates(key):
            entry = self._rows.get(_bare(candidate))
            if entry is not None and _covers(entry, wanted, key) and all(e is not entry for _, e in found):
                found.append((candidate, entry))
        return found

    def _refresh(self, entry: Entry) -> list[Any] | None:
        """The entry brought up to date through its table's change feed, or None (fetch it again).
        Never raises: whatever goes wrong is a miss, and the scan's own fetch reports it."""
        if not entry.complete or self.client is None or not refresh.refreshable(entry.table):
            return None
        try:
            result = refresh.refresh(self.client, entry)
        except Exception:  # noqa: BLE001 - see the docstring
            return None
        if result is None:
            return None
        entry.items, meta = result
        entry.meta = {"params": entry.meta.get("params", {}), **meta}
        entry.checked_at = self._clock()
        self._count_refreshed()
        return entry.items

    def discard_where(self, predicate: Callable[[Hashable], bool]) -> int:
        return super().discard_where(predicate) + self._rows.discard_where(predicate)

    def clear(self) -> None:
        super().clear()
        self._rows.clear()

    def __len__(self) -> int:
        return super().__len__() + len(self._rows)


def _bare(key: ScanKey) -> ScanKey:
    """The memory cache's key of a request: without ``fields=`` (an entry remembers its own) and,
    as the persistent cache's hash, with the page size only where it changes which rows come."""
    paged = key.limit is not None or any(name == "page" for name, _ in key.params)
    return key._replace(params=tuple((name, value) for name, value in key.params if name != "fields"),
                        pagelen=key.pagelen if paged else None, widenable=False)


class PersistentScanCache(_Refreshing, TTLCache[list[Any]]):
    """The scan cache over the shared SQLite store (the interface of :class:`~.cache.TTLCache`)."""

    def __init__(self, store: CacheStore, identity: str, ttl: float, client: Any = None) -> None:
        super().__init__(ttl, max_weight=1)
        self.store = store
        self.identity = identity
        self.client = client
        self._init_refreshing()

    # --- TTLCache interface ---------------------------------------------------------------------
    def get(self, key: Hashable) -> list[Any] | None:
        if not self.enabled or not isinstance(key, ScanKey):
            return None
        try:
            return self._lookup(key)
        except (sqlite3.Error, OSError, ValueError, zlib.error):
            return None  # the cache can only save requests, never fail a query

    def peek(self, key: Hashable) -> list[Any] | None:
        """The rows a fresh entry holds for ``key``, never refreshing a stale one (no request):
        what EXPLAIN counts instead of sampling (planner helper, issue 14)."""
        if not self.enabled or not isinstance(key, ScanKey):
            return None
        try:
            fresh = [entry for _, entry in self._answering(key) if self._fresh(entry)]
            return next((items for entry in fresh if (items := self._items(entry)) is not None), None)
        except (sqlite3.Error, OSError, ValueError, zlib.error):
            return None

    def put(self, key: Hashable, value: list[Any]) -> None:
        if not self.enabled or not isinstance(key, ScanKey):
            return
        try:
            self.store.put(self._entry(key, value, refresh.meta_for(key.table, value)))
        except (sqlite3.Error, OSError, ValueError, TypeError):
            return

    def writer(self, key: Hashable) -> ScanWriter:
        """A writer that stores one request's items page by page (see :class:`ScanWriter`)."""
        if not self.enabled or not isinstance(key, ScanKey):
            return ScanWriter()
        return _EncodingWriter(self, key)

    def _entry(self, key: ScanKey, items: list[Any], meta: dict[str, Any]) -> Entry:
        params = dict(key.params)
        stamp = now()
        return Entry(
            key=self._hash(key), identity=self.identity, table=key.table, path=key.path,
            fields=params.get("fields"), complete=key.limit is None and "page" not in params,
            items=items, stored_at=stamp, checked_at=stamp,
            meta={"params": _jsonable({k: v for k, v in params.items() if k != "fields"}), **meta},
        )

    def discard_where(self, predicate: Callable[[Hashable], bool]) -> int:
        """Write invalidation: ``predicate`` is asked about ``(kind, path)`` of each entry."""
        try:
            doomed = [key for key, path in self.store.paths(self.identity) if predicate(("list", path))]
            return self.store.delete(doomed)
        except (sqlite3.Error, OSError):
            return 0

    def clear(self) -> None:
        """Forget every entry of this identity (in every process)."""
        try:
            self.store.clear(identity=self.identity)
        except (sqlite3.Error, OSError):
            return

    def close(self) -> None:
        try:
            self.store.close()
        except sqlite3.Error:
            return

    def __len__(self) -> int:
        return sum(status.entries for status in self.store.status())

    def _fresh(self, entry: Entry) -> bool:
        return now() - entry.checked_at < self.ttl

    def _answering(self, key: ScanKey) -> list[tuple[ScanKey, Entry]]:
        """(candidate, entry) for every cached entry that can answer ``key``, the closest first."""
        wanted = dict(key.params).get("fields")
        found = []
        for candidate in self._candidates(key):
            entry = self.store.head(self._hash(candidate))  # items are read only for the one used
            if entry is not None and entry.identity == self.identity and _covers(entry, wanted, key):
                found.append((candidate, entry))
        return found

    # --- lookup -----------------------------------------------------------------------------------
    def _lookup(self, key: ScanKey) -> list[Any] | None:
        """A fresh entry that answers ``key``, else the first one an incremental refresh updates."""
        items = self._from_entries(key)
        if items is not None:
            return items
        if key.kind == "get":
            return self._from_listing(key)
        return None

    def _from_listing(self, key: ScanKey) -> list[Any] | None:
        """A GET of one object (``id IN (...)``) answered from a cached complete listing of its
        collection that holds it. An id the listing lacks is asked of Bitbucket, so a missing key
        is still reported as the fetch reports it."""
        found = listing_of_object(key)
        if found is None:
            return None
        listing, field, wanted = found
        entry = self.store.get(self._hash(listing))
        if entry is None or entry.identity != self.identity or entry.fields != whole_fields(key.table, "list"):
            return None
        if not self._fresh(entry):
            return None
        answer = object_in_listing(entry.items, field, wanted)
        if answer is not None:
            with self._stats_lock:
                self.widened += 1
        return answer

    def _candidates(self, key: ScanKey) -> list[ScanKey]:
        unique: list[ScanKey] = []
        for candidate in widening_candidates(key):
            if self._hash(candidate) not in {self._hash(k) for k in unique}:
                unique.append(candidate)
        return unique

    def _hash(self, key: ScanKey) -> str:
        """The entry key: identity, table, request without ``fields=`` (rows are whole, see
        :func:`widen_plans`); the page size only where it changes which rows a request returns."""
        params = [[name, value] for name, value in key.params if name != "fields"]
        paged = key.limit is not None or any(name == "page" for name, _ in key.params)
        text = json.dumps([self.identity, key.table, key.kind, key.path, params,
                           key.pagelen if paged else None, key.limit], default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _items(self, entry: Entry) -> list[Any] | None:
        """The entry's items (None if it vanished meanwhile: a write in another process)."""
        full = self.store.get(entry.key)
        return full.items if full is not None else None

    def _refresh(self, entry: Entry) -> list[Any] | None:
        """The entry brought up to date through its table's change feed, or None (fetch it again).

        Never raises: whatever goes wrong (a scope gone or denied, a rate limit, an unexpected
        answer) makes it a miss, and the scan's own fetch reports it properly."""
        if not entry.complete or self.client is None or not refresh.refreshable(entry.table):
            return None
        try:
            full = self.store.get(entry.key)
            if full is None:
                return None
            result = refresh.refresh(self.client, full)
        except Exception:  # noqa: BLE001 - see the docstring
            return None
        if result is None:
            return None
        items, meta = result
        full.meta = {"params": full.meta.get("params", {}), **meta}
        full.checked_at = now()
        with contextlib.suppress(sqlite3.Error, OSError, ValueError, TypeError):
            if items is full.items:  # no change: only when it was checked (no rows rewritten)
                self.store.touch(full.key, full.checked_at, full.meta)
            else:
                full.items = items
                self.store.put(full)
        self._count_refreshed()
        return full.items


def widening_candidates(key: ScanKey) -> list[ScanKey]:
    """The key itself, then (if widenable) complete listings of the same path that hold its rows:
    the same parameters without sort and limit, then the table's plain listing."""
    found = [key]
    if not key.widenable:
        return found
    table = registry.get_table(key.table)
    sort_param = (table.sort_param if table is not None else None) or "sort"
    params = dict(key.params)
    unsorted = {k: v for k, v in params.items() if k != sort_param}
    found.append(key._replace(params=tuple(sorted(unsorted.items())), limit=None, pagelen=None))
    if table is not None:
        plain = {k: v for k, v in unsorted.items() if k not in ("q", "fields")}
        for name, values in table.fixed_params:
            plain.setdefault(name, tuple(values) if len(values) > 1 else values[0])
        if "fields" in params:
            plain["fields"] = params["fields"]
        found.append(key._replace(params=tuple(sorted(plain.items())), limit=None, pagelen=None))
    return found


def listing_of_object(key: ScanKey) -> tuple[ScanKey, str, str] | None:
    """For a GET of one object: (the complete plain listing of its collection, the JSON field of
    its key, the key value), when such a listing could answer it; else None."""
    table = registry.get_table(key.table)
    if key.kind != "get" or table is None or not table.get_path or not table.get_key:
        return None
    if table.get_path.rsplit("/", 1)[0] != table.path:
        return None
    column = table.column(table.get_key[0])
    if column is None or not column.path or "." in column.path:
        return None
    parent, _, wanted = key.path.rpartition("/")
    plain = {name: tuple(values) if len(values) > 1 else values[0] for name, values in table.fixed_params}
    return ScanKey("list", parent, tuple(sorted(plain.items())), None, None, table.name, True), column.path, wanted


def object_in_listing(items: list[Any], field: str, wanted: str) -> list[Any] | None:
    """The one item of a listing whose ``field`` is ``wanted`` (as a one-item answer), else None."""
    found = [item for item in items if isinstance(item, dict) and unquote(str(item.get(field))) == unquote(wanted)]
    return found if len(found) == 1 else None


def _covers(entry: Entry, wanted: str | None, key: ScanKey) -> bool:
    """Whether the entry's rows have every field the request asks for."""
    return _fields_cover(entry.fields, wanted, key)


def _fields_cover(held: str | None, wanted: str | None, key: ScanKey) -> bool:
    """Whether rows read with ``fields=held`` have every field a request with ``fields=wanted``
    asks for: the same ``fields=``, or whole rows (what :func:`widen_plans` asks for)."""
    if held == wanted:
        return True
    return held == whole_fields(key.table, key.kind)


def whole_fields(table_name: str, kind: str) -> str | None:
    """The ``fields=`` of whole rows of a table: the fields its listing leaves out, or None."""
    table = registry.get_table(table_name)
    if table is None or kind != "list" or table.paging in ("single", "raw"):
        return None
    extra = [c for c in table.columns if not c.default_field and c.path]
    return ",".join(f"+values.{c.path}" for c in extra) if extra else None


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
