"""Time-limited caches: whole results and fetched scans.

Two levels, both with the connection's CacheTTL (0 turns both off):

* the **result cache** maps (query text after parameter binding, default schema, pushdown)
  to the finished result, so repeating a query inside the TTL makes no request at all;
* the **scan cache** maps one request (path, parameters, page size, limit) to the items it
  returned, so different queries that need the same listing (the repositories of a
  workspace, the pull requests of one repository) share it.

Entries are evicted least-recently-used beyond a size bound (counted in items for scans) so a
long session cannot grow without limit.

With ``Cache=persistent`` (the default) the scan cache is
:class:`~bitbucket_sql.engine.cache_scans.PersistentScanCache` instead, shared by every process
of the same user (``engine/cache_store.py``); its keys are the same :class:`ScanKey` tuples.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, NamedTuple, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    """A thread-safe LRU cache whose entries expire ``ttl`` seconds after being stored."""

    def __init__(
        self,
        ttl: float,
        *,
        max_weight: int,
        weigh: Callable[[V], int] = lambda _: 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_weight = max_weight
        self._weigh = weigh
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, int, V]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, key: Hashable) -> V | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, weight, value = entry
            if expires <= self._clock():
                del self._entries[key]
                self._weight -= weight
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        if not self.enabled:
            return
        weight = max(1, self._weigh(value))
        if weight > self.max_weight:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._entries[key] = (self._clock() + self.ttl, weight, value)
            self._weight += weight
            while self._weight > self.max_weight and self._entries:
                _, (_, dropped, _) = self._entries.popitem(last=False)
                self._weight -= dropped

    def discard_where(self, predicate: Callable[[Hashable], bool]) -> int:
        """Drop every entry whose key matches ``predicate`` (a write invalidating what it changed)."""
        with self._lock:
            doomed = [key for key in self._entries if predicate(key)]
            for key in doomed:
                _, weight, _ = self._entries.pop(key)
                self._weight -= weight
            return len(doomed)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._weight = 0

    def close(self) -> None:
        """Release the entries (the connection is closing)."""
        self.clear()

    def prefetch(self, keys: list[Any]) -> None:
        """Called with every key of a scan's requests before they are looked up one by one: the
        persistent cache refreshes its stale entries concurrently here; nothing to do in memory."""

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def request_key(
    path: str, params: dict[str, Any], pagelen: int | None, limit: int | None, kind: str
) -> tuple[str, str, tuple[tuple[str, Any], ...], int | None, int | None]:
    """A hashable identity of one request (repeated parameters as sorted tuples)."""
    frozen = tuple(sorted((name, tuple(v) if isinstance(v, list | tuple) else v) for name, v in params.items()))
    return kind, path, frozen, pagelen, limit


class ScanKey(NamedTuple):
    """One request of a scan, as the scan caches see it.

    The first five fields are :func:`request_key`'s (``key[1]`` is the path: write invalidation
    matches on it). ``table`` names the catalog table; ``widenable`` says a wider cached listing
    of the same path may answer it (rows are re-filtered by DuckDB, see ``cache_scans``).
    """

    kind: str
    path: str
    params: tuple[tuple[str, Any], ...]
    pagelen: int | None
    limit: int | None
    table: str = ""
    widenable: bool = False


def scan_key(
    plan: Any, path: str, params: dict[str, Any], pagelen: int | None, limit: int | None, kind: str,
    *, one_page: bool = False,
) -> ScanKey:
    """The cache key of one request of ``plan`` (a ``ScanPlan``).

    A request may be answered from a wider cached listing only when extra rows cannot change the
    answer: a list request of a table with a primary key (rows merge) and no listing-order column
    (positions would differ), not one page of a range early stop (it pages on from there).
    """
    table = plan.table
    frozen = request_key(path, params, pagelen, limit, kind)[2]
    widenable = (
        kind == "list" and not one_page and "page" not in params and bool(table.primary_key)
        and not any(column.listing_order for column in table.columns)
    )
    return ScanKey(kind, path, frozen, pagelen, limit, table.name, widenable)
