"""QueryTimeout: one total deadline per query, for fetching and for the local DuckDB run.

The API client bounds each request (Timeout, in total per attempt); this bounds the query. Two
parts keep a query from outliving it:

* fetching runs on a helper thread that the caller waits for only until the deadline. When the
  deadline passes the caller gets :class:`QueryTimeoutError` at once, and the fetch is cancelled:
  the fetcher checks :meth:`QueryDeadline.check` after every item and request, so no new request
  starts, pending ones are dropped, and requests already on the wire end within Timeout. The
  query's local database is closed by the helper thread when it stops, never under its feet.
* the DuckDB run is interrupted (``connection.interrupt()``) when the deadline passes.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import QueryTimeoutError

T = TypeVar("T")


class QueryDeadline:
    """The deadline of one query (``seconds`` None or 0: none)."""

    def __init__(self, seconds: float | None, started: float | None = None) -> None:
        self.seconds = seconds if seconds else None
        begin = started if started is not None else time.monotonic()
        self.at = begin + self.seconds if self.seconds is not None else None
        self._cancelled = threading.Event()
        #: the fetch thread was left running when the deadline passed (it closes what it used)
        self.abandoned = False

    def remaining(self) -> float | None:
        return None if self.at is None else self.at - time.monotonic()

    def expired(self) -> bool:
        return self._cancelled.is_set() or (self.at is not None and time.monotonic() >= self.at)

    def check(self, phase: str = "fetching rows from Bitbucket") -> None:
        """Raise :class:`QueryTimeoutError` once the deadline passed (or the query was given up)."""
        if self.at is None:
            return
        if self.expired():
            self._cancelled.set()
            assert self.seconds is not None
            raise QueryTimeoutError(self.seconds, phase)

    def run(self, work: Callable[[], T], *, phase: str, on_abandon: Callable[[], Any]) -> T:
        """``work()``, given up at the deadline; ``on_abandon`` runs when abandoned work ends."""
        if self.at is None:
            return work()
        self.check(phase)
        outcome: dict[str, Any] = {}
        lock = threading.Lock()
        context = contextvars.copy_context()  # the query's request accounting follows the work

        def target() -> None:
            try:
                outcome["value"] = context.run(work)
            except BaseException as error:  # noqa: BLE001 - handed to the waiting caller
                outcome["error"] = error
            finally:
                with lock:
                    outcome["done"] = True
                    abandoned = self.abandoned
                if abandoned:
                    on_abandon()

        thread = threading.Thread(target=target, name="bbsql-query", daemon=True)
        thread.start()
        try:
            thread.join(max(0.0, self.remaining() or 0.0))
        except BaseException:  # Ctrl-C while waiting: give the work up the same way
            with lock:
                if not outcome.get("done"):
                    self.abandoned = True
                    self._cancelled.set()
            raise
        with lock:
            if not outcome.get("done"):
                self.abandoned = True
                self._cancelled.set()
        if self.abandoned:
            assert self.seconds is not None
            raise QueryTimeoutError(self.seconds, phase)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]

    def interrupt_at_deadline(self, interrupt: Callable[[], Any]) -> threading.Timer | None:
        """Call ``interrupt`` when the deadline passes (cancel the returned timer when done)."""
        remaining = self.remaining()
        if remaining is None:
            return None
        timer = threading.Timer(max(0.0, remaining), interrupt)
        timer.daemon = True
        timer.start()
        return timer
