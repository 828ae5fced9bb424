"""``python -m benchmarks.run``: the benchmark in one command (see docs/benchmarks.md).

Starts the emulator at the chosen scale with realistic latency, runs the suite through
bitbucket-sql and through atlassian-python-api, computes the lower bounds from the store, and
writes docs/benchmarks.md plus a PNG chart. Exits non-zero when our answers differ from the
baseline's, when a client's request count differs from the emulator's, or when a query fails.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.harness import problems, run_suite
from benchmarks.measure import QueryOutcome, RunSettings, ScalingPoint
from benchmarks.process import ProcessFigures, run_scenarios
from benchmarks.queries import QUERIES_BY_KEY, SCALING_KEYS, SCALING_REPOSITORY, select_queries, unsupported
from benchmarks.report import render_report
from benchmarks.scope import WORKSPACE, Scope, choose_scope

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
SCALING_SCALES = ("small", "medium", "large")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark bitbucket-sql against the emulator, the lower bound and atlassian-python-api.",
    )
    parser.add_argument("--scale", default="medium", choices=("tiny", "small", "medium", "large"))
    parser.add_argument("--latency-ms", type=float, default=100.0, help="emulated latency per request")
    parser.add_argument("--jitter-ms", type=float, default=20.0, help="random extra latency, 0..jitter")
    parser.add_argument("--queries", help=f"comma-separated subset of: {', '.join(QUERIES_BY_KEY)}")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="Markdown report (chart: .png beside it)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip both hand-written baselines")
    parser.add_argument(
        "--no-process",
        action="store_true",
        help="skip the whole-process scenarios (start-up, refresh, memory)",
    )
    parser.add_argument("--process-runs", type=int, default=5, help="runs per start-up figure (median)")
    parser.add_argument(
        "--scaling", action="store_true", help="also run three queries at small, medium, large"
    )
    parser.add_argument("--seed", type=int, default=1, help="emulator data seed")
    parser.add_argument("--max-concurrency", type=int, default=8, help="our MaxConcurrency")
    parser.add_argument("--no-chart", action="store_true", help="write the Markdown only")
    arguments = parser.parse_args(argv)
    try:
        arguments.selected = select_queries(arguments.queries)
    except ValueError as error:
        parser.error(str(error))
    if arguments.latency_ms < 0 or arguments.jitter_ms < 0:
        parser.error("--latency-ms and --jitter-ms must not be negative")
    if arguments.max_concurrency < 1:
        parser.error("--max-concurrency must be at least 1")
    return arguments


#: The generated history ends here (the emulator's default is today): same data, same figures.
DATA_ANCHOR_DATE = "2026-11-01"


def prepare_store(scale: str, seed: int, repository: str | None = None) -> tuple[Any, Scope, float]:
    """Generate the data (and, unless ``repository`` is given, every repository's history, to
    find the busiest) before timing anything."""
    from bitbucket_sql.emulator.server import EmulatorConfig, build_store

    started = time.perf_counter()
    # the data the published figures were measured on: its history ends on this day, not today
    store = build_store(EmulatorConfig(scale=scale, seed=seed, anchor_date=DATA_ANCHOR_DATE))
    scope = choose_scope(store, WORKSPACE, repository)
    return store, scope, time.perf_counter() - started


def data_counts(store: Any, workspace: str) -> dict[str, int]:
    slugs = sorted(store.workspaces[workspace].repositories)
    counts = {"repositories": len(slugs), "pull requests": 0, "commits": 0, "pipelines": 0}
    for slug in slugs:
        data = store.repo_data(workspace, slug)
        counts["pull requests"] += len(data.pullrequests)
        counts["commits"] += len(data.commits)
        counts["pipelines"] += len(data.pipelines)
    return {f"{what} in `{workspace}`": n for what, n in counts.items()}


def run_main(
    arguments: argparse.Namespace,
) -> tuple[list[QueryOutcome], RunSettings, Scope, ProcessFigures | None, list[str]]:
    from bitbucket_sql.emulator import run_emulator

    notes: list[str] = []
    selected = []
    for query in arguments.selected:
        reason = unsupported(query)
        if reason:
            notes.append(f"`{query.key}` was not run: {reason}.")
            log(f"skipping {query.key}: {reason}")
        else:
            selected.append(query)

    log(f"generating the {arguments.scale} data set (seed {arguments.seed}) ...")
    store, scope, prepared_s = prepare_store(arguments.scale, arguments.seed)
    settings = RunSettings(
        scale=arguments.scale,
        latency_ms=arguments.latency_ms,
        jitter_ms=arguments.jitter_ms,
        max_concurrency=arguments.max_concurrency,
        seed=arguments.seed,
        baseline=not arguments.no_baseline,
        emulator_start_s=prepared_s,
        emulator_counts=data_counts(store, scope.workspace),
    )
    log(f"data ready in {prepared_s:.1f} s; scope: {scope.describe()}")
    settings.load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with run_emulator(
        store=store,
        scale=arguments.scale,
        seed=arguments.seed,
        latency_ms=arguments.latency_ms,
        jitter_ms=arguments.jitter_ms,
    ) as emulator:
        outcomes = run_suite(
            emulator,
            selected,
            scope,
            with_baseline=not arguments.no_baseline,
            max_concurrency=arguments.max_concurrency,
            log=log,
        )
        process = None
        if not arguments.no_process:
            log("whole-process scenarios ...")
            process = run_scenarios(emulator, scope, log=log, repeats=arguments.process_runs)
    return outcomes, settings, scope, process, notes


def _memory_mib(field: str) -> float | None:
    """A field of /proc/meminfo (MemAvailable) or this process's resident size (VmRSS), in MiB."""
    path = "/proc/self/status" if field == "VmRSS" else "/proc/meminfo"
    try:
        with open(path, encoding="utf-8") as source:
            for line in source:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def keep_workspace_in_memory(store: Any, workspace: str, budget_mib: float) -> tuple[bool, float]:
    """Generate every repository's history and keep it, unless that needs more than ``budget_mib``.

    At ``large`` scale the emulator keeps only 64 repositories in memory and regenerates the
    others on each request, so a workspace-wide query would time the emulator's data generation,
    not the API. Returns whether everything fits, and the seconds spent generating.
    """
    started = time.perf_counter()
    limit = store.cache_limit
    store.cache_limit = None
    before = _memory_mib("VmRSS") or 0.0
    for slug in sorted(store.workspaces[workspace].repositories):
        store.repo_data(workspace, slug)
        if (_memory_mib("VmRSS") or 0.0) - before > budget_mib:
            store.cache_limit = limit  # the emulator evicts down to its own limit on its next load
            return False, time.perf_counter() - started
    return True, time.perf_counter() - started


