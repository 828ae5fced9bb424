"""Time spent waiting on HTTP, measured the same way for every client in this process.

"Local time" in the report is wall time minus the time during which *at least one* HTTP request
of the query was in flight. Each side's HTTP library is watched at the same level: one call of
``requests.Session.send`` (the baselines) or ``httpx.Client.send`` (bitbucket-sql), both of which
return only once the response body has been read (neither side streams). Intervals are merged
before they are subtracted, so eight requests waiting at once count once: with threads a sum of
per-request times would exceed the wall time. What is left is the client's own work: building
requests, JSON decoding, paging logic, DuckDB or pandas, plus any gap in which no request was
outstanding (a client that waits for nothing is not waiting on the network).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class HttpWait:
    """Intervals (``perf_counter`` seconds) during which an HTTP request was in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._intervals: list[tuple[float, float]] = []

    def record(self, started: float, finished: float) -> None:
        with self._lock:
            self._intervals.append((started, finished))

    def clear(self) -> None:
        with self._lock:
            self._intervals.clear()

    def waited(self, start: float, end: float) -> float:
        """Seconds within ``[start, end]`` covered by at least one recorded interval."""
        with self._lock:
            spans = sorted((max(a, start), min(b, end)) for a, b in self._intervals if b > start and a < end)
        total = 0.0
        current_start: float | None = None
        current_end = 0.0
        for a, b in spans:
            if current_start is None or a > current_end:
                if current_start is not None:
                    total += current_end - current_start
                current_start, current_end = a, b
            else:
                current_end = max(current_end, b)
        if current_start is not None:
            total += current_end - current_start
        return total

    def local(self, start: float, end: float) -> float:
        """Wall time of ``[start, end]`` not spent waiting on HTTP."""
        return max(0.0, (end - start) - self.waited(start, end))


#: The process-wide recorder the patched ``send`` methods report to.
HTTP_WAIT = HttpWait()


def _timed(send: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(send)
    def timed_send(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return send(*args, **kwargs)
        finally:
            HTTP_WAIT.record(started, time.perf_counter())

    timed_send.__wrapped_send__ = send  # type: ignore[attr-defined]
    return timed_send


@contextmanager
def watching_http() -> Iterator[HttpWait]:
    """Record every ``requests`` and ``httpx`` send of this process while the block runs."""
    import httpx
    import requests

    originals = (requests.Session.send, httpx.Client.send)
    requests.Session.send = _timed(originals[0])  # type: ignore[method-assign]
    httpx.Client.send = _timed(originals[1])  # type: ignore[method-assign]
    HTTP_WAIT.clear()
    try:
        yield HTTP_WAIT
    finally:
        requests.Session.send, httpx.Client.send = originals  # type: ignore[method-assign]
        HTTP_WAIT.clear()
