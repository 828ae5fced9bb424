"""The sync benchmark's harness works on the tiny scale (its numbers belong in docs/benchmarks.md,
never in assertions about speed)."""

from __future__ import annotations

import re

from benchmarks import sync as benchmark


def test_the_sync_benchmark_reports_each_run_against_its_bound(capsys) -> None:
    assert benchmark.main(["--scale", "tiny", "--changes", "2", "--no-write"]) == 0
    text = capsys.readouterr().out
    found = re.findall(r"^\| ([^|]+) \| ([\d,]+) \| ([\d,]+) \|", text, flags=re.MULTILINE)
    assert len(found) == 4, text
    for name, requests, bound in found[:3]:
        assert int(requests.replace(",", "")) >= int(bound.replace(",", "")), name
    full, quiet = (int(found[i][1].replace(",", "")) for i in (0, 1))
    assert quiet < full
