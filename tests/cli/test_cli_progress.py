"""The progress line: silent without a terminal and during the first second, shown after."""

from __future__ import annotations

import io

from rich.console import Console

from bitbucket_sql.cli._progress import ProgressLine
from bitbucket_sql.engine.result import Progress


def _console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, force_terminal=terminal, width=100), stream


def test_nothing_is_shown_when_stderr_is_not_a_terminal() -> None:
    console, stream = _console(terminal=False)
    with ProgressLine(console) as progress:
        progress(Progress(requests_done=30, rows_so_far=1200, elapsed_s=5.0))
        assert not progress.active
    assert stream.getvalue() == ""


def test_quick_queries_stay_quiet() -> None:
    console, stream = _console(terminal=True)
    with ProgressLine(console) as progress:
        progress(Progress(requests_done=2, rows_so_far=50, elapsed_s=0.4))
        assert not progress.active
    assert stream.getvalue() == ""


def test_slow_queries_show_requests_and_rows_then_clear() -> None:
    console, stream = _console(terminal=True)
    with ProgressLine(console) as progress:
        progress(Progress(requests_done=12, rows_so_far=480, elapsed_s=1.5))
        assert progress.active
        progress(Progress(requests_done=20, rows_so_far=900, elapsed_s=2.5))
    assert not progress.active
    shown = stream.getvalue()
    assert "12 requests, 480 rows" in shown
    assert "20 requests, 900 rows" in shown
