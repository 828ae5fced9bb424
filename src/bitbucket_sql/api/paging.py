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

Servers are not trusted to end their collections: every page must be the documented envelope
(a ``values`` list), a ``next`` link that leads back to a page already requested is a cycle,
a collection stops with an error after ``max_pages`` pages, and the page plan of a list
collection is made lazily (a ``size`` of 10**9 costs nothing until pages are really needed).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bitbucket_sql.api.errors import BitbucketError, TooManyPagesError, UnexpectedResponseError
from bitbucket_sql.api.pool import WorkerPool, on_worker_thread
from bitbucket_sql.api.redact import redact_url

if TYPE_CHECKING:  # the client that runs the pages has httpx loaded; importing this module must not
    import httpx

#: Yielded as ``(key, PAGES_END)`` after a collection's last item when the caller asks for it
#: (``announce_end``): a consumer can then finish with that collection (store it, convert it,
#: free its items) while the others are still being fetched, instead of holding them all.
PAGES_END = object()


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
    size, number = page.get("size"), page.get("page")
    return isinstance(size, int) and isinstance(number, int) and _is_int(size) and size >= 0 and _is_int(number) and number >= 1


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def check_page(page: Any, url: httpx.URL) -> dict[str, Any]:
    """The page if it is Bitbucket's paged envelope, else an error that says what is wrong.

    The envelope is ``{"values": [...], "next": "<url>", "size": n, "page": n, "pagelen": n}``
    with only ``values`` required. Anything else (a list, an error object answered with 200,
    ``values`` that is not a list) would otherwise read as an empty collection.
    """

    def wrong(what: str) -> UnexpectedResponseError:
        return UnexpectedResponseError(
            f"the answer is not a page of a Bitbucket collection: {what}",
            method="GET",
            url=str(url),
            hint="Check that BaseURL points at the REST API root (for Bitbucket Cloud "
            "https://api.bitbucket.org/2.0); if it does, the server broke the documented paging format",
        )

    if not isinstance(page, dict):
        raise wrong(f"expected a JSON object with a 'values' list, got a JSON {_kind(page)}")
    if "values" not in page:
        keys = ", ".join(sorted(map(str, page))[:8]) or "none"
        raise wrong(f"it has no 'values' list (keys: {keys})")
    if not isinstance(page["values"], list):
        raise wrong(f"'values' is a {_kind(page['values'])}, not a list")
    if page.get("next") is not None and not isinstance(page["next"], str):
        raise wrong(f"'next' is a {_kind(page['next'])}, not a URL")
    for name in ("size", "page", "pagelen"):
        if page.get(name) is not None and not (_is_int(page[name]) and page[name] >= 0):
            raise wrong(f"'{name}' is {page[name]!r}, not a whole number")
    return page


@dataclass
class _Stream:
    """The state of one pagination."""

    key: Any
    first_url: httpx.URL
    yielded: int = 0
    next_to_yield: int = 0  # page index (0 = first page) whose items (or error) are due next
    ready: dict[int, list[Any] | BaseException] = field(default_factory=dict)
    scheduled_until: int = 0  # highest page index scheduled so far
    final_index: int | None = None  # index of the last page, once known
    # list style: pages 1..planned_last are addressed as ``template`` with ``page=first_page+i``
    template: httpx.URL | None = None
    first_page: int = 1
    planned_last: int = 0
    next_planned: int = 1  # the next planned page index to schedule
    claimed_size: int | None = None  # the first page's ``size`` (a claim, never an allocation)
    plan_cut_by_limit: bool = False  # list style: fewer pages planned than exist, because of limit
    requested: set[str] = field(default_factory=set)  # URLs requested so far (cycle detection)
    finished: bool = False

    def finish(self) -> None:
        self.finished = True
        self.ready.clear()

    def has_planned_pages(self) -> bool:
        return not self.finished and self.template is not None and self.next_planned <= self.planned_last


