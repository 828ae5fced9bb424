"""Paging Bitbucket collections: both styles, concurrently, in order, with early stops.

Bitbucket has two paging styles. *List* collections report ``size`` and ``page`` on the first
page; their remaining pages are fetched concurrently by setting only the ``page`` parameter of
the first ``next`` link (everything else in that link, which echoes the original query, stays
byte-identical). *Cursor* collections (commits, PR activity) only offer an opaque ``next``,
followed one page after another. ``next`` links are always used verbatim, never re-built from
the caller's parameters (re-appending parameters duplicates ``q`` and earns 400s).

:class:`PageScheduler` drives many paginations at once from the caller's thread: it keeps at
most a window of page requests on the shared pool, yields each collection's items in page
order, and stops a collection after ``limit`` items without requesting more pages.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any

import httpx

from bitbucket_sql.api.errors import BitbucketError
from bitbucket_sql.api.pool import WorkerPool, on_worker_thread


def with_page(url: httpx.URL, page: int) -> httpx.URL:
    """``url`` with only its ``page`` query parameter set to ``page`` (other bytes untouched)."""
    raw = url.query.decode("ascii")
    parts = [part for part in raw.split("&") if part] if raw else []
    out: list[str] = []
    replaced = False
    for part in parts:
        if part.split("=", 1)[0] == "page":
            if not replaced:
                out.append(f"page={page}")
                replaced = True
            continue
        out.append(part)
    if not replaced:
        out.append(f"page={page}")
    return url.copy_with(query="&".join(out).encode("ascii"))


def is_list_style(page: dict[str, Any]) -> bool:
    """Whether a first page reports ``size`` and ``page`` (so other pages can be addressed)."""
    try:
        return int(page["size"]) >= 0 and int(page["page"]) >= 1
    except (KeyError, TypeError, ValueError):
        return False


@dataclass
class _Stream:
    """The state of one pagination."""

    key: Any
    yielded: int = 0
    next_to_yield: int = 0  # page index (0 = first page) whose items are due next
    ready: dict[int, list[Any]] = field(default_factory=dict)
    scheduled_until: int = 0  # highest page index scheduled so far
    final_index: int | None = None  # index of the last page, once known
    plan_cut_by_limit: bool = False  # list style: fewer pages planned than exist, because of limit
    finished: bool = False

    def finish(self) -> None:
        self.finished = True
        self.ready.clear()


class PageScheduler:
    """Runs paginations on ``pool``; ``fetch(url)`` returns one page, ``check_link(url)`` vets ``next``."""

    def __init__(
        self,
        pool: WorkerPool,
        fetch: Callable[[httpx.URL], dict[str, Any]],
        check_link: Callable[[httpx.URL], None],
        *,
        limit: int | None,
        return_errors: bool,
        window: int,
    ) -> None:
        self.pool = pool
        self.fetch = fetch
        self.check_link = check_link
        self.limit = limit
        self.return_errors = return_errors
        self.window = window
        self.pending: deque[tuple[_Stream, int, httpx.URL]] = deque()
        self.inflight: dict[Future[Any], tuple[_Stream, int]] = {}

    def run(self, sources: Iterator[tuple[Any, httpx.URL]]) -> Iterator[tuple[Any, Any]]:
        """Yield ``(key, item)`` for every ``(key, first page URL)`` of ``sources``."""
        inline = on_worker_thread()  # never wait for the pool from inside it
        window = 1 if inline else self.window
        exhausted = False
        try:
            while True:
                while len(self.inflight) < window and (self.pending or not exhausted):
                    if not self.pending:
                        try:
                            key, url = next(sources)
                        except StopIteration:
                            exhausted = True
                            break
                        self.pending.append((_Stream(key=key), 0, url))
                        continue
                    stream, index, url = self.pending.popleft()
                    if not stream.finished:
                        self.inflight[self._start(url, inline)] = (stream, index)
                if not self.inflight:
                    return
                done, _ = wait(self.inflight, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: self.inflight[f][1]):
                    stream, index = self.inflight.pop(future)
                    if stream.finished:
                        continue
                    error = future.exception()
                    if error is not None:
                        if isinstance(error, BitbucketError) and self.return_errors:
                            stream.finish()
                            yield stream.key, error
                            continue
                        raise error
                    self._plan_after(stream, index, future.result())
                    yield from self._flush(stream)
        finally:
            for future in self.inflight:
                future.cancel()

    def _start(self, url: httpx.URL, inline: bool) -> Future[Any]:
        if not inline:
            return self.pool.submit(self.fetch, url)
        future: Future[Any] = Future()
        try:
            future.set_result(self.fetch(url))
        except BaseException as error:  # noqa: BLE001 - delivered through the future like a worker's
            future.set_exception(error)
        return future

    def _plan_after(self, stream: _Stream, index: int, page: dict[str, Any]) -> None:
        """Store a fetched page and schedule whatever comes after it."""
        values = page.get("values")
        stream.ready[index] = list(values) if isinstance(values, list) else []
        next_url: httpx.URL | None = None
        if page.get("next"):
            next_url = httpx.URL(str(page["next"]))
            self.check_link(next_url)
        if index == 0 and next_url is not None and is_list_style(page):
            pagelen = int(page["pagelen"]) if page.get("pagelen") else len(stream.ready[0]) or 1
            first_page, size = int(page["page"]), int(page["size"])
            last_page = max(first_page, math.ceil(size / pagelen))
            if self.limit is not None:
                enough = first_page + math.ceil(max(0, self.limit - len(stream.ready[0])) / pagelen)
                stream.plan_cut_by_limit = enough < last_page
                last_page = min(last_page, enough)
            upcoming = [(stream, n - first_page, with_page(next_url, n)) for n in range(first_page + 1, last_page + 1)]
            stream.scheduled_until = last_page - first_page
            self.pending.extendleft(reversed(upcoming))  # before other collections' first pages
            if not upcoming:
                stream.final_index = 0
            return
        fetched = stream.yielded + sum(map(len, stream.ready.values()))
        wanted_more = not stream.plan_cut_by_limit and (self.limit is None or fetched < self.limit)
        if next_url is not None and index >= stream.scheduled_until and wanted_more:
            # cursor style, or a list that grew past the pages planned from ``size``
            stream.scheduled_until = index + 1
            self.pending.appendleft((stream, index + 1, next_url))
            return
        if index >= stream.scheduled_until:
            stream.final_index = index

    def _flush(self, stream: _Stream) -> Iterator[tuple[Any, Any]]:
        """Yield the items of every page that is next in order and has arrived."""
        while stream.next_to_yield in stream.ready and not stream.finished:
            for item in stream.ready.pop(stream.next_to_yield):
                if self.limit is not None and stream.yielded >= self.limit:
                    break
                stream.yielded += 1
                yield stream.key, item
            if stream.final_index is not None and stream.next_to_yield >= stream.final_index:
                stream.finish()
            if self.limit is not None and stream.yielded >= self.limit:
                stream.finish()
            stream.next_to_yield += 1
