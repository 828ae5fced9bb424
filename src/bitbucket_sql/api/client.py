"""``BitbucketClient``: every HTTP request bitbucket-sql makes to Bitbucket goes through here.

One client per connection, safe to share between threads. It owns one ``httpx.Client``
(keep-alive pool limited to MaxConcurrency sockets) and one thread pool of MaxConcurrency
workers used by everything it does concurrently, so a fan-out over 500 repositories never
opens more than MaxConcurrency connections. Paging follows ``next`` verbatim; list-style
collections (``size`` + ``page`` on the first page) fetch their remaining pages concurrently.
Retries, credential renewal, redirects, accounting and the cross-host rule live in
:meth:`BitbucketClient.request`.
"""

from __future__ import annotations

import json as json_module
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from bitbucket_sql.api import accounting
from bitbucket_sql.api._httpx import httpx
from bitbucket_sql.api.accounting import ClientStats, RateLimitStatus, Recording, RequestRecord
from bitbucket_sql.api.auth import AuthScheme, build_auth
from bitbucket_sql.api.deadline import DeadlineTransport, request_deadline
from bitbucket_sql.api.errors import (
    BitbucketError,
    CrossHostError,
    DeadlineExceededError,
    TransportError,
    UnexpectedResponseError,
    error_for_status,
)
from bitbucket_sql.api.paging import PageScheduler
from bitbucket_sql.api.pool import WorkerPool, run_bounded
from bitbucket_sql.api.raw_stream import RawBody, raw_body, read_capped
from bitbucket_sql.api.redact import install_library_filters, redact_headers, redact_url
from bitbucket_sql.api.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from bitbucket_sql.api.settings import ConnectionSettings, is_loopback, origin_of, parse_connection_string
from bitbucket_sql.api.transport import ssl_context, user_agent
from bitbucket_sql.api.verbose_log import HEADERS_LOG, HTTP_LOG, RETRY_LOG, configure_logging, release

Params = dict[str, Any] | None
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Statuses that say the server refused a request before acting on it: repeated even for a POST.
REFUSED_UNPROCESSED = frozenset({429})
MAX_REDIRECTS = 5
#: Transport failures worth retrying (the request may not have reached the server, or its
#: answer was lost). Certificate failures are not: retrying cannot fix them.
RETRYABLE_TRANSPORT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

install_library_filters()