class PageScheduler:
    """Runs paginations on ``pool``; ``fetch(url)`` returns one page, ``check_link(url)`` vets ``next``.

    ``max_pages`` is the most pages one pagination may request; reaching it with more to come
    raises :class:`TooManyPagesError`.
    """

    def __init__(
        self,
        pool: WorkerPool,
        fetch: Callable[[httpx.URL], Any],
        check_link: Callable[[httpx.URL], None],
        *,
        limit: int | None,
        return_errors: bool,
        window: int,
        max_pages: int = 2000,
        announce_end: bool = False,
        reads_all: bool = False,
        decode: Callable[[Any], dict[str, Any]] | None = None,
    ) -> None:
        self.pool = pool
        self.fetch = fetch
        #: turns what ``fetch`` returned into the page's JSON, on this (the caller's) thread when
        #: the page's turn comes: a page that waits for the caller waits as its compact body,
        #: not as decoded objects (several times larger), so the window costs little memory
        self.decode = decode
        self.check_link = check_link
        self.limit = limit
        self.return_errors = return_errors
        self.window = window
        self.max_pages = max_pages
        self.announce_end = announce_end
        #: the caller reads every item (no early stop of its own): a collection's next page may be
        #: requested before the items of the page before it are handed over
        self.reads_all = reads_all
        self._sources: Iterator[tuple[Any, httpx.URL]] | None = None
        self.pending: deque[tuple[_Stream, int, httpx.URL]] = deque()
        self.planned: deque[_Stream] = deque()  # list-style streams with pages left to schedule
        self.inflight: dict[Future[Any], tuple[_Stream, int]] = {}

    def run(self, sources: Iterator[tuple[Any, httpx.URL]]) -> Iterator[tuple[Any, Any]]:
        """Yield ``(key, item)`` for every ``(key, first page URL)`` of ``sources``."""
        inline = on_worker_thread()  # never wait for the pool from inside it
        window = 1 if inline else self.window
        self._sources = sources
        try:
            while True:
                self._fill(window, inline)
                if not self.inflight:
                    return
                done, _ = wait(self.inflight, return_when=FIRST_COMPLETED)
                arrived = [self._arrive(future) for future in sorted(done, key=lambda f: self.inflight[f][1])]
                if self.reads_all and not inline:
                    # the next pages leave before the caller works on these items, so a smaller
                    # window keeps the pool as busy (client.paginate_many): fewer pages wait
                    self._fill(window, inline)
                for stream in arrived:
                    if stream is not None:
                        yield from self._flush(stream)
        finally:
            for future in self.inflight:
                future.cancel()

    def _fill(self, window: int, inline: bool) -> None:
        """Start pages until ``window`` are in flight or none is left to start."""
        while len(self.inflight) < window:
            job = self._next_job()
            if job is None:
                if self._sources is None:
                    return
                try:
                    key, url = next(self._sources)
                except StopIteration:
                    self._sources = None
                    return
                stream = _Stream(key=key, first_url=url)
                stream.requested.add(str(url))
                self.pending.append((stream, 0, url))
                continue
            stream, index, url = job
            self.inflight[self._start(url, inline)] = (stream, index)

    def _arrive(self, future: Future[Any]) -> _Stream | None:
        """Take a finished page: store its items (or its error) and plan what follows it.
        Returns its stream, or None for a page no longer wanted."""
        stream, index = self.inflight.pop(future)
        if stream.finished or (stream.final_index is not None and index > stream.final_index):
            return None  # a page past the end, or of a collection already done
        error = future.exception()
        at = index
        if error is None:
            try:
                fetched = future.result()
                self._plan_after(stream, index, fetched if self.decode is None else self.decode(fetched))
            except BitbucketError as planning_error:
                # a page that was fine but leads nowhere: its items first, then the error
                error, at = planning_error, index + 1 if index in stream.ready else index
        if error is not None:
            if not isinstance(error, BitbucketError):
                raise error
            # delivered in page order: a failure past the real end never surfaces
            stream.ready[at] = error
            stream.final_index = at if stream.final_index is None else min(stream.final_index, at)
        return stream

    def _next_job(self) -> tuple[_Stream, int, httpx.URL] | None:
        """The next page to request: planned list pages first, then queued pages and first pages."""
        while self.planned:
            stream = self.planned[0]
            if not stream.has_planned_pages():
                self.planned.popleft()
                continue
            index = stream.next_planned
            stream.next_planned += 1
            stream.scheduled_until = max(stream.scheduled_until, index)
            assert stream.template is not None
            url = with_page(stream.template, stream.first_page + index)
            stream.requested.add(str(url))
            return stream, index, url
        while self.pending:
            stream, index, url = self.pending.popleft()
            if not stream.finished:
                return stream, index, url
        return None

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
        page = check_page(page, stream.first_url)
        values = list(page["values"])
        stream.ready[index] = values
        next_url: httpx.URL | None = None
        if page.get("next"):
            from bitbucket_sql.api._httpx import httpx

            next_url = httpx.URL(str(page["next"]))
            self.check_link(next_url)
        if index == 0 and next_url is not None and is_list_style(page):
            pagelen = page.get("pagelen") or len(values) or 1
            first_page, size = int(page["page"]), int(page["size"])
            last_page = max(first_page, math.ceil(size / pagelen))
            if self.limit is not None:
                enough = first_page + math.ceil(max(0, self.limit - len(values)) / pagelen)
                stream.plan_cut_by_limit = enough < last_page
                last_page = min(last_page, enough)
            # Planned lazily: only the pages the window can hold exist at any time.
            # ``size`` is only a claim: at most MaxPages pages are planned; if the pages really go
            # on past that, following ``next`` from the last planned page hits the page budget.
            stream.template, stream.first_page, stream.claimed_size = next_url, first_page, size
            stream.planned_last = min(last_page - first_page, self.max_pages - 1)
            stream.next_planned = 1
            if stream.planned_last == 0:
                stream.final_index = 0
            else:
                self.planned.appendleft(stream)  # before other collections' first pages
            return
        if stream.template is not None and index < stream.planned_last and next_url is None:
            # the list ended before its ``size`` said it would: plan no more pages
            stream.planned_last = index
            stream.final_index = index if stream.final_index is None else min(stream.final_index, index)
            return
        fetched = stream.yielded + sum(len(v) for v in stream.ready.values() if isinstance(v, list))
        wanted_more = not stream.plan_cut_by_limit and (self.limit is None or fetched < self.limit)
        if next_url is not None and index >= stream.scheduled_until and wanted_more:
            # cursor style, or a list that grew past the pages planned from ``size``
            if str(next_url) in stream.requested:
                raise UnexpectedResponseError(
                    f"the 'next' link of page {index + 1} leads back to a page already read "
                    f"({redact_url(str(next_url))}), so the collection would never end",
                    method="GET",
                    url=str(stream.first_url),
                    hint="The server's paging is broken; report it (bitbucket-sql stopped instead of looping)",
                )
            self._check_page_budget(stream, index + 1)
            stream.requested.add(str(next_url))
            stream.scheduled_until = index + 1
            self.pending.appendleft((stream, index + 1, next_url))
            return
        if index >= stream.scheduled_until:
            stream.final_index = index

    def _check_page_budget(self, stream: _Stream, index: int) -> None:
        """Refuse to request page ``index`` (0-based) when that exceeds ``max_pages``."""
        if index < self.max_pages:
            return
        said = f" (the server reports {stream.claimed_size:,} items)" if stream.claimed_size is not None else ""
        raise TooManyPagesError(
            f"the collection did not end within MaxPages={self.max_pages} pages{said}",
            method="GET",
            url=str(stream.first_url),
            hint="Narrow the query (fix repository or other keys, add filters or LIMIT) or raise "
            "MaxPages; a collection that never ends is a server bug",
        )

    def _flush(self, stream: _Stream) -> Iterator[tuple[Any, Any]]:
        """Yield the items of every page that is next in order and has arrived."""
        while stream.next_to_yield in stream.ready and not stream.finished:
            page = stream.ready.pop(stream.next_to_yield)
            if isinstance(page, BaseException):
                stream.finish()
                if self.return_errors:
                    yield stream.key, page
                    return
                raise page
            for item in page:
                if self.limit is not None and stream.yielded >= self.limit:
                    break
                stream.yielded += 1
                yield stream.key, item
            if stream.final_index is not None and stream.next_to_yield >= stream.final_index:
                stream.finish()
            if self.limit is not None and stream.yielded >= self.limit:
                stream.finish()
            stream.next_to_yield += 1
            if stream.finished and self.announce_end:
                yield stream.key, PAGES_END
