"""The server load benchmark runs end to end (a few clients) and writes its marked section."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

try:
    import asyncpg  # noqa: F401 - the benchmark's client
except ImportError:
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("asyncpg is not installed (pip install asyncpg)", allow_module_level=True)

from benchmarks import server_load  # noqa: E402


def test_a_small_load_run_writes_the_section_between_markers(tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"
    output.write_text("# Benchmarks\n\nother content\n", encoding="utf-8")
    status = server_load.main(
        ["--clients", "4", "--queries", "2", "--scale", "tiny", "--latency-ms", "0", "--output", str(output)]
    )
    assert status == 0
    text = output.read_text(encoding="utf-8")
    assert "other content" in text
    assert text.count(server_load.START) == 1 and "8 queries in" in text and ", 0 errors" in text
    assert "(equal)" in text
    # A second run replaces the section instead of appending another.
    assert (
        server_load.main(
            [
                "--clients",
                "2",
                "--queries",
                "1",
                "--scale",
                "tiny",
                "--latency-ms",
                "0",
                "--output",
                str(output),
            ]
        )
        == 0
    )
    assert output.read_text(encoding="utf-8").count(server_load.START) == 1


def test_the_main_benchmark_report_keeps_this_section(tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"
    section = f"{server_load.START}\n## `bbsql serve` under load\nfigures\n{server_load.END}\n"
    output.write_text("# Benchmarks\n\nold report\n\n" + section, encoding="utf-8")
    kept = server_load.keep_section(output, "# Benchmarks\n\nnew report\n")
    assert kept == "# Benchmarks\n\nnew report\n\n" + section
