"""Render a benchmark run as docs/benchmarks.md (Markdown tables plus the method in prose)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from benchmarks.machine import machine_description, package_versions
from benchmarks.measure import QueryOutcome, RunSettings, ScalingPoint, SideResult
from benchmarks.process import ProcessFigures
from benchmarks.queries import QUERIES_BY_KEY

NOT_MEASURED = "n/m"


def seconds(value: float | None) -> str:
    if value is None:
        return NOT_MEASURED
    if value < 0.01:
        return f"{value * 1000:.1f} ms"
    if value < 10:
        return f"{value:.2f} s"
    return f"{value:.1f} s"


def ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return NOT_MEASURED
    if denominator == 0:
        return "=" if numerator == 0 else "—"
    value = numerator / denominator
    return f"{value:.2f}×" if value < 0.1 else f"{value:.1f}×"


def plural(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def count(value: int | None) -> str:
    return NOT_MEASURED if value is None else f"{value:,}"


def size(value: int | None) -> str:
    if value is None:
        return NOT_MEASURED
    if value < 1024:
        return f"{value} B"
    if value < 1024**2:
        return f"{value / 1024:.1f} KiB"
    return f"{value / 1024**2:.1f} MiB"


def _requests(side: SideResult | None) -> int | None:
    return side.requests if side else None


def _wall(side: SideResult | None) -> float | None:
    return side.wall_s if side else None


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main_suite(outcomes: Sequence[QueryOutcome]) -> list[QueryOutcome]:
    """The questions the totals are about: neither cache repeats nor the fuzz-found outliers."""
    return [o for o in outcomes if not o.repeat and not o.outlier]


def outlier_queries(outcomes: Sequence[QueryOutcome]) -> list[QueryOutcome]:
    return [o for o in outcomes if o.outlier and not o.repeat]


def repeat_queries(outcomes: Sequence[QueryOutcome]) -> list[QueryOutcome]:
    return [o for o in outcomes if o.repeat]


def summary_table(outcomes: Sequence[QueryOutcome], latency_ms: float) -> list[str]:
    lines = [
        "| # | query | our requests | bound | tuned baseline requests | naive baseline requests | our time "
        "| latency bound | tuned baseline time | naive baseline time | ours ÷ bound (req) | tuned ÷ ours (req) "
        "| tuned ÷ ours (time) | naive ÷ ours (time) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for outcome in outcomes:
        ours_req, tuned_req, base_req = (
            _requests(outcome.ours),
            _requests(outcome.tuned),
            _requests(outcome.baseline),
        )
        ours_s, tuned_s, base_s = _wall(outcome.ours), _wall(outcome.tuned), _wall(outcome.baseline)
        bound_s = outcome.bound.latency_s(latency_ms)
        title = outcome.title + (" ⚠ answers differ" if outcome.answers_differ else "")
        lines.append(
            f"| {number_of(outcome)} | {_cell(title)} | {count(ours_req)} | {count(outcome.bound.requests)} "
            f"| {count(tuned_req)} | {count(base_req)} | {seconds(ours_s)} | {seconds(bound_s)} "
            f"| {seconds(tuned_s)} | {seconds(base_s)} | {ratio(ours_req, outcome.bound.requests)} "
            f"| {ratio(tuned_req, ours_req)} | {ratio(tuned_s, ours_s)} | {ratio(base_s, ours_s)} |"
        )
    return lines


def number_of(outcome: QueryOutcome) -> int:
    """The query's number in the suite (as in "The queries" below), whatever table it is in."""
    keys = list(QUERIES_BY_KEY)
    return keys.index(outcome.key) + 1 if outcome.key in keys else 0


