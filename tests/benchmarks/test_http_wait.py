"""Local time is wall time minus the union of HTTP waits: the same measure for every side."""

from __future__ import annotations

import requests
from benchmarks.http_wait import HttpWait, watching_http

from bitbucket_sql.emulator import run_emulator


def test_overlapping_requests_count_once() -> None:
    wait = HttpWait()
    wait.record(1.0, 3.0)
    wait.record(2.0, 4.0)  # overlaps the first: 8 threads waiting at once wait once
    wait.record(6.0, 7.0)
    assert wait.waited(0.0, 10.0) == 4.0
    assert wait.local(0.0, 10.0) == 6.0
    assert wait.waited(2.5, 6.5) == 2.0  # clipped to the window
    assert wait.local(3.0, 3.5) == 0.0


def test_both_http_libraries_are_watched_while_the_block_runs() -> None:
    import httpx

    with run_emulator(scale="tiny", seed=1, latency_ms=20) as emulator:
        url = f"{emulator.root_url}/_emulator/stats"
        with watching_http() as wait:
            requests.get(url, timeout=10)
            httpx.get(url, timeout=10)
            assert len(wait._intervals) == 2
            assert wait.waited(0.0, float("inf")) > 0
        assert requests.Session.send.__name__ == "send"
        assert not hasattr(requests.Session.send, "__wrapped_send__")  # restored
