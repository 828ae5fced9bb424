"""Running the suite against a live emulator: ours, the baseline and the bound for each query."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from benchmarks.baseline import BASELINES
from benchmarks.bounds import BOUNDS
from benchmarks.compare import compare_ordered_rows, compare_rows
from benchmarks.counting import CountingSession
from benchmarks.measure import QueryOutcome, SideResult
from benchmarks.ours import DEMO_API_TOKEN, DEMO_USER, open_engine, run_ours
from benchmarks.queries import QUERIES_BY_KEY, BenchQuery
from benchmarks.scope import Scope

Log = Callable[[str], None]


def _describe_error(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def run_baseline(cloud: Any, session: CountingSession, key: str, scope: Scope, emulator: Any) -> SideResult:
    """Answer one question with atlassian-python-api, counting on both sides of the wire."""
    session.reset()
    emulator.reset_stats()
    started = time.perf_counter()
    rows = BASELINES[key](cloud, scope)
    wall = time.perf_counter() - started
    tally = session.reset()
    wall -= tally.accounting_s  # counting items is the harness's work, not the baseline's
    return SideResult(
        requests=tally.requests,
        emulator_requests=int(emulator.stats()["total"]),
        rows_fetched=tally.rows_fetched,
        rows_returned=len(rows),
        bytes=tally.bytes,
        wall_s=wall,
        local_s=max(0.0, wall - tally.http_s),
        rows=rows,
    )


def baseline_client(root_url: str) -> tuple[Any, CountingSession]:
    from atlassian.bitbucket import Cloud

    session = CountingSession()
    cloud = Cloud(url=root_url, username=DEMO_USER, password=DEMO_API_TOKEN, session=session)
    return cloud, session


class OurConnections:
    """Engines per query: a fresh one each (empty cache), shared only with a repeating query."""

    def __init__(self, emulator: Any, workspace: str, max_concurrency: int) -> None:
        self.emulator = emulator
        self.workspace = workspace
        self.max_concurrency = max_concurrency
        self.by_key: dict[str, Any] = {}

    def for_query(self, query: BenchQuery, scope: Scope) -> Any:
        if query.repeat_of is None:
            engine = self._open(query)
        elif query.repeat_of in self.by_key:
            engine = self.by_key[query.repeat_of]
        else:  # the original was not selected: run it first, unmeasured, to fill the cache
            original = QUERIES_BY_KEY[query.repeat_of]
            engine = self._open(original)
            engine.execute(original.sql(scope))
        self.by_key[query.key] = engine
        return engine

    def _open(self, query: BenchQuery) -> Any:
        return open_engine(
            self.emulator.base_url, self.workspace, self.max_concurrency, query.connection_options
        )

    def close(self) -> None:
        for engine in {id(e): e for e in self.by_key.values()}.values():
            with contextlib.suppress(Exception):  # closing is best effort at the end of a run
                engine.close()
        self.by_key.clear()


def _measure_ours(
    connections: OurConnections, query: BenchQuery, scope: Scope, emulator: Any
) -> tuple[SideResult | None, str | None]:
    try:
        return run_ours(connections.for_query(query, scope), query.sql(scope), emulator), None
    except Exception as error:  # noqa: BLE001 - recorded in the report and fails the run
        return None, _describe_error(error)


def run_suite(
    emulator: Any,
    queries: Sequence[BenchQuery],
    scope: Scope,
    *,
    with_baseline: bool,
    max_concurrency: int,
    log: Log = print,
    skip_ours: dict[str, str] | None = None,
) -> list[QueryOutcome]:
    """Measure every query: bound from the store, then ours, then the baseline; compare answers.

    ``skip_ours`` maps query keys to the reason ours is not measured for them (the bound still is).
    """
    skip_ours = skip_ours or {}
    store = emulator.store
    latency_ms = float(emulator.config.latency_ms)
    connections = OurConnections(emulator, scope.workspace, max_concurrency)
    cloud, session = baseline_client(emulator.root_url) if with_baseline else (None, None)
    outcomes: list[QueryOutcome] = []
    repeats_measured: dict[str, tuple[SideResult | None, str | None]] = {}
    try:
        for number, query in enumerate(queries, 1):
            sql = query.sql(scope)
            bound = BOUNDS[query.key](store, scope, max_concurrency)
            outcome = QueryOutcome(
                query.key,
                query.title,
                sql,
                query.scope_note,
                bound,
                connection_options=query.connection_options,
            )
            if query.key in skip_ours:
                outcome.ours_error = f"not run: {skip_ours[query.key]}"
            elif query.key in repeats_measured:
                outcome.ours, outcome.ours_error = repeats_measured.pop(query.key)
            else:
                outcome.ours, outcome.ours_error = _measure_ours(connections, query, scope, emulator)
            # A repeat runs right after its original (ours only), well within the cache's lifetime,
            # not after the slow baseline queries in between; it is reported at its own place.
            for repeat in queries:
                if repeat.repeat_of == query.key and outcome.ours is not None:
                    repeats_measured[repeat.key] = _measure_ours(connections, repeat, scope, emulator)
            if cloud is not None and session is not None:
                try:
                    outcome.baseline = run_baseline(cloud, session, query.key, scope, emulator)
                except Exception as error:  # noqa: BLE001 - recorded in the report and fails the run
                    outcome.baseline_error = _describe_error(error)
            if outcome.ours and outcome.baseline:
                compare = compare_ordered_rows if query.ordered else compare_rows
                outcome.difference = compare(outcome.ours.rows, outcome.baseline.rows)
            log(progress_line(number, len(queries), outcome, latency_ms))
            outcomes.append(outcome)
    finally:
        connections.close()
        if session is not None:
            session.close()
    return outcomes


def progress_line(number: int, total: int, outcome: QueryOutcome, latency_ms: float) -> str:
    def side(label: str, result: SideResult | None, error: str | None) -> str:
        if result is None:
            return f"{label}: {error or 'not run'}"
        return f"{label} {result.requests} req {result.wall_s:.2f} s"

    bound = outcome.bound
    parts = [
        side("ours", outcome.ours, outcome.ours_error),
        f"bound {bound.requests} req {bound.latency_s(latency_ms):.2f} s",
        side("baseline", outcome.baseline, outcome.baseline_error),
    ]
    verdict = " ANSWERS DIFFER" if outcome.answers_differ else ""
    return f"[{number}/{total}] {outcome.key}: " + "; ".join(parts) + verdict


def problems(outcomes: Sequence[QueryOutcome]) -> list[str]:
    """Everything that must fail the run: differing answers, disagreeing counts, errors."""
    found = []
    for outcome in outcomes:
        for label, result, error in (
            ("ours", outcome.ours, outcome.ours_error),
            ("baseline", outcome.baseline, outcome.baseline_error),
        ):
            if error:
                found.append(f"{outcome.key}: {label} failed: {error}")
            if result and result.requests != result.emulator_requests:
                found.append(
                    f"{outcome.key}: {label} counted {result.requests} requests but the emulator counted "
                    f"{result.emulator_requests}"
                )
        if outcome.difference:
            found.append(
                f"{outcome.key}: our answer differs from the baseline's\n{outcome.difference.describe()}"
            )
    return found
