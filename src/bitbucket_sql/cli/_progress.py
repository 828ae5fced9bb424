"""A status line on stderr for queries that take more than a second.

The engine calls the reporter from time to time while it fetches (requests done, rows so
far). Nothing is shown for the first second, so quick queries stay quiet, and nothing at
all when stderr is not a terminal (pipes, CI logs, tests).
"""

from __future__ import annotations

import threading
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.text import Text


class ProgressLine:
    """Callable progress sink: ``engine.execute(sql, progress=ProgressLine())``; call ``close()`` after."""

    def __init__(self, console: Console | None = None, *, delay_s: float = 1.0) -> None:
        self._console = console if console is not None else Console(stderr=True)
        self._delay_s = delay_s
        self._live: Live | None = None
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self._live is not None

    def __call__(self, progress: Any) -> None:
        if not self._console.is_terminal or progress.elapsed_s < self._delay_s:
            return
        text = Text(
            f"fetching… {progress.requests_done} requests, {progress.rows_so_far} rows, "
            f"{progress.elapsed_s:.1f} s",
            style="dim",
        )
        with self._lock:
            if self._live is None:
                self._live = Live(text, console=self._console, transient=True, auto_refresh=False)
                self._live.start()
            self._live.update(text, refresh=True)

    def close(self) -> None:
        with self._lock:
            if self._live is not None:
                self._live.stop()
                self._live = None

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
