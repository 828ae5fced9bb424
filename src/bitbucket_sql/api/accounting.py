"""Per-request accounting: what each query cost in requests, retries, bytes and time.

Every logical request (including its retries) becomes one :class:`RequestRecord`. Records go
to the client's running totals and to every :class:`Recording` active in the calling context.
Recordings are found through a context variable; the client runs pool work inside a copy of
the submitting context, so requests made by worker threads on behalf of a query are counted
for that query. The rolling-hour window behind the rate-limit figures lives here too.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestRecord:
    """One logical request: method, redacted URL, final status, timing, size and retries."""

    method: str
    url: str
    status: int | None
    duration: float
    bytes: int
    retries: int
    attempt_errors: tuple[str, ...] = ()
    started_at: float = 0.0


class Recording:
    """The requests made while it was active (``with client.recording() as rec``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    @property
    def requests(self) -> int:
        """Logical requests (a retried request counts once; see ``retries``)."""
        with self._lock:
            return len(self._records)

    @property
    def retries(self) -> int:
        with self._lock:
            return sum(r.retries for r in self._records)

    @property
    def bytes(self) -> int:
        with self._lock:
            return sum(r.bytes for r in self._records)

    @property
    def duration(self) -> float:
        """Summed request time (greater than wall time when requests ran concurrently)."""
        with self._lock:
            return sum(r.duration for r in self._records)

    def __repr__(self) -> str:
        return f"Recording(requests={self.requests}, retries={self.retries}, bytes={self.bytes})"


_ACTIVE: contextvars.ContextVar[tuple[Recording, ...]] = contextvars.ContextVar(
    "bitbucket_sql_recordings", default=()
)


@contextmanager
def recording() -> Iterator[Recording]:
    """Collect the records of every request made in this context (and pool work it submits)."""
    rec = Recording()
    token = _ACTIVE.set(_ACTIVE.get() + (rec,))
    try:
        yield rec
    finally:
        _ACTIVE.reset(token)


def active_recordings() -> tuple[Recording, ...]:
    return _ACTIVE.get()


@dataclass
class ClientStats:
    """Running totals of one client (one connection)."""

    requests: int = 0
    attempts: int = 0
    retries: int = 0
    bytes: int = 0
    errors: int = 0
    duration: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)

    def copy(self) -> ClientStats:
        return ClientStats(
            self.requests, self.attempts, self.retries, self.bytes, self.errors, self.duration,
            Counter(self.statuses),
        )


class RollingWindow:
    """Timestamps of requests in the last hour for one credential."""

    def __init__(self, span: float = 3600.0) -> None:
        self.span = span
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def hit(self, now: float | None = None) -> None:
        with self._lock:
            self._times.append(time.monotonic() if now is None else now)

    def count(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._times and self._times[0] <= now - self.span:
                self._times.popleft()
            return len(self._times)


_WINDOWS: dict[str, RollingWindow] = {}
_WINDOWS_LOCK = threading.Lock()


def window_for(credential_fingerprint: str) -> RollingWindow:
    """The process-wide window of one credential (shared by every client using it)."""
    with _WINDOWS_LOCK:
        return _WINDOWS.setdefault(credential_fingerprint, RollingWindow())


@dataclass(frozen=True)
class RateLimitStatus:
    """Rate-limit figures for ``client.rate_limit``.

    ``used_last_hour`` counts HTTP requests (every attempt) this process sent with this
    credential in the rolling hour; ``limit`` is RateLimitPerHour (or the server's
    ``X-RateLimit-Limit`` when it sent one); ``headers`` are the last ``X-RateLimit-*`` headers seen.
    """

    used_last_hour: int
    limit: int
    remaining: int
    near_limit: bool
    headers: dict[str, str]
