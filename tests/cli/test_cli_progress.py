"""The progress line: silent without a terminal and during the first second, then shown on its own clock.

A fake clock decides what "a second later" means, so no test depends on real timing.
"""

from __future__ import annotations

import io
import time

from rich.console import Console

from bitbucket_sql.cli._progress import ProgressLine
from bitbucket_sql.engine.result import Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _line(*, terminal: bool) -> tuple[ProgressLine, FakeClock, io.StringIO]:
    stream = io.StringIO()
    clock = FakeClock()
    console = Console(file=stream, force_terminal=terminal, width=100)
    return ProgressLine(console, clock=clock), clock, stream


def test_nothing_is_shown_when_stderr_is_not_a_terminal() -> None:
    progress, clock, stream = _line(terminal=False)
    with progress:
        clock.now += 5
        progress(Progress(requests_done=30, rows_so_far=1200, elapsed_s=5.0))
        progress.refresh()
        assert not progress.active
        assert progress._ticker is None  # no thread either
    assert stream.getvalue() == ""


def test_quick_queries_stay_quiet() -> None:
    progress, clock, stream = _line(terminal=True)
    with progress:
        clock.now += 0.9
        progress(Progress(requests_done=2, rows_so_far=50, elapsed_s=0.9))
        assert progress.status() is None
        progress.refresh()
        assert not progress.active
    assert stream.getvalue() == ""


def test_the_line_is_due_after_a_second_even_if_the_engine_has_not_reported() -> None:
    progress, clock, _ = _line(terminal=True)
    clock.now += 1.2  # e.g. the first page is still on its way: the engine has said nothing yet
    assert progress.status() == "fetching… 0 requests, 0 rows, 1.2 s"
    progress(Progress(requests_done=1, rows_so_far=1, elapsed_s=1.3))
    clock.now += 2.0
    assert progress.status() == "fetching… 1 request, 1 row, 3.2 s"  # last figures, own clock


def test_slow_queries_show_requests_and_rows_then_clear() -> None:
    progress, clock, stream = _line(terminal=True)
    with progress:
        clock.now += 1.5
        progress(Progress(requests_done=12, rows_so_far=480, elapsed_s=1.5))
        progress.refresh()
        assert progress.active
        clock.now += 1.0
        progress(Progress(requests_done=20, rows_so_far=900, elapsed_s=2.5))
        progress.refresh()
    assert not progress.active
    shown = stream.getvalue()
    assert "12 requests, 480 rows, 1.5 s" in shown
    assert "20 requests, 900 rows, 2.5 s" in shown


def test_the_ticker_shows_the_line_without_any_engine_report() -> None:
    progress, clock, stream = _line(terminal=True)
    with progress:
        clock.now += 1.5  # the query is past its first second; the engine stays silent
        for _ in range(400):  # the ticker refreshes every 0.25 s; wait up to 100 s on a slow machine
            if progress.active:
                break
            time.sleep(0.25)
        assert progress.active, "the progress line never appeared"
    assert not progress.active
    assert progress._ticker is None  # the thread was stopped
    assert "fetching… 0 requests, 0 rows, 1.5 s" in stream.getvalue()