def run_scaling(arguments: argparse.Namespace) -> list[ScalingPoint]:
    """The scaling queries (ours and bound only) at each scale, each on its own emulator."""
    from bitbucket_sql.emulator import run_emulator

    points: list[ScalingPoint] = []
    queries = [QUERIES_BY_KEY[key] for key in SCALING_KEYS]
    for scale in SCALING_SCALES:
        log(f"scaling: generating {scale} ...")
        try:
            store, scope, prepared_s = prepare_store(scale, arguments.seed, SCALING_REPOSITORY)
        except Exception as error:  # noqa: BLE001 - a scale that cannot be generated is reported
            log(f"scaling: {scale} could not be generated: {error}")
            continue
        budget = 0.5 * (_memory_mib("MemAvailable") or 8192.0)
        fits, generated_s = keep_workspace_in_memory(store, scope.workspace, budget)
        prepared_s += generated_s
        skip = {}
        if not fits:
            skip = {
                q.key: f"the {scale} workspace's data does not fit in half the free memory ({budget:,.0f} MiB), "
                "and the emulator would regenerate repositories during the query"
                for q in queries
                if q.workspace_wide
            }
        log(
            f"scaling: {scale} ready in {prepared_s:.1f} s"
            + ("" if fits else " (workspace-wide queries skipped)")
        )
        with run_emulator(
            store=store,
            scale=scale,
            seed=arguments.seed,
            latency_ms=arguments.latency_ms,
            jitter_ms=arguments.jitter_ms,
        ) as emulator:
            outcomes = run_suite(
                emulator,
                queries,
                scope,
                with_baseline=False,
                max_concurrency=arguments.max_concurrency,
                log=log,
                skip_ours=skip,
            )
        for outcome in outcomes:
            points.append(
                ScalingPoint(
                    scale=scale,
                    key=outcome.key,
                    title=outcome.title,
                    rows_in_scope=outcome.bound.rows_in_scope,
                    ours=outcome.ours,
                    ours_error=outcome.ours_error,
                    bound=outcome.bound,
                    latency_ms=arguments.latency_ms,
                    emulator_start_s=prepared_s,
                )
            )
    return points


