"""Running the suite against a live emulator: ours, the baseline and the bound for each query."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.baseline import BASELINES
from benchmarks.bounds import BOUNDS
from benchmarks.compare import compare_ordered_rows, compare_rows
from benchmarks.counting import CountingSession
from benchmarks.http_wait import HTTP_WAIT, watching_http
from benchmarks.measure import QueryOutcome, SideResult
from benchmarks.ours import DEMO_API_TOKEN, DEMO_USER, open_engine, run_ours
from benchmarks.queries import QUERIES_BY_KEY, BenchQuery
from benchmarks.scope import Scope
from benchmarks.tuned import TUNED, Api

Log = Callable[[str], None]


def _describe_error(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def _run_script(
    answer: Callable[[], list[tuple[Any, ...]]], session: CountingSession, emulator: Any
) -> SideResult:
    """Answer one question with a hand-written script, counting on both sides of the wire."""
    session.reset()
    emulator.reset_stats()
    HTTP_WAIT.clear()
    started = time.perf_counter()
    rows = answer()
    finished = time.perf_counter()
    tally = session.reset()
    accounting = tally.accounting_s  # counting items is the harness's work, not the script's
    wall = (finished - started) - accounting
    return SideResult(
        requests=tally.requests,
        emulator_requests=int(emulator.stats()["total"]),
        rows_fetched=tally.rows_fetched,
        rows_returned=len(rows),
        bytes=tally.bytes,
        wall_s=wall,
        local_s=max(0.0, HTTP_WAIT.local(started, finished) - accounting),
        rows=rows,
    )


def run_baseline(cloud: Any, session: CountingSession, key: str, scope: Scope, emulator: Any) -> SideResult:
    """The naive baseline: atlassian-python-api used idiomatically, sequentially."""
    return _run_script(lambda: BASELINES[key](cloud, scope), session, emulator)


def run_tuned(api: Api, session: CountingSession, key: str, scope: Scope, emulator: Any) -> SideResult:
    """The tuned baseline: requests with maximum pages, filters, fields and 8 threads."""
    return _run_script(lambda: TUNED[key](api, scope), session, emulator)


def baseline_client(root_url: str) -> tuple[Any, CountingSession]:
    from atlassian.bitbucket import Cloud

    session = CountingSession()
    cloud = Cloud(url=root_url, username=DEMO_USER, password=DEMO_API_TOKEN, session=session)
    return cloud, session


class OurConnections:
    """Engines per query: a fresh one each (empty cache), shared only with a repeating query.

    Where the engine keeps a persistent cache, each fresh connection gets an empty cache directory
    of its own (``CacheLocation``): otherwise a query would be answered from what earlier queries,
    or earlier runs, left in the user's cache, and the suite would not measure first runs.
    """

    def __init__(self, emulator: Any, workspace: str, max_concurrency: int) -> None:
        self.emulator = emulator
        self.workspace = workspace
        self.max_concurrency = max_concurrency
        self.by_key: dict[str, Any] = {}
        self._caches = tempfile.TemporaryDirectory(prefix="bbsql-bench-cache-")
        self._opened = 0

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
        self._opened += 1
        options = [query.connection_options] if query.connection_options else []
        if has_property("CacheLocation"):
            options.append(f"CacheLocation={Path(self._caches.name) / str(self._opened)}")
        return open_engine(self.emulator.base_url, self.workspace, self.max_concurrency, ";".join(options))

    def close(self) -> None:
        for engine in {id(e): e for e in self.by_key.values()}.values():
            with contextlib.suppress(Exception):  # closing is best effort at the end of a run
                engine.close()
        self.by_key.clear()
        self._caches.cleanup()


def has_property(name: str) -> bool:
    """Whether this build's connection settings know the property ``name``."""
    from bitbucket_sql.api.settings import PROPERTIES

    return any(p.name.lower() == name.lower() for p in PROPERTIES)


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
    with_tuned: bool | None = None,
) -> list[QueryOutcome]:
    """Measure every query: bound from the store, then ours, then both baselines; compare answers.

    ``skip_ours`` maps query keys to the reason ours is not measured for them (the bound still is).
    ``with_tuned`` defaults to ``with_baseline``.
    """
    with watching_http():
        return _run_suite(
            emulator,
            queries,
            scope,
            with_baseline=with_baseline,
            with_tuned=with_baseline if with_tuned is None else with_tuned,
            max_concurrency=max_concurrency,
            log=log,
            skip_ours=skip_ours or {},
        )


def _run_suite(
    emulator: Any,
    queries: Sequence[BenchQuery],
    scope: Scope,
    *,
    with_baseline: bool,
    with_tuned: bool,
    max_concurrency: int,
    log: Log,
    skip_ours: dict[str, str],
) -> list[QueryOutcome]:
    store = emulator.store
    latency_ms = float(emulator.config.latency_ms)
    connections = OurConnections(emulator, scope.workspace, max_concurrency)
    cloud, session = baseline_client(emulator.root_url) if with_baseline else (None, None)
    tuned_api, tuned_session = (
        tuned_client(emulator.base_url, scope.workspace) if with_tuned else (None, None)
    )
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
                repeat=query.is_repeat,
                outlier=query.outlier,
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
            if tuned_api is not None and tuned_session is not None:
                try:
                    outcome.tuned = run_tuned(tuned_api, tuned_session, query.key, scope, emulator)
                except Exception as error:  # noqa: BLE001 - recorded in the report and fails the run
                    outcome.tuned_error = _describe_error(error)
            compare = compare_ordered_rows if query.ordered else compare_rows
            if outcome.ours and outcome.baseline:
                outcome.difference = compare(outcome.ours.rows, outcome.baseline.rows)
            if outcome.ours and outcome.tuned:
                outcome.tuned_difference = compare(outcome.ours.rows, outcome.tuned.rows)
            elif outcome.baseline and outcome.tuned:
                outcome.tuned_difference = compare(outcome.baseline.rows, outcome.tuned.rows)
            log(progress_line(number, len(queries), outcome, latency_ms))
            outcomes.append(outcome)
    finally:
        connections.close()
        if session is not None:
            session.close()
        if tuned_api is not None and tuned_session is not None:
            tuned_api.close()
            tuned_session.close()
    return outcomes


def tuned_client(base_url: str, workspace: str) -> tuple[Api, CountingSession]:
    """The tuned script's client: a counting ``requests.Session`` with the demo credentials."""
    from requests.adapters import HTTPAdapter

    session = CountingSession()
    session.auth = (DEMO_USER, DEMO_API_TOKEN)
    session.headers["Accept"] = "application/json"
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=8)  # one keep-alive connection per thread
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return Api(session, base_url, workspace), session


def progress_line(number: int, total: int, outcome: QueryOutcome, latency_ms: float) -> str:
    def side(label: str, result: SideResult | None, error: str | None) -> str:
        if result is None:
            return f"{label}: {error or 'not run'}"
        return f"{label} {result.requests} req {result.wall_s:.2f} s"

    bound = outcome.bound
    parts = [
        side("ours", outcome.ours, outcome.ours_error),
        f"bound {bound.requests} req {bound.latency_s(latency_ms):.2f} s",
        side("tuned", outcome.tuned, outcome.tuned_error),
        side("naive", outcome.baseline, outcome.baseline_error),
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
            ("tuned baseline", outcome.tuned, outcome.tuned_error),
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
        if outcome.tuned_difference:
            found.append(
                f"{outcome.key}: the tuned baseline's answer differs\n{outcome.tuned_difference.describe()}"
            )
    return found
