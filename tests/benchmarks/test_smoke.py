"""A quick run of the benchmark harness on the emulator's tiny scale with zero latency.

It checks the harness, not the speed: every query runs on both sides, the clients' request
counts agree with the emulator's, no client beats the lower bound, the report and the chart
render, and the command fails loudly when answers differ. No timing assertions.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from benchmarks.chart import write_chart, write_scaling_chart
from benchmarks.harness import problems, run_suite
from benchmarks.measure import QueryOutcome, RunSettings, ScalingPoint
from benchmarks.queries import QUERIES, SCALING_KEYS, select_queries, unsupported
from benchmarks.report import render_report
from benchmarks.run import keep_workspace_in_memory, main, prepare_store
from benchmarks.scope import Scope

from benchmarks import baseline as baseline_module
from bitbucket_sql.emulator import run_emulator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TINY = ["--scale", "tiny", "--latency-ms", "0", "--jitter-ms", "0", "--no-process"]
RUNNABLE = tuple(q for q in QUERIES if unsupported(q) is None)


@pytest.fixture(scope="module")
def tiny_run() -> tuple[list[QueryOutcome], Scope]:
    store, scope, _ = prepare_store("tiny", 1)
    with run_emulator(store=store, scale="tiny", seed=1) as emulator:
        outcomes = run_suite(
            emulator, RUNNABLE, scope, with_baseline=True, max_concurrency=8, log=lambda _: None
        )
    return outcomes, scope


def test_every_query_runs_on_all_three_sides(tiny_run: tuple[list[QueryOutcome], Scope]) -> None:
    outcomes, _ = tiny_run
    assert [o.key for o in outcomes] == [q.key for q in RUNNABLE]
    assert len(outcomes) >= 19
    for outcome in outcomes:
        assert outcome.ours_error is None, (outcome.key, outcome.ours_error)
        assert outcome.baseline_error is None, (outcome.key, outcome.baseline_error)
        assert outcome.tuned_error is None, (outcome.key, outcome.tuned_error)
        assert outcome.ours is not None and outcome.baseline is not None and outcome.tuned is not None
        assert outcome.ours.rows_returned == len(outcome.ours.rows)
        assert outcome.baseline.rows_returned == len(outcome.baseline.rows)
        assert outcome.tuned.rows_returned == len(outcome.tuned.rows)
        assert not outcome.answers_differ, outcome.key


def test_client_counts_agree_with_the_emulator(tiny_run: tuple[list[QueryOutcome], Scope]) -> None:
    outcomes, _ = tiny_run
    for outcome in outcomes:
        for side in (outcome.ours, outcome.baseline, outcome.tuned):
            assert side is not None
            assert side.requests == side.emulator_requests, outcome.key
    assert not [p for p in problems(outcomes) if "emulator counted" in p]


def test_no_client_beats_the_lower_bound(tiny_run: tuple[list[QueryOutcome], Scope]) -> None:
    outcomes, _ = tiny_run
    for outcome in outcomes:
        assert outcome.ours is not None and outcome.baseline is not None and outcome.tuned is not None
        assert outcome.ours.requests >= outcome.bound.requests, outcome.key
        assert outcome.baseline.requests >= outcome.bound.requests, outcome.key
        assert outcome.tuned.requests >= outcome.bound.requests, outcome.key
        if outcome.key != "recent_prs_again":
            assert outcome.bound.requests >= 1 and outcome.bound.rounds >= 1, outcome.key


def test_the_repeated_query_is_answered_from_the_cache(tiny_run: tuple[list[QueryOutcome], Scope]) -> None:
    outcomes, _ = tiny_run
    by_key = {o.key: o for o in outcomes}
    first, again = by_key["recent_prs"], by_key["recent_prs_again"]
    assert first.ours is not None and again.ours is not None
    assert first.ours.requests >= 1
    assert again.ours.requests == 0
    assert again.ours.rows == first.ours.rows
    assert again.baseline is not None and again.baseline.requests == first.baseline.requests  # type: ignore[union-attr]


def test_the_report_and_chart_render(tiny_run: tuple[list[QueryOutcome], Scope], tmp_path: Path) -> None:
    outcomes, scope = tiny_run
    settings = RunSettings(scale="tiny", latency_ms=0, jitter_ms=0, max_concurrency=8, seed=1, baseline=True)
    text = render_report(
        outcomes, settings, command="python -m benchmarks.run --scale tiny", chart_name="b.png"
    )
    for outcome in outcomes:
        assert outcome.title in text
        assert f"`{outcome.key}`" in text
    assert "| # | query | our requests | bound | tuned baseline requests | naive baseline requests |" in text
    assert "## Fuzz-found outliers" in text and "## Repeats answered from the cache" in text
    assert "## Before and after issue 14" in text
    suite_totals = next(line for line in text.splitlines() if line.startswith("Totals over the suite"))
    assert "(14 queries)" in suite_totals  # neither the cache repeat nor the outliers
    assert "## How the lower bound is computed" in text
    assert "![Requests and time per query](b.png)" in text
    assert "atlassian-python-api" in text and "duckdb" in text
    chart = tmp_path / "b.png"
    write_chart(outcomes, 100.0, chart)
    assert chart.read_bytes().startswith(PNG_SIGNATURE)


def test_the_command_writes_the_report_and_chart(tmp_path: Path) -> None:
    output = tmp_path / "bench.md"
    status = main(
        [*TINY, "--queries", "recent_prs,workspace_admins,recent_prs_again", "--output", str(output)]
    )
    assert status == 0
    text = output.read_text(encoding="utf-8")
    assert "Recent pull requests of one repository" in text and "Members with admin permissions" in text
    assert "Open pull requests across the workspace" not in text  # not selected
    assert (tmp_path / "bench.png").read_bytes().startswith(PNG_SIGNATURE)


def test_the_command_fails_loudly_when_answers_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def wrong_admins(cloud: object, scope: Scope) -> list[tuple[object, ...]]:
        return [("Nobody", "{00000000-0000-0000-0000-000000000000}")]

    monkeypatch.setitem(baseline_module.BASELINES, "workspace_admins", wrong_admins)
    output = tmp_path / "bench.md"
    status = main([*TINY, "--queries", "workspace_admins", "--output", str(output), "--no-chart"])
    assert status == 1
    errors = capsys.readouterr().err
    assert "BENCHMARK FAILED" in errors and "differs from the baseline" in errors
    assert "Nobody" in errors
    assert "answers differ" in output.read_text(encoding="utf-8")


def test_the_last_commits_must_come_in_the_listing_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = baseline_module.BASELINES["last_commits"]

    def newest_last(cloud: object, scope: Scope) -> list[tuple[object, ...]]:
        return list(reversed(original(cloud, scope)))  # the same rows, in the wrong order

    monkeypatch.setitem(baseline_module.BASELINES, "last_commits", newest_last)
    output = tmp_path / "bench.md"
    status = main([*TINY, "--queries", "last_commits", "--output", str(output), "--no-chart"])
    assert status == 1
    assert "different order" in capsys.readouterr().err


def test_every_query_runs_with_the_default_connection_properties() -> None:
    # the one exception is the query that exists to show the Optimize=requests choice
    assert [q.key for q in QUERIES if q.connection_options] == ["pr_comments_join_requests"]


def test_the_summary_explains_each_query_above_the_bound(
    tiny_run: tuple[list[QueryOutcome], Scope],
) -> None:
    outcomes, _ = tiny_run
    joined = next(o for o in outcomes if o.key == "pr_comments_join")
    assert joined.ours is not None
    above = dataclasses.replace(
        joined, ours=dataclasses.replace(joined.ours, requests=joined.bound.requests + 5)
    )
    settings = RunSettings(scale="tiny", latency_ms=0, jitter_ms=0, max_concurrency=8, seed=1, baseline=True)
    text = render_report([above], settings, command="x", chart_name=None)
    summary = text.split("## Summary", 1)[1].split("## Run it", 1)[0]
    assert f"pr_comments_join: {joined.bound.requests + 5:,} vs {joined.bound.requests:,}" in summary
    assert "activity stream" in summary  # the reason kept with the query
    assert "CPython" in summary and "duckdb" in summary


def test_unknown_query_keys_are_named() -> None:
    with pytest.raises(ValueError, match="no_such_query"):
        select_queries("recent_prs,no_such_query")
    assert [q.key for q in select_queries("workspace_admins, recent_prs")] == [
        "recent_prs",
        "workspace_admins",
    ]


def test_the_scaling_section_and_chart_render(
    tiny_run: tuple[list[QueryOutcome], Scope], tmp_path: Path
) -> None:
    outcomes, _ = tiny_run
    points = [
        ScalingPoint(
            scale,
            o.key,
            o.title,
            o.bound.rows_in_scope,
            o.ours if scale == "tiny" else None,
            None if scale == "tiny" else "not run: too big",
            o.bound,
            100.0,
            0.1,
        )
        for scale in ("tiny", "huge")
        for o in outcomes
        if o.key in SCALING_KEYS
    ]
    settings = RunSettings(scale="tiny", latency_ms=0, jitter_ms=0, max_concurrency=8, seed=1, baseline=True)
    text = render_report(
        outcomes, settings, command="x", chart_name=None, scaling=points, scaling_chart_name="s.png"
    )
    assert "## Scaling" in text and "![Requests and time by scale](s.png)" in text
    assert "`huge` open_prs_by_author: not run: too big." in text
    chart = tmp_path / "s.png"
    write_scaling_chart(points, chart)
    assert chart.read_bytes().startswith(PNG_SIGNATURE)


def test_keeping_a_workspace_in_memory_respects_the_budget() -> None:
    store, scope, _ = prepare_store("tiny", 1, repository="api")
    assert scope.repository == "api"
    limit = store.cache_limit
    fits, _ = keep_workspace_in_memory(store, scope.workspace, budget_mib=-1)
    assert not fits and store.cache_limit == limit
    fits, _ = keep_workspace_in_memory(store, scope.workspace, budget_mib=10_000)
    assert fits and store.cache_limit is None