class BitbucketClient:
    """Thread-safe Bitbucket Cloud REST 2.0 client for one connection.

    ``settings`` may be a :class:`ConnectionSettings` or a connection string. ``auth``
    overrides the scheme built from the settings; ``interactive=False`` never opens a browser
    for OAuth. ``retry_base_delay`` overrides RetryBaseDelay (tests use milliseconds);
    ``transport`` is passed to httpx (tests may mount one).
    """

    #: ``paginate_many(..., announce_end=True)`` is understood (callers may hold other clients)
    announces_end = True

    def __init__(
        self,
        settings: ConnectionSettings | str | None = None,
        *,
        auth: AuthScheme | None = None,
        interactive: bool = True,
        retry_base_delay: float | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if settings is None or isinstance(settings, str):
            settings = parse_connection_string(settings)
        self.settings = settings
        verify = ssl_context(settings)
        self._log_key = configure_logging(settings)
        try:
            self.auth = auth if auth is not None else build_auth(settings, interactive=interactive)
        except BaseException:
            release(self._log_key)
            raise
        self.retry_policy = RetryPolicy(
            max_retries=settings.max_retries,
            max_total_wait=settings.max_retry_wait,
            base_delay=settings.retry_base_delay if retry_base_delay is None else retry_base_delay,
        )
        self._sleep = sleep
        self._origin = settings.api_origin
        self._base = settings.base_url.rstrip("/")
        limits = httpx.Limits(
            max_connections=settings.max_concurrency,
            max_keepalive_connections=settings.max_concurrency,
        )
        self._http = httpx.Client(
            timeout=settings.timeout,
            limits=limits,
            headers={"User-Agent": user_agent(settings), "Accept": "application/json"},
            verify=verify,
            follow_redirects=False,
            # every request ends within Timeout in total, not per read (see api/deadline.py)
            transport=transport if transport is not None else DeadlineTransport(verify=verify, limits=limits),
        )
        self._pool = WorkerPool(settings.max_concurrency)
        #: pages/objects queued or running per fan-out: enough to keep every worker busy
        self._window_size = settings.max_concurrency * 2
        self._stats = ClientStats()
        self._stats_lock = threading.Lock()
        # Bitbucket counts per credential; the same credential on another host is another budget.
        self._window = accounting.window_for("{}://{}:{}".format(*self._origin) + " " + self.auth.fingerprint())
        self._rate_headers: dict[str, str] = {}
        self._closed = False

    # --- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Close sockets, stop the worker threads and release token clients."""
        if self._closed:
            return
        self._closed = True
        self._pool.shutdown()
        self._http.close()
        self.auth.close()
        release(self._log_key)

    def __enter__(self) -> BitbucketClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<BitbucketClient {self._base} auth={self.auth.name}>"

    # --- accounting -------------------------------------------------------------------------
    @property
    def stats(self) -> ClientStats:
        """Totals for this client since it was created (a snapshot)."""
        with self._stats_lock:
            return self._stats.copy()

    def recording(self) -> AbstractContextManager[Recording]:
        """``with client.recording() as rec:`` collects the requests made for one query.

        Requests made by this client's worker threads on behalf of the code inside the block
        count too (work is submitted with a copy of the caller's context).
        """
        return accounting.recording()

    @property
    def rate_limit(self) -> RateLimitStatus:
        """Requests in the last rolling hour for this credential, the limit and what remains."""
        used = self._window.count()
        limit = self.settings.rate_limit_per_hour
        headers = dict(self._rate_headers)
        remaining = max(0, limit - used)
        near = headers.get("X-RateLimit-NearLimit", "").lower() == "true" or remaining < limit * 0.1
        return RateLimitStatus(used_last_hour=used, limit=limit, remaining=remaining, near_limit=near, headers=headers)

    def _record(self, record: RequestRecord, failed: bool) -> None:
        with self._stats_lock:
            stats = self._stats
            stats.requests += 1
            stats.attempts += record.retries + 1
            stats.retries += record.retries
            stats.bytes += record.bytes
            stats.duration += record.duration
            stats.errors += int(failed)
            if record.status is not None:
                stats.statuses[record.status] += 1
        for rec in accounting.active_recordings():
            rec.add(record)

    # --- URLs -----------------------------------------------------------------------------
    def url_for(self, path: str, params: Params = None) -> httpx.URL:
        """The absolute URL for a path relative to BaseURL (or an absolute URL on the API host)."""
        if path.startswith(("http://", "https://")):
            url = httpx.URL(path)
            self._require_api_origin(url, "URL")
        else:
            url = httpx.URL(self._base + ("" if path.startswith("/") else "/") + path)
        if params:
            clean = {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items() if v is not None}
            url = url.copy_merge_params(clean)
        return url

    def _same_origin(self, url: httpx.URL) -> bool:
        return origin_of(str(url)) == self._origin

    def _require_api_origin(self, url: httpx.URL, what: str) -> None:
        if not self._same_origin(url):
            scheme, host, port = origin_of(str(url))
            api = "{}://{}:{}".format(*self._origin)
            raise CrossHostError(
                f"a {what} pointed to {scheme}://{host}:{port}, which is not the API host {api}",
                url=str(url),
                hint=(
                    "bitbucket-sql only sends credentials to the BaseURL host and refuses to follow "
                    "links elsewhere; check BaseURL (it must be the host that serves the API) or "
                    "report the response as a server bug"
                ),
            )

    # --- single requests ----------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params = None,
        json: Any = None,
        data: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one request with retries; return the final 2xx response or raise a BitbucketError.

        GET, PUT and DELETE are retried on 429/5xx/timeouts/dropped connections. A POST that
        may have reached the server (a timeout or dropped connection after sending, a 5xx) is
        never repeated unless ``idempotent=True``: it might have been applied, and a second one
        would create a second object. Failures that prove the server did not act on it are
        retried for every method: a 429 (refused before processing) and a connection that could
        not be opened (nothing was sent). A 401 triggers one credential renewal and retry.
        """
        method = method.upper()
        retry = idempotent if idempotent is not None else method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS")
        url = self.url_for(path, params)
        return self._send(method, url, json=json, data=data, retry=retry)

    def get(self, path: str, params: Params = None) -> dict[str, Any]:
        """GET a JSON object (path relative to BaseURL, or an absolute URL on the API host)."""
        return self._json(self.request("GET", path, params=params))

    def post(self, path: str, json: Any = None, *, idempotent: bool = False, params: Params = None) -> Any:
        """POST JSON; never retried automatically unless ``idempotent=True``."""
        return self._json(self.request("POST", path, params=params, json=json, idempotent=idempotent), empty_ok=True)

    def put(self, path: str, json: Any = None, *, params: Params = None) -> Any:
        return self._json(self.request("PUT", path, params=params, json=json), empty_ok=True)

    def delete(self, path: str, *, params: Params = None) -> Any:
        return self._json(self.request("DELETE", path, params=params), empty_ok=True)

    @staticmethod
    def _json(response: httpx.Response, empty_ok: bool = False) -> Any:
        if empty_ok and not response.content:
            return None
        try:
            return json_module.loads(response.content)
        except ValueError as error:
            raise _not_json(response, error) from None

    def _send(
        self, method: str, url: httpx.URL, *, json: Any, data: Any, retry: bool, max_body: int | None = None
    ) -> httpx.Response:
        self._require_api_origin(url, "request URL")
        policy = self.retry_policy
        started, started_wall = time.monotonic(), time.time()
        attempts = 0  # HTTP requests actually sent (retries and redirect hops included)
        retries = 0  # repeats of the same request after a failure or a renewed credential
        waited = 0.0
        received = 0
        attempt_errors: list[str] = []
        renewed = False
        redirects = 0
        response: httpx.Response | None = None
        failure: BitbucketError | None = None
        try:
            while True:
                header = self.auth.authorization() if self._same_origin(url) else None
                attempts += 1
                headers = {"Authorization": header} if header else {}
                request = self._http.build_request(method, url, json=json, data=data, headers=headers)
                if HEADERS_LOG.isEnabledFor(logging.DEBUG):
                    HEADERS_LOG.debug("request %s %s headers=%s", method, redact_url(str(url)),
                                      redact_headers(request.headers.multi_items()))
                try:
                    with request_deadline(self.settings.timeout):
                        response = self._http.send(request, stream=True)
                        read_capped(response, max_body)  # a 2xx body above max_body is cut (api/raw_stream.py)
                except httpx.TransportError as error:
                    self._window.hit()
                    response = None
                    reason = type(error).__name__
                    attempt_errors.append(reason)
                    worth = _retryable(error, url) if retry else _never_sent(error, url)
                    delay = policy.next_delay(retries + 1, waited, None) if worth else None
                    if delay is None:
                        failure = self._transport_failure(method, url, error, retries + 1,
                                                          time.monotonic() - started)
                        raise failure from None
                    retries += 1
                    RETRY_LOG.info("%s %s: %s; retry %d in %.2fs", method, redact_url(str(url)), reason,
                                   retries, delay)
                    self._sleep(delay)
                    waited += delay
                    continue
                self._window.hit()
                received += len(response.content)
                self._note_rate_headers(response.headers)
                if HEADERS_LOG.isEnabledFor(logging.DEBUG):
                    HEADERS_LOG.debug("response %s %s headers=%s", response.status_code, redact_url(str(url)),
                                      redact_headers(response.headers.multi_items()))
                status = response.status_code
                if status in RETRYABLE_STATUSES and (retry or status in REFUSED_UNPROCESSED):
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    delay = policy.next_delay(retries + 1, waited, retry_after)
                    if delay is not None:
                        retries += 1
                        attempt_errors.append(f"HTTP {status}")
                        RETRY_LOG.info("%s %s: HTTP %d; retry %d in %.2fs%s", method, redact_url(str(url)),
                                       status, retries, delay, " (Retry-After)" if retry_after is not None else "")
                        self._sleep(delay)
                        waited += delay
                        continue
                if status == 401 and header and not renewed and self.auth.recover(header):
                    renewed = True
                    retries += 1
                    attempt_errors.append("HTTP 401 (credential renewed)")
                    RETRY_LOG.info("%s %s: HTTP 401; renewed the %s credential, retrying", method,
                                   redact_url(str(url)), self.auth.name)
                    continue
                if status in REDIRECT_STATUSES and "location" in response.headers:
                    target = url.join(response.headers["location"])
                    self._require_api_origin(target, f"redirect from {redact_url(str(url))}")
                    redirects += 1
                    if redirects > MAX_REDIRECTS:
                        failure = BitbucketError(f"more than {MAX_REDIRECTS} redirects", method=method, url=str(url))
                        raise failure
                    url = target
                    if status == 303:
                        method, json, data = "GET", None, None
                    continue
                if status >= 400:
                    failure = error_for_status(
                        status,
                        method=method,
                        url=str(url),
                        body=_body_of(response),
                        attempts=retries + 1,
                        auth_scheme=self.auth.name,
                        headers=dict(response.headers),
                        elapsed=time.monotonic() - started,
                        base_url=self._base,
                    )
                    raise failure
                return response
        except BitbucketError as error:
            failure = failure or error
            raise
        finally:
            if attempts:
                self._finish_record(method, url, response, failure, started, started_wall, received,
                                    retries, attempt_errors)

    def _finish_record(
        self,
        method: str,
        url: httpx.URL,
        response: httpx.Response | None,
        failure: BitbucketError | None,
        started: float,
        started_wall: float,
        received: int,
        retries: int,
        attempt_errors: list[str],
    ) -> None:
        record = RequestRecord(
            method=method,
            url=redact_url(str(url)),
            status=response.status_code if response is not None else None,
            duration=time.monotonic() - started,
            bytes=received,
            retries=retries,
            attempt_errors=tuple(attempt_errors),
            started_at=started_wall,
        )
        self._record(record, failed=failure is not None or response is None)
        HTTP_LOG.debug("%s %s -> %s in %.0f ms, %d bytes, %d retries", method, record.url,
                       record.status if record.status is not None else type(failure).__name__,
                       record.duration * 1000, record.bytes, record.retries)

    def _transport_failure(
        self, method: str, url: httpx.URL, error: httpx.TransportError, attempts: int, elapsed: float
    ) -> TransportError:
        reason = type(error).__name__
        if _certificate_failure(error):
            hint = "TLS certificate verification failed; if a proxy or private CA signs the certificate, set CABundle"
        elif _refused_on_loopback(error, url):
            _, host, port = origin_of(str(url))
            reason = "connection refused"
            hint = f"Nothing is listening on {host}:{port}; start the server or fix BaseURL"
        elif isinstance(error, httpx.TimeoutException):
            limit = f"Timeout={self.settings.timeout:g}"
            hint = (f"{limit} bounds each attempt as a whole (connecting, sending and reading the entire "
                    "answer); the server is slow or stalled: retry later or raise Timeout "
                    "(MaxRetries=0 fails at once)")
            return DeadlineExceededError(f"an attempt took longer than {limit} seconds ({reason})",
                                         method=method, url=str(url),
                                         attempts=attempts, elapsed=elapsed, hint=hint)
        else:
            hint = "Check the network connection and BaseURL (MaxRetries=0 fails at once)"
        return TransportError(f"the request could not be completed ({reason})", method=method, url=str(url),
                              attempts=attempts, elapsed=elapsed, hint=hint)

    def _note_rate_headers(self, headers: httpx.Headers) -> None:
        found = {k.title(): v for k, v in headers.items() if k.lower().startswith("x-ratelimit-")}
        if found:
            self._rate_headers = {k.replace("Ratelimit", "RateLimit").replace("Nearlimit", "NearLimit"): v
                                  for k, v in found.items()}

    # --- concurrency ----------------------------------------------------------------------
    def get_many(
        self, requests: Iterable[tuple[Any, str, Params]], *, return_errors: bool = False
    ) -> Iterator[tuple[Any, Any]]:
        """GET many objects concurrently on the shared pool; yields ``(key, object)`` as they complete.

        With ``return_errors=True`` a failed request yields ``(key, BitbucketError)`` instead
        of raising (the other requests continue).
        """
        jobs = ((key, self.url_for(path, params)) for key, path, params in requests)
        yield from run_bounded(
            self._pool, jobs, self._get_url, return_errors=return_errors, window=self._window_size
        )

    def _get_url(self, url: httpx.URL) -> Any:
        return self._json(self._send("GET", url, json=None, data=None, retry=True))

    def get_raw_many(
        self, requests: Iterable[tuple[Any, str, Params]], *, return_errors: bool = False,
        max_bytes: int | None = None,
    ) -> Iterator[tuple[Any, Any]]:
        """Like :meth:`get_many` for endpoints that answer raw bytes (file contents at a revision):
        yields ``(key, RawBody)``, the body undecoded, with its Content-Type. With ``max_bytes`` a
        larger body is not read beyond ``max_bytes + 1`` bytes: its RawBody says ``over_limit``."""
        jobs = ((key, self.url_for(path, params)) for key, path, params in requests)
        yield from run_bounded(
            self._pool, jobs, lambda url: self._get_raw_url(url, max_bytes), return_errors=return_errors,
            window=self._window_size,
        )

    def _get_raw_url(self, url: httpx.URL, max_bytes: int | None = None) -> RawBody:
        response = self._send("GET", url, json=None, data=None, retry=True, max_body=max_bytes)
        return raw_body(response, max_bytes)

    # --- paging -----------------------------------------------------------------------------
    def paginate(
        self, path: str, params: Params = None, *, pagelen: int | None = None, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield the ``values`` of a collection in order, following ``next`` verbatim.

        ``pagelen`` is sent on the first request (pass the endpoint's maximum). When the first
        page reports ``size`` and ``page``, the remaining pages are fetched concurrently; cursor
        pages are followed one after another. ``limit`` stops once that many items were yielded.
        """
        for _, item in self.paginate_many([(None, path, params)], pagelen=pagelen, limit=limit):
            yield item

    def paginate_many(
        self,
        requests: Iterable[tuple[Any, str, Params]],
        *,
        pagelen: int | None = None,
        limit: int | None = None,
        return_errors: bool = False,
        announce_end: bool = False,
        reads_all: bool = False,
    ) -> Iterator[tuple[Any, Any]]:
        """Run many paginations concurrently on the shared pool; yields ``(key, item)``.

        Items of one key arrive in page order; keys interleave as their pages complete.
        ``limit`` applies per key. With ``return_errors=True`` a failing pagination yields
        ``(key, BitbucketError)`` once and ends; otherwise the error is raised. With
        ``announce_end=True`` a pagination that ends normally yields ``(key, paging.PAGES_END)``
        after its last item (see :data:`~bitbucket_sql.api.paging.PAGES_END`). ``reads_all=True``
        promises that every item is read (the caller does not stop early): next pages are then
        requested before the items of the pages before them are handed over.
        """
        if limit is not None and limit <= 0:
            return
        scheduler = PageScheduler(
            self._pool,
            self._fetch_page,
            lambda url: self._require_api_origin(url, "'next' link"),
            decode=self._json,
            limit=limit,
            return_errors=return_errors,
            # a caller that reads every page gets its next pages requested early (reads_all):
            # half a pool of pages waiting is then enough to keep the pool busy, and each page
            # fewer in flight is a body and a page of rows fewer held (medium, commits: -5 MiB)
            window=self.settings.max_concurrency * 3 // 2 if reads_all else self._window_size,
            max_pages=self.settings.max_pages,
            announce_end=announce_end,
            reads_all=reads_all,
        )
        sources = ((key, self._first_page_url(path, params, pagelen)) for key, path, params in requests)
        yield from scheduler.run(sources)

    def _first_page_url(self, path: str, params: Params, pagelen: int | None) -> httpx.URL:
        """The first request of a pagination: the caller's params plus ``pagelen`` unless given."""
        params = dict(params or {})
        present = {k.lower() for k in params} | {k for k, _ in self.url_for(path).params.multi_items()}
        if pagelen is not None and "pagelen" not in present:
            params["pagelen"] = pagelen
        return self.url_for(path, params)

    def _fetch_page(self, url: httpx.URL) -> httpx.Response:
        """One page's response, its body read and not yet decoded: the scheduler decodes it
        (``_json``) when the page's turn comes and checks that it is the paged envelope."""
        return self._send("GET", url, json=None, data=None, retry=True)


def _certificate_failure(error: httpx.TransportError) -> bool:
    return "CERTIFICATE" in str(error)


def _refused_on_loopback(error: httpx.TransportError, url: httpx.URL) -> bool:
    """A refused connection to this machine: no server listens there, and retrying will not start one.

    (A remote host may refuse briefly while a load balancer restarts, so that is retried.)
    """
    return (
        isinstance(error, httpx.ConnectError)
        and is_loopback(url.host)
        and any(isinstance(cause, ConnectionRefusedError) for cause in _causes(error))
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and the exceptions it was raised from (httpx wraps httpcore wraps OSError)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _retryable(error: httpx.TransportError, url: httpx.URL) -> bool:
    """Timeouts and dropped connections are; certificate failures and refusals on loopback are not."""
    return (
        isinstance(error, RETRYABLE_TRANSPORT)
        and not _certificate_failure(error)
        and not _refused_on_loopback(error, url)
    )


def _never_sent(error: httpx.TransportError, url: httpx.URL) -> bool:
    """The request never left this machine (no connection could be opened): safe to repeat any
    method, even a POST. Refusals on loopback are not retried (nothing listens there)."""
    return isinstance(error, httpx.ConnectError | httpx.ConnectTimeout) and _retryable(error, url)


def _not_json(response: httpx.Response, error: ValueError) -> UnexpectedResponseError:
    """Say what is wrong with a 2xx answer that should have been JSON, and what to do."""
    content_type = response.headers.get("content-type", "")
    size = len(response.content)
    if size == 0 or not response.content.strip():
        what = f"the answer is empty ({size} bytes) where a JSON document was expected"
        hint = "Retry; if it persists, the server or a proxy in between is dropping the body"
    elif "json" not in content_type.lower():
        what = f"expected JSON but got {content_type or 'no content type'} ({size} bytes)"
        hint = ("Check that BaseURL points at the REST API root (for Bitbucket Cloud "
                "https://api.bitbucket.org/2.0); a login page or proxy answers HTML")
    elif isinstance(error, json_module.JSONDecodeError) and error.pos >= len(error.doc.rstrip()):
        what = f"the JSON answer is cut short: it ends after {size} bytes in the middle of a value"
        hint = "Retry; a connection or proxy cut the answer (report it if it persists)"
    elif isinstance(error, json_module.JSONDecodeError):
        what = (f"the answer is labelled JSON but is not valid JSON ({error.msg} at line {error.lineno} "
                f"column {error.colno} of {size} bytes)")
        hint = "The server sent broken JSON; report it to whoever runs the server at BaseURL"
    else:
        what = f"the answer is labelled JSON but cannot be decoded ({type(error).__name__})"
        hint = "The server sent undecodable text; report it to whoever runs the server at BaseURL"
    return UnexpectedResponseError(what, status=response.status_code, method=response.request.method,
                                   url=str(response.request.url), hint=hint)


def _body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


