"""A status line on stderr for queries that take more than a second.

The engine reports progress (requests done, rows so far) only when something happens, and a
query waiting on slow pages may report nothing for seconds. So the line is driven by its own
clock: a background thread refreshes it a few times a second from the last figures the engine
reported, and it appears once the query has run for ``delay_s`` (one second), whether or not
the engine said anything yet. Quick queries stay quiet, and nothing at all is shown when
stderr is not a terminal (pipes, CI logs, tests).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bitbucket_sql.cli._summary import plural

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live


def _stderr_console() -> Console | None:
    """rich's console on stderr, or None where it could never be a terminal (rich is then not
    even imported: most queries run in pipes and scripts, and start-up time counts there)."""
    if not sys.stderr.isatty() and not any(os.environ.get(name) for name in ("FORCE_COLOR", "TTY_COMPATIBLE")):
        return None
    from rich.console import Console

    return Console(stderr=True)


class ProgressLine:
    """Progress sink and display: ``with ProgressLine() as progress: engine.execute(sql, progress=progress)``.

    ``clock`` (seconds, monotonic) is injectable so that tests can decide what "one second
    later" means; :meth:`refresh` is what the background thread calls.
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        delay_s: float = 1.0,
        interval_s: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._console = console if console is not None else _stderr_console()
        self._delay_s = delay_s
        self._interval_s = interval_s
        self._clock = clock
        self._started = clock()
        self._requests = 0
        self._rows = 0
        self._live: Live | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._ticker: threading.Thread | None = None

    @property
    def active(self) -> bool:
        """True while the line is on screen."""
        return self._live is not None

    def __call__(self, progress: Any) -> None:
        """The engine's report: remember the figures (the ticker shows them)."""
        with self._lock:
            self._requests = progress.requests_done
            self._rows = progress.rows_so_far

    def status(self) -> str | None:
        """The line to show now, or None while the query is younger than ``delay_s``."""
        elapsed = self._clock() - self._started
        if elapsed < self._delay_s:
            return None
        with self._lock:
            requests, rows = self._requests, self._rows
        return f"fetching… {plural(requests, 'request')}, {plural(rows, 'row')}, {elapsed:.1f} s"

    def refresh(self) -> None:
        """Show the current status (starting the line when it is first due); no-op off a terminal."""
        if self._console is None or not self._console.is_terminal or self._closed.is_set():
            return
        status = self.status()
        if status is None:
            return
        from rich.live import Live
        from rich.text import Text

        text = Text(status, style="dim")
        with self._lock:
            if self._closed.is_set():
                return
            if self._live is None:
                self._live = Live(text, console=self._console, transient=True, auto_refresh=False)
                self._live.start()
            self._live.update(text, refresh=True)

    def _tick(self) -> None:
        while not self._closed.wait(self._interval_s):
            self.refresh()

    def start(self) -> None:
        """Start the ticker (only when stderr is a terminal: elsewhere nothing is ever shown)."""
        self._started = self._clock()
        if self._console is not None and self._console.is_terminal and self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="bbsql-progress", daemon=True)
            self._ticker.start()

    def close(self) -> None:
        """Stop the ticker and clear the line."""
        self._closed.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
        with self._lock:
            if self._live is not None:
                self._live.stop()
                self._live = None

    def __enter__(self) -> ProgressLine:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