def command_line(argv: Sequence[str] | None) -> str:
    return "python -m benchmarks.run" + ("".join(f" {shlex.quote(a)}" for a in argv) if argv else "")


def write_outputs(
    arguments: argparse.Namespace,
    outcomes: list[QueryOutcome],
    settings: RunSettings,
    scope: Scope,
    scaling: list[ScalingPoint],
    argv: Sequence[str] | None,
    process: ProcessFigures | None = None,
    notes: Sequence[str] = (),
) -> None:
    output: Path = arguments.output
    output.parent.mkdir(parents=True, exist_ok=True)
    chart_path = output.with_suffix(".png")
    scaling_chart_path = output.with_name(f"{output.stem}-scaling.png")
    if not arguments.no_chart:
        from benchmarks.chart import write_chart, write_scaling_chart

        write_chart([o for o in outcomes if not o.repeat], settings.latency_ms, chart_path)
        if scaling:
            write_scaling_chart(scaling, scaling_chart_path)
    notes = [f"Scope of the questions: {scope.describe()}.", *notes]
    text = render_report(
        outcomes,
        settings,
        command=command_line(argv),
        chart_name=None if arguments.no_chart else chart_path.name,
        scaling=scaling,
        scaling_chart_name=scaling_chart_path.name if scaling and not arguments.no_chart else None,
        notes=notes,
        process=process,
    )
    output.write_text(keep_other_sections(output, text), encoding="utf-8")
    log(f"wrote {output}" + ("" if arguments.no_chart else f" and {chart_path.name}"))


#: Where the sections written by other benchmarks (server load, writes, sync) start; this run keeps
#: everything from there to the end of the file as it is.
OTHER_SECTIONS_START = "<!-- server-load:start -->"


def keep_other_sections(path: Path, new_text: str) -> str:
    """``new_text`` plus the other benchmarks' sections of the file it replaces."""
    if not path.exists():
        return new_text
    old = path.read_text(encoding="utf-8")
    at = old.find(OTHER_SECTIONS_START)
    if at < 0 or OTHER_SECTIONS_START in new_text:
        return new_text
    return new_text.rstrip("\n") + "\n\n" + old[at:]


def code_version() -> str | None:
    """The commit the run measured, and whether the package's sources differed from it."""
    import subprocess

    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"Code measured: commit `{sha}`" + (
        " plus uncommitted changes under `src/` (work in progress in the same tree)." if dirty else "."
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    arguments = parse_arguments(argv)
    version = code_version()
    outcomes, settings, scope, process, notes = run_main(arguments)
    notes = [version, *notes] if version else notes
    scaling = run_scaling(arguments) if arguments.scaling else []
    write_outputs(arguments, outcomes, settings, scope, scaling, argv, process, notes)
    found = problems(outcomes) + (process.errors if process is not None else [])
    if found:
        log("\nBENCHMARK FAILED:")
        for problem in found:
            log(f"- {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