def repeat_table(outcomes: Sequence[QueryOutcome]) -> list[str]:
    lines = [
        "| # | query | our requests | cache hits | bound | our time | tuned baseline requests | tuned baseline time "
        "| naive baseline requests | naive baseline time |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for o in outcomes:
        lines.append(
            f"| {number_of(o)} | {_cell(o.title)} | {count(_requests(o.ours))} "
            f"| {count(o.ours.cache_hits if o.ours else None)} | {o.bound.requests:,} | {seconds(_wall(o.ours))} "
            f"| {count(_requests(o.tuned))} | {seconds(_wall(o.tuned))} | {count(_requests(o.baseline))} "
            f"| {seconds(_wall(o.baseline))} |"
        )
    return lines


def detail_table(outcomes: Sequence[QueryOutcome]) -> list[str]:
    lines = [
        "| # | query | our rows fetched → returned | rows bound | tuned rows fetched | naive rows fetched "
        "| our bytes | tuned bytes | naive bytes | our local time | tuned local time | naive local time |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for outcome in outcomes:
        ours, tuned, base = outcome.ours, outcome.tuned, outcome.baseline
        ours_rows = f"{ours.rows_fetched:,} → {ours.rows_returned:,}" if ours else NOT_MEASURED
        rows_bound = "" if outcome.bound.rows_needed is None else f"{outcome.bound.rows_needed:,}"
        lines.append(
            f"| {number_of(outcome)} | {_cell(outcome.title)} | {ours_rows} | {rows_bound} "
            f"| {count(tuned.rows_fetched if tuned else None)} | {count(base.rows_fetched if base else None)} "
            f"| {size(ours.bytes if ours else None)} | {size(tuned.bytes if tuned else None)} "
            f"| {size(base.bytes if base else None)} | {seconds(ours.local_s if ours else None)} "
            f"| {seconds(tuned.local_s if tuned else None)} | {seconds(base.local_s if base else None)} |"
        )
    return lines


def _total(values: Sequence[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else sum(v for v in values if v is not None)


def totals_line(outcomes: Sequence[QueryOutcome], latency_ms: float, what: str = "the suite") -> str:
    def side(label: str, sides: list[SideResult | None]) -> str:
        req = _total([_requests(s) for s in sides])
        wall = _total([_wall(s) for s in sides])
        return f"{label} {count(None if req is None else int(req))} requests in {seconds(wall)}"

    bound_req = sum(o.bound.requests for o in outcomes)
    bound_s = sum(o.bound.latency_s(latency_ms) for o in outcomes)
    return (
        f"Totals over {what} ({len(outcomes)} queries): "
        + side("ours", [o.ours for o in outcomes])
        + f", lower bound {bound_req:,} requests in {seconds(bound_s)}, "
        + side("tuned baseline", [o.tuned for o in outcomes])
        + ", "
        + side("naive baseline", [o.baseline for o in outcomes])
        + "."
    )


def summary_points(outcomes: Sequence[QueryOutcome]) -> list[str]:
    """A few sentences computed from the numbers (so they cannot go stale)."""
    measured = [o for o in outcomes if o.ours]
    points = []
    at_bound = [o for o in measured if o.ours and o.ours.requests <= o.bound.requests]
    above = [o for o in measured if o.ours and o.ours.requests > o.bound.requests]
    if measured:
        points.append(
            f"bitbucket-sql made the fewest possible requests on {len(at_bound)} of {len(measured)} measured "
            "queries."
        )
    if above:
        points.append(
            "Above the bound: "
            + "; ".join(f"{o.key} ({o.ours.requests:,} vs {o.bound.requests:,})" for o in above if o.ours)
            + "."
        )
    for label, attribute in (
        ("tuned baseline", "tuned"),
        ("atlassian-python-api (naive) baseline", "baseline"),
    ):
        both = [o for o in measured if getattr(o, attribute) and o.ours]
        if not both:
            continue
        ours_req = sum(o.ours.requests for o in both if o.ours)
        ours_s = sum(o.ours.wall_s for o in both if o.ours)
        their_req = sum(getattr(o, attribute).requests for o in both)
        their_s = sum(getattr(o, attribute).wall_s for o in both)
        points.append(
            f"On the {len(both)} queries both answered, the {label} made {their_req:,} requests in "
            f"{seconds(their_s)}, bitbucket-sql {ours_req:,} in {seconds(ours_s)} (theirs ÷ ours: "
            f"{ratio(their_req, ours_req)} the requests, {ratio(their_s, ours_s)} the time)."
        )
    hits = [o for o in measured if o.ours and o.ours.cache_hits and not o.repeat]
    if hits:
        points.append(
            "Cache hits inside first runs (one scan reused by another part of the same query): "
            + ", ".join(f"{o.key} {o.ours.cache_hits}" for o in hits if o.ours)
            + "."
        )
    differing = [o.key for o in outcomes if o.answers_differ]
    if differing:
        points.append("Answers differ on: " + ", ".join(differing) + ".")
    elif any(o.baseline or o.tuned for o in measured):
        points.append(
            "Every answer the three sides gave was identical (compared as sorted multisets; in order where the "
            "order is part of the question)."
        )
    return points


def above_bound_reason(outcome: QueryOutcome) -> str:
    """Why our engine needed more requests than the bound (kept with the query in benchmarks.queries)."""
    query = QUERIES_BY_KEY.get(outcome.key)
    reason = query.above_bound_reason if query else ""
    return reason or "no known reason: investigate the engine's plan for this query"


def headline(
    outcomes: Sequence[QueryOutcome],
    settings: RunSettings,
    now: dt.datetime,
    machine: dict[str, str],
    versions: dict[str, str],
) -> list[str]:
    """The short summary at the top: totals, where and why we are above the bound, the setting."""
    suite = [o for o in main_suite(outcomes) if o.ours]
    ours_req = sum(o.ours.requests for o in suite if o.ours)
    bound_req = sum(o.bound.requests for o in suite)
    ours_s = sum(o.ours.wall_s for o in suite if o.ours)
    bound_s = sum(o.bound.latency_s(settings.latency_ms) for o in suite)
    first = f"* **Requests over the {len(suite)} measured queries: bitbucket-sql {ours_req:,}, lower bound {bound_req:,}"
    times = f"{seconds(ours_s)} vs {seconds(bound_s)} (latency bound)"
    for label, attribute in (("tuned script", "tuned"), ("atlassian-python-api", "baseline")):
        both = [o for o in suite if getattr(o, attribute)]
        if both and len(both) == len(suite):
            first += f", {label} {sum(getattr(o, attribute).requests for o in both):,}"
            times += f" vs {seconds(sum(getattr(o, attribute).wall_s for o in both))} ({label})"
    lines = [first + f".** Time: {times}. Cache repeats are not in these totals."]
    above = [o for o in suite if o.ours and o.ours.requests > o.bound.requests]
    lines.append(
        f"* At the bound on {len(suite) - len(above)} of {len(suite)} queries."
        + (" Above it:" if above else "")
    )
    lines += [
        f"  * {o.key}: {o.ours.requests:,} vs {o.bound.requests:,}; {above_bound_reason(o)}."
        for o in above
        if o.ours
    ]
    outliers = [o for o in outlier_queries(outcomes) if o.ours]
    if outliers:
        parts = [f"{o.key} {o.ours.requests:,} vs bound {o.bound.requests:,}" for o in outliers if o.ours]
        lines.append("* Fuzz-found outliers (ours vs bound): " + "; ".join(parts) + ".")
    repeats = [o for o in repeat_queries(outcomes) if o.ours]
    if repeats:
        lines.append(
            "* Repeats on the same connection (reported apart): "
            + "; ".join(
                f"{o.key} {o.ours.requests:,} requests, {o.ours.cache_hits} cache hit(s)"
                for o in repeats
                if o.ours
            )
            + "."
        )
    differing = [o.key for o in outcomes if o.answers_differ]
    miscounted = [
        o.key
        for o in outcomes
        for side in (o.ours, o.baseline, o.tuned)
        if side and side.requests != side.emulator_requests
    ]
    if differing:
        lines.append("* **Answers differ** on: " + ", ".join(differing) + ".")
    elif any(o.baseline or o.tuned for o in outcomes):
        lines.append("* Every answer equals both baselines'.")
    if miscounted:
        lines.append("* **Request counts disagree with the emulator's** on: " + ", ".join(miscounted) + ".")
    else:
        lines.append("* Every client's request count equals the emulator's own count.")
    lines += [
        f"* {now:%Y-%m-%d %H:%M} UTC, emulator scale `{settings.scale}`, {settings.latency_ms:g} ms latency; "
        f"{machine['cores']} cores ({machine['cpu']}), {machine['memory']} memory, {machine['python']}; "
        + ", ".join(f"{name} {version}" for name, version in versions.items())
        + ".",
    ]
    return lines


def queries_section(outcomes: Sequence[QueryOutcome]) -> list[str]:
    lines: list[str] = []
    for outcome in outcomes:
        lines += [f"{number_of(outcome)}. **{outcome.title}** (`{outcome.key}`). {outcome.scope_note}", ""]
        if outcome.connection_options:
            lines += [f"   Our connection adds `{outcome.connection_options}`.", ""]
        lines += ["   ```sql", *(f"   {line}" for line in outcome.sql.strip().splitlines()), "   ```", ""]
        lines += [
            f"   Bound: {plural(outcome.bound.requests, 'request')} in {plural(outcome.bound.rounds, 'round')}; "
            f"{outcome.bound.explanation}.",
            "",
        ]
        for label, error in (
            ("ours", outcome.ours_error),
            ("naive baseline", outcome.baseline_error),
            ("tuned baseline", outcome.tuned_error),
        ):
            if error:
                lines += [f"   Not measured ({label}): {_cell(error)}", ""]
        if outcome.difference:
            lines += [
                "   **Answers differ (naive baseline):**",
                "",
                "   ```",
                outcome.difference.describe(),
                "   ```",
                "",
            ]
        if outcome.tuned_difference:
            lines += [
                "   **Answers differ (tuned baseline):**",
                "",
                "   ```",
                outcome.tuned_difference.describe(),
                "   ```",
                "",
            ]
    return lines


def scaling_table(points: Sequence[ScalingPoint]) -> list[str]:
    lines = [
        "| scale | query | rows in scope | our requests | bound | our time | latency bound "
        "| rows fetched → returned | emulator start |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for point in points:
        ours = point.ours
        rows = f"{ours.rows_fetched:,} → {ours.rows_returned:,}" if ours else NOT_MEASURED
        lines.append(
            f"| {point.scale} | {_cell(point.title)} | {point.rows_in_scope:,} | {count(_requests(ours))} "
            f"| {point.bound.requests:,} | {seconds(_wall(ours))} | {seconds(point.bound.latency_s(point.latency_ms))} "
            f"| {rows} | {seconds(point.emulator_start_s)} |"
        )
    return lines


METHOD = """\
## How the numbers are measured

* **Requests** are counted twice: by our client (`result.stats.requests`) or, for the baselines, by a
  counting `requests.Session` (handed to `atlassian-python-api`, used directly by the tuned script),
  and by the emulator itself (`emu.stats()`, reset before every query). The run fails when the two
  counts differ.
* **Rows fetched** are API items transferred (each element of a page's `values`, plus each
  single-object GET); **rows returned** are the rows of the answer. **Bytes** are response bodies.
* **Time** is wall-clock time of the whole query on the client. **Local time** is measured the same
  way on every side: each side's HTTP library is watched at the same level (`httpx.Client.send` for
  bitbucket-sql, `requests.Session.send` for both baselines; both return once the body is read), the
  intervals during which at least one request was in flight are merged, and local time is wall time
  minus their union. So eight requests waiting at once count once, and what remains is the client's
  own work: building requests, JSON decoding, paging logic, DuckDB or pandas. (Before this run our
  side reported the engine's own `local_s`, which left out JSON decoding, while the baseline's was
  wall time minus the sum of its request times: not the same measure.) The baselines' time excludes
  the counting session's own work (decoding a body again to count its items).
* Our side is `Engine.execute(sql)` (what `bitbucket_sql.connect(...)` cursors run) with the connection
  `BaseURL=<emulator>;Workspace=acme;AuthScheme=APIToken;User=...;APIToken=...;MaxConcurrency=8`
  and every other property at its default; a query that needs more says so under "The queries".
* Every query of ours runs on a fresh connection (empty in-memory cache) except the cache query, which
  repeats an earlier query on that query's connection right after it (within the default `CacheTTL`
  of 300 s). **Cache hits are reported apart**: repeats are never in the totals, and the totals compare
  first runs only. Each connection's persistent cache (`Cache=persistent`, where the engine has one)
  lives in the user's cache directory, which the harness does not reset between queries; the queries of
  the suite do not repeat one another, and the whole-process scenarios run with a cache directory of
  their own.
* The **naive baseline** answers the same questions the way a user of `atlassian-python-api` would:
  `Cloud(url=root, username=e-mail, password=API token)`, then the library's idiomatic listings
  (`workspace.repositories.each()`, `repository.pullrequests.each(q=...)`, `pipelines.each()`,
  `commits.each()`, `branch_restrictions.each()`, `permissions.each()`, `pullrequests.get(id)`, ...)
  with the library's own paging (default page sizes; `pullrequests.each()` fetches every listed pull
  request again with one GET, as the library does), generic `_get_paged` where it has no helper
  (deployments, PR comments, PR activity), and pandas for the grouping. It runs sequentially, as such
  scripts do. It stops a listing early only where the server sorts it (pipelines by `-created_on`,
  `islice` on sorted pull requests and on `/commits/{branch}`), never on the order of the commit listing.
* The **tuned baseline** (`benchmarks/tuned.py`) is what an engineer who knows the API writes: the same
  HTTP library (`requests`), the maximum page size of every endpoint (100; 50 for pull requests and
  activity), every server-side filter the API has (BBQL `q`, `sort`, pipelines' `status=FAILED`, branch
  restrictions' `pattern`), `fields` so only the attributes it needs travel, the repository-wide activity
  stream where it needs fewer requests (activity per pull request; comments under `Optimize=requests`,
  while the default comments query keeps one listing per pull request, the faster way), one BBQL listing (`id = 1 OR id = 2 ...`) instead of one
  GET per id, a self-join or UNION answered from one listing, and a pool of 8 threads over repositories
  or parents (our `MaxConcurrency=8`). It follows `next` links page after page within one listing and
  does not cache.
* Our answers and both baselines' are compared as sorted multisets (floats with a relative tolerance of
  1e-6, timestamps normalised to UTC seconds), and row by row in order where the order is the question
  (the last N commits by `position`); any difference fails the run and is shown above.
* The **whole-process scenarios** (`benchmarks/process.py`) start a new `bbsql query` process (or, for
  the DB-API memory figures, `python -m benchmarks.memory_probe`) per run, with `HOME` and
  `XDG_CACHE_HOME` in a fresh temporary directory unless the scenario shares one on purpose; requests are
  the emulator's count for that process, wall time runs from spawning to reaping it, peak memory is the
  `ru_maxrss` that `wait4` reports for it. They run after the query suite, at the same latency, and the
  refresh scenario last (it changes the emulator's data).

## How the lower bound is computed

The bound is what *any* client would need with the API as it is, computed from the emulator's
store (the ground truth) rather than from our client:

1. **Rows the answer needs.** For each collection the query touches, count the items that
   satisfy every predicate the API can evaluate itself (BBQL `q`, query parameters such as
   pipelines' `sort`, the path keys), i.e. the rows a perfect client must still transfer. Where
   the API can sort and the query only needs the first *N* rows, only *N* are needed; a
   listing sorted by the server on the filtered column (pipelines by `-created_on`) can be left
   after the first row past the range, which a client must see to know it may stop. A listing
   the server neither filters nor sorts by the filtered column must be read to the end: commits
   have no `q` and come in topological order (newest first, a parent never before its child),
   which does not make dates decrease (author dates survive rebases and come from committers'
   clocks), so the commits in a date range cost every page of the repository's commits. Only an
   order the API defines counts: the first *N* of `/commits/{branch}` are the branch's last *N*
   commits *by definition* of that listing, so that question needs one page.
2. **Pages of the maximum size.** Each collection costs `max(1, ceil(rows / max pagelen))`
   requests: 100 per page, 50 for pull requests and pull-request activity. An empty collection
   still costs one request (that is how a client learns it is empty).
3. **Unavoidable enumeration.** A question that spans the workspace must first list its
   repositories (`ceil(repositories / 100)` pages) and then ask every repository; a question
   about the children of selected parents (steps of failed pipelines, comments of pull requests)
   costs one listing per parent. Where two strategies exist (comments per pull request versus the
   repository-wide activity stream) the bound takes the cheaper one; the activity stream still
   needs the filtered pull-request listing (it cannot tell which pull requests are merged with
   `updated_on` in range) and all its pages (its order is not documented). The same choice holds for
   activity (per pull request or the stream) and for pull requests named by id (one GET per id per
   repository, or one BBQL listing `id = 1 OR id = 2 ...` per repository). Two references to one table
   in a query (a self-join, a UNION) cost what one listing covering both costs. Listing pull requests per
   author (`/workspaces/{workspace}/pullrequests/{user}`) is not counted as a strategy: it cannot
   be complete, because it misses pull requests by people who are no longer members.
4. **Latency bound.** The requests form a forest of dependencies: the pages of a list-style
   collection (responses carry `size`) can all be fetched once the first page has arrived, a
   cursor-paged collection (commits, activity) must be read page after page, and a child
   collection can only be requested after the parent page that named it. Hu's
   highest-level-first schedule (optimal for unit-time jobs on a forest) gives the fewest
   rounds in which `MaxConcurrency` = 8 connections complete the forest; the latency bound is
   rounds × the emulator's base latency (jitter only adds to it). It ignores local work and
   transfer time, so no client can beat it under this latency.
5. A query that repeats an earlier one has a bound of 0 requests: a client with a cache need not
   ask again. So does a repeat in a new process within the cache's lifetime.
6. **Rows bound** (where computed): the API items in the pages above, i.e. the fewest a client must
   transfer. For the failed pipelines with their steps: the repository listing, each repository's
   pipelines with `status=FAILED` sorted by `-created_on` down to one failure before the month, and
   the steps of the month's failures.
7. **Whole processes.** A process cannot start faster than the interpreter (`python -c pass`), plus
   one latency per request it must make. An incremental refresh must read the repository listing again
   and each repository's pull requests sorted by `-updated_on` down to the first one it already has
   (one page per repository for a few changes); a cold run reads every page.

## Scaling run

`--scaling` generates `small`, `medium` and `large` in turn (repository `api` for the single-repository
questions, so the same repository is asked about at every scale) and runs three queries on each with
our engine only. At `large` the emulator keeps only 64 repositories' histories in memory and
regenerates the others on demand, which would time data generation instead of the API; the harness
therefore first generates and keeps every repository of the workspace, and skips the workspace-wide
query (reporting its bound only) when that needs more than half the machine's free memory.
"""


def render_report(
    outcomes: Sequence[QueryOutcome],
    settings: RunSettings,
    *,
    command: str,
    chart_name: str | None,
    scaling: Sequence[ScalingPoint] = (),
    scaling_chart_name: str | None = None,
    notes: Sequence[str] = (),
    now: dt.datetime | None = None,
    process: ProcessFigures | None = None,
) -> str:
    """The whole Markdown document for one run."""
    from benchmarks.process_report import before_after, process_section  # it renders with this module

    now = now or dt.datetime.now(dt.UTC)
    machine = machine_description()
    versions = package_versions()
    suite, outliers, repeats = main_suite(outcomes), outlier_queries(outcomes), repeat_queries(outcomes)
    baselines = (
        "sequential `atlassian-python-api` (naive) and `requests` with 8 threads (tuned)"
        if settings.baseline
        else "not run (`--no-baseline`)"
    )
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `python -m benchmarks.run`; edit benchmarks/report.py, not this file. -->",
        "",
        "How many HTTP requests and how much time common data-engineering questions cost through",
        "bitbucket-sql, compared with the lowest possible cost and with the same questions answered",
        "by hand twice: the way a user of `atlassian-python-api` and pandas writes it first (the naive",
        "baseline), and the way an engineer who knows the API writes it when it matters (the tuned",
        "baseline: maximum page sizes, server-side filters, `fields`, 8 threads). Everything runs",
        "against the local Bitbucket Cloud emulator, so the numbers are reproducible.",
        "",
        "## Summary",
        "",
        *headline(outcomes, settings, now, machine, versions),
        "",
        "## Run it",
        "",
        "```sh",
        'pip install -e ".[bench]" && python -m benchmarks.run',
        "```",
        "",
        "Options: `--scale tiny|small|medium|large` (default `medium`), `--latency-ms` (default 100),",
        "`--jitter-ms` (default 20), `--queries key,key,...` (a subset; keys below), `--output FILE`",
        "(default `docs/benchmarks.md`; the chart is written next to it as a PNG), `--no-baseline`",
        "(skip both hand-written baselines), `--no-process` (skip the whole-process scenarios),",
        "`--scaling` (also run three queries at small, medium and large), `--seed`, `--max-concurrency`",
        "(default 8), `--process-runs` (default 5), `--no-chart`. Run it from the repository root. At medium",
        "the whole run takes about 25 minutes with `--scaling`, most of it the sequential naive baseline and",
        "the whole-process scenarios. The command exits non-zero when our answers",
        "differ from either baseline's, when a client's request count differs from the emulator's, when a",
        "query or a process fails, or when a refresh's answer differs from a cold run's.",
        "",
        "## This run",
        "",
        f"* Date: {now:%Y-%m-%d %H:%M} UTC; command: `{command}`",
        f"* Emulator: scale `{settings.scale}` (seed {settings.seed}), latency {settings.latency_ms:g} ms plus "
        f"0–{settings.jitter_ms:g} ms jitter per request, started in {seconds(settings.emulator_start_s)}; "
        + ", ".join(f"{n:,} {what}" for what, n in settings.emulator_counts.items()),
        f"* Our connection: `MaxConcurrency={settings.max_concurrency}`; baselines: {baselines}",
        f"* Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory']} memory, "
        f"{machine['os']}, {machine['python']}"
        + (
            f"; 1-minute load average {settings.load_average:.1f} just before the suite (the machine is shared: "
            "other work on it slows every time figure, never the request counts)"
            if settings.load_average is not None
            else ""
        ),
        "* Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        "",
        f"`{NOT_MEASURED}` = not measured (the reason is given under the query).",
        "",
        "## Requests and time",
        "",
        *summary_table(suite, settings.latency_ms),
        "",
        totals_line(suite, settings.latency_ms),
        "",
        *(f"* {point}" for point in summary_points(suite)),
        "",
    ]
    if chart_name:
        lines += [f"![Requests and time per query]({chart_name})", ""]
    if outliers:
        lines += [
            "## Fuzz-found outliers",
            "",
            "Queries that random testing found to cost far more than they should (issue 14), each with its lower "
            "bound. They are kept out of the suite's totals above so those stay comparable with earlier runs.",
            "",
            *summary_table(outliers, settings.latency_ms),
            "",
            totals_line(outliers, settings.latency_ms, "the outliers"),
            "",
        ]
    if repeats:
        lines += [
            "## Repeats answered from the cache",
            "",
            "A repeat of an earlier query on the same connection, right after it. Cache hits are reported here and "
            "never counted in the totals (a repeat costs a script its full price again, and would flatter our "
            'ratios). Repeats in a new process are under "Whole processes" below.',
            "",
            *repeat_table(repeats),
            "",
        ]
    lines += ["## Rows, bytes and local work", "", *detail_table([*suite, *outliers, *repeats]), ""]
    lines += [
        "*Rows bound* is the fewest API items a client must transfer, where the bound computes it. "
        "*Local time* is the same measure on every side: wall time minus the time during which at least one "
        'HTTP request of the query was in flight (see "How the numbers are measured").',
        "",
    ]
    if process is not None:
        lines += process_section(process, settings.latency_ms)
    lines += before_after(outcomes, process, settings.latency_ms)
    if notes:
        lines += ["## Notes", "", *(f"* {note}" for note in notes), ""]
    lines += ["## The queries", "", *queries_section([*suite, *outliers, *repeats])]
    if scaling:
        lines += [
            "## Scaling",
            "",
            "The same three queries at growing data sizes (same latency), showing how requests and time",
            "grow with the data. *Rows in scope* counts the API items of the collections the query reads.",
            "",
            *scaling_table(scaling),
            "",
            *(f"* `{p.scale}` {p.key}: {p.ours_error}." for p in scaling if p.ours_error),
            "",
        ]
        if scaling_chart_name:
            lines += [f"![Requests and time by scale]({scaling_chart_name})", ""]
    lines += [METHOD]
    return "\n".join(lines).rstrip() + "\n"
