"""The writes benchmark runs: every row is one request and every row is deleted again (no timings)."""

from __future__ import annotations

from benchmarks.writes import measure, render


def test_the_writes_benchmark_counts_one_request_per_row() -> None:
    timings = measure(rows=5, latency_ms=0, concurrencies=(1, 4))
    assert [(t.insert_requests, t.delete_requests, t.deleted) for t in timings] == [(5, 6, 5), (5, 6, 5)]
    assert "| 4 |" in render(timings, 5, 0)
