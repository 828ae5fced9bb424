"""The whole-process scenarios on the tiny emulator: they run, count and compare (no timings asserted)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest
from benchmarks.measure import RunSettings
from benchmarks.process import ProcessFigures, run_process, run_scenarios
from benchmarks.report import render_report
from benchmarks.run import OTHER_SECTIONS_START, keep_other_sections, prepare_store

from bitbucket_sql.emulator import run_emulator


@pytest.fixture(scope="module")
def figures() -> ProcessFigures:
    store, scope, _ = prepare_store("tiny", 1)
    with run_emulator(store=store, scale="tiny", seed=1) as emulator:
        return run_scenarios(emulator, scope, log=lambda _: None, repeats=1)


def test_every_scenario_ran_without_errors(figures: ProcessFigures) -> None:
    assert figures.errors == []
    assert [s.label for s in figures.startup][:3] == [
        "`SELECT 1`",
        "catalog query",
        "1-request query, cold cache",
    ]
    assert len(figures.repeats) == 3 and len(figures.refreshes) == 1 and len(figures.memory) == 9


def test_start_up_counts_the_requests_of_each_process(figures: ProcessFigures) -> None:
    by_label = {s.label: s for s in figures.startup}
    assert by_label["`SELECT 1`"].requests == 0
    assert by_label["catalog query"].requests == 0
    assert by_label["1-request query, cold cache"].requests == 1
    assert all(run.ok and run.wall_s > 0 for s in figures.startup for run in s.runs)
    assert figures.interpreter_s > 0


def test_a_repeat_in_a_new_process_is_measured_apart_from_the_first(figures: ProcessFigures) -> None:
    for repeat in figures.repeats:
        assert repeat.first.requests >= 1, repeat.label
        assert repeat.second.requests <= repeat.first.requests, repeat.label
        assert repeat.bound == 0


def test_the_refresh_answers_like_a_cold_run(figures: ProcessFigures) -> None:
    refresh = figures.refreshes[0]
    assert refresh.changes == 10
    assert refresh.same_answer
    assert refresh.cold.requests >= refresh.cold_bound
    assert refresh.refresh_bound <= refresh.cold_bound


def test_memory_figures_have_rows_bytes_and_a_peak(figures: ProcessFigures) -> None:
    probes = [m for m in figures.memory if m.how.startswith("DB-API")]
    assert [(m.label, m.how) for m in probes] == [
        ("`SELECT * FROM commits`", "DB-API, fetchmany(10000)"),
        ("`SELECT * FROM commits`", "DB-API, fetchmany(1000)"),
        ("`SELECT * FROM pull_request_activity`", "DB-API, fetchmany(10000)"),
    ]
    for m in probes:
        assert m.rows and m.rows > 0 and m.json_bytes and m.json_bytes > 0
        assert m.run.peak_rss > 0 and m.ratio is not None
    exports = [m for m in figures.memory if "-o FILE" in m.how]
    assert len(exports) == 4 and all(m.run.ok and m.run.peak_rss > 0 for m in exports)
    assert sum("WHERE repository <" in m.label for m in exports) == 2  # the export of part of the table
    served = [m for m in figures.memory if m.how.startswith("`bbsql serve`")]
    assert len(served) == 1 and served[0].run.ok and served[0].run.peak_rss > 0
    assert served[0].run.requests > 0  # psql's query reached Bitbucket (the emulator) through the server


def test_peak_memory_is_the_child_s_own() -> None:
    """The harness is large; a child's peak must not inherit it (see benchmarks.process.SPAWNER)."""
    big = run_process([sys.executable, "-c", "x = bytearray(200 * 2**20)"], dict(os.environ), None)
    small = run_process([sys.executable, "-c", "pass"], dict(os.environ), None)
    assert big.ok and small.ok
    assert big.peak_rss > 200 * 2**20 > small.peak_rss


def test_the_report_shows_the_process_section(figures: ProcessFigures) -> None:
    settings = RunSettings(scale="tiny", latency_ms=0, jitter_ms=0, max_concurrency=8, seed=1, baseline=False)
    text = render_report(
        [], settings, command="x", chart_name=None, process=figures, now=dt.datetime.now(dt.UTC)
    )
    for heading in (
        "### Start-up",
        "### The same question in a new process",
        "### Incremental refresh",
        "### Memory",
        "## Before and after issue 14",
    ):
        assert heading in text
    assert "745 MiB for 92 MiB of JSON" in text  # the figure before, next to this run's


def test_other_benchmarks_sections_are_kept(tmp_path: Path) -> None:
    old = tmp_path / "benchmarks.md"
    old.write_text(
        f"# old\n\nold body\n\n{OTHER_SECTIONS_START}\n## Serve\n\n## Writes\n\nkept\n", encoding="utf-8"
    )
    text = keep_other_sections(old, "# new\n\nnew body\n")
    assert text.startswith("# new") and "old body" not in text
    assert text.endswith("## Writes\n\nkept\n") and OTHER_SECTIONS_START in text
