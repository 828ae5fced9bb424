"""Render a benchmark run as docs/benchmarks.md (Markdown tables plus the method in prose)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from benchmarks.machine import machine_description, package_versions
from benchmarks.measure import QueryOutcome, RunSettings, ScalingPoint, SideResult
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


def summary_table(outcomes: Sequence[QueryOutcome], latency_ms: float) -> list[str]:
    lines = [
        "| # | query | our requests | bound | baseline requests | our time | latency bound | baseline time "
        "| ours ÷ bound (req) | baseline ÷ ours (req) | ours ÷ bound (time) | baseline ÷ ours (time) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for number, outcome in enumerate(outcomes, 1):
        ours_req, base_req = _requests(outcome.ours), _requests(outcome.baseline)
        ours_s, base_s = _wall(outcome.ours), _wall(outcome.baseline)
        bound_s = outcome.bound.latency_s(latency_ms)
        title = outcome.title + (" ⚠ answers differ" if outcome.answers_differ else "")
        lines.append(
            f"| {number} | {_cell(title)} | {count(ours_req)} | {count(outcome.bound.requests)} "
            f"| {count(base_req)} | {seconds(ours_s)} | {seconds(bound_s)} | {seconds(base_s)} "
            f"| {ratio(ours_req, outcome.bound.requests)} | {ratio(base_req, ours_req)} "
            f"| {ratio(ours_s, bound_s)} | {ratio(base_s, ours_s)} |"
        )
    return lines


def detail_table(outcomes: Sequence[QueryOutcome]) -> list[str]:
    lines = [
        "| # | query | our rows fetched → returned | our bytes | our local time | cache hits "
        "| baseline rows fetched → returned | baseline bytes | baseline local time |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for number, outcome in enumerate(outcomes, 1):
        ours, base = outcome.ours, outcome.baseline
        ours_rows = f"{ours.rows_fetched:,} → {ours.rows_returned:,}" if ours else NOT_MEASURED
        base_rows = f"{base.rows_fetched:,} → {base.rows_returned:,}" if base else NOT_MEASURED
        lines.append(
            f"| {number} | {_cell(outcome.title)} | {ours_rows} | {size(ours.bytes if ours else None)} "
            f"| {seconds(ours.local_s if ours else None)} | {count(ours.cache_hits if ours else None)} "
            f"| {base_rows} | {size(base.bytes if base else None)} "
            f"| {seconds(base.local_s if base else None)} |"
        )
    return lines


def totals_line(outcomes: Sequence[QueryOutcome], latency_ms: float) -> str:
    def total(values: list[float | None]) -> float | None:
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    ours_req = total([_requests(o.ours) for o in outcomes])
    base_req = total([_requests(o.baseline) for o in outcomes])
    bound_req = sum(o.bound.requests for o in outcomes)
    ours_s = total([_wall(o.ours) for o in outcomes])
    base_s = total([_wall(o.baseline) for o in outcomes])
    bound_s = sum(o.bound.latency_s(latency_ms) for o in outcomes)
    return (
        f"Totals over the suite: ours {count(None if ours_req is None else int(ours_req))} requests in "
        f"{seconds(ours_s)}, lower bound {bound_req:,} requests in {seconds(bound_s)}, baseline "
        f"{count(None if base_req is None else int(base_req))} requests in {seconds(base_s)}."
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
    both = [o for o in measured if o.baseline and o.ours]
    if both:
        ours_req = sum(o.ours.requests for o in both if o.ours)
        base_req = sum(o.baseline.requests for o in both if o.baseline)
        ours_s = sum(o.ours.wall_s for o in both if o.ours)
        base_s = sum(o.baseline.wall_s for o in both if o.baseline)
        points.append(
            f"On the {len(both)} queries both sides answered, the atlassian-python-api baseline made "
            f"{base_req:,} requests in {seconds(base_s)}, bitbucket-sql {ours_req:,} in {seconds(ours_s)} "
            f"(baseline ÷ ours: {ratio(base_req, ours_req)} the requests, {ratio(base_s, ours_s)} the time)."
        )
    differing = [o.key for o in outcomes if o.answers_differ]
    if differing:
        points.append("Answers differ on: " + ", ".join(differing) + ".")
    elif both:
        points.append(
            "Every answer both sides gave was identical (compared as sorted multisets; in order where the "
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
    measured = [o for o in outcomes if o.ours]
    ours_req = sum(o.ours.requests for o in measured if o.ours)
    bound_req = sum(o.bound.requests for o in measured)
    ours_s = sum(o.ours.wall_s for o in measured if o.ours)
    bound_s = sum(o.bound.latency_s(settings.latency_ms) for o in measured)
    lines = [
        f"* **Requests over the {len(measured)} measured queries: bitbucket-sql {ours_req:,}, lower bound "
        f"{bound_req:,}"
    ]
    both = [o for o in measured if o.baseline]
    if both:
        base_req = sum(o.baseline.requests for o in both if o.baseline)
        base_s = sum(o.baseline.wall_s for o in both if o.baseline)
        lines[0] += f", atlassian-python-api baseline {base_req:,}"
        time_text = f"{seconds(ours_s)} vs {seconds(bound_s)} (latency bound) vs {seconds(base_s)}"
    else:
        time_text = f"{seconds(ours_s)} vs {seconds(bound_s)} (latency bound)"
    lines[0] += f".** Time: {time_text}."
    above = [o for o in measured if o.ours and o.ours.requests > o.bound.requests]
    at_bound = len(measured) - len(above)
    lines.append(
        f"* At the bound on {at_bound} of {len(measured)} queries." + (" Above it:" if above else "")
    )
    lines += [
        f"  * {o.key}: {o.ours.requests:,} vs {o.bound.requests:,}; {above_bound_reason(o)}."
        for o in above
        if o.ours
    ]
    differing = [o.key for o in outcomes if o.answers_differ]
    miscounted = [
        o.key
        for o in outcomes
        for side in (o.ours, o.baseline)
        if side and side.requests != side.emulator_requests
    ]
    if differing:
        lines.append("* **Answers differ** on: " + ", ".join(differing) + ".")
    elif both:
        lines.append("* Every answer equals the baseline's.")
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
    for number, outcome in enumerate(outcomes, 1):
        lines += [f"{number}. **{outcome.title}** (`{outcome.key}`). {outcome.scope_note}", ""]
        if outcome.connection_options:
            lines += [f"   Our connection adds `{outcome.connection_options}`.", ""]
        lines += ["   ```sql", *(f"   {line}" for line in outcome.sql.strip().splitlines()), "   ```", ""]
        lines += [
            f"   Bound: {plural(outcome.bound.requests, 'request')} in {plural(outcome.bound.rounds, 'round')}; "
            f"{outcome.bound.explanation}.",
            "",
        ]
        for label, error in (("ours", outcome.ours_error), ("baseline", outcome.baseline_error)):
            if error:
                lines += [f"   Not measured ({label}): {_cell(error)}", ""]
        if outcome.difference:
            lines += ["   **Answers differ:**", "", "   ```", outcome.difference.describe(), "   ```", ""]
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

* **Requests** are counted twice: by our client (`result.stats.requests`) or, for the baseline, by a
  counting `requests.Session` handed to `atlassian-python-api`, and by the emulator itself
  (`emu.stats()`, reset before every query). The run fails when the two counts differ.
* **Rows fetched** are API items transferred (each element of a page's `values`, plus each
  single-object GET); **rows returned** are the rows of the answer. **Bytes** are response bodies.
* **Time** is wall-clock time of the whole query on the client; **local time** is the part not spent
  waiting for HTTP responses (planning, JSON decoding, DuckDB or pandas work).
* Our side is `Engine.execute(sql)` (what `bitbucket_sql.connect(...)` cursors run) with the connection
  `BaseURL=<emulator>;Workspace=acme;AuthScheme=APIToken;User=...;APIToken=...;MaxConcurrency=8`
  and every other property at its default; a query that needs more says so under "The queries".
* Every query of ours runs on a fresh connection (empty cache) except the cache query, which repeats
  an earlier query on that query's connection right after it (within the default `CacheTTL` of
  300 s; the baseline's slow queries in between would otherwise outlast it).
* The **baseline** answers the same questions the way a user of `atlassian-python-api` would:
  `Cloud(url=root, username=e-mail, password=API token)`, then the library's idiomatic listings
  (`workspace.repositories.each()`, `repository.pullrequests.each(q=...)`, `pipelines.each()`,
  `commits.each()`, `branch_restrictions.each()`, `permissions.each()`, ...) with the library's own
  paging (default page sizes; `pullrequests.each()` fetches every listed pull request again with
  one GET, as the library does), generic `_get_paged` where it has no helper (deployments, PR
  comments), and pandas for the grouping. It runs sequentially, as such scripts do. It stops a
  listing early only where the server sorts it (pipelines by `-created_on`, `islice` on sorted pull
  requests and on `/commits/{branch}`), never on the order of the commit listing. Our answers and
  the baseline's are compared as sorted multisets (floats with a relative tolerance of 1e-6,
  timestamps normalised to UTC seconds), and row by row in order where the order is the question
  (the last N commits by `position`); any difference fails the run and is shown above.

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
   `updated_on` in range) and all its pages (its order is not documented). Listing pull requests per
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
   ask again.

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
) -> str:
    """The whole Markdown document for one run."""
    now = now or dt.datetime.now(dt.UTC)
    machine = machine_description()
    versions = package_versions()
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by `python -m benchmarks.run`; edit benchmarks/report.py, not this file. -->",
        "",
        "How many HTTP requests and how much time common data-engineering questions cost through",
        "bitbucket-sql, compared with the lowest possible cost and with the same questions answered",
        "by hand with `atlassian-python-api` and pandas. Everything runs against the local Bitbucket",
        "Cloud emulator, so the numbers are reproducible.",
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
        "(skip `atlassian-python-api`), `--scaling` (also run three queries at small, medium and",
        "large), `--seed`, `--max-concurrency` (default 8), `--no-chart`. Run it from the repository",
        "root. The whole run takes about 13 minutes with `--scaling`, most of it the sequential baseline. The command",
        "exits non-zero when our answers differ from the baseline's, when a client's request count",
        "differs from the emulator's, or when a query fails.",
        "",
        "## This run",
        "",
        f"* Date: {now:%Y-%m-%d %H:%M} UTC; command: `{command}`",
        f"* Emulator: scale `{settings.scale}` (seed {settings.seed}), latency {settings.latency_ms:g} ms plus "
        f"0–{settings.jitter_ms:g} ms jitter per request, started in {seconds(settings.emulator_start_s)}; "
        + ", ".join(f"{n:,} {what}" for what, n in settings.emulator_counts.items()),
        f"* Our connection: `MaxConcurrency={settings.max_concurrency}`; baseline: "
        + ("sequential `atlassian-python-api`" if settings.baseline else "not run (`--no-baseline`)"),
        f"* Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory']} memory, "
        f"{machine['os']}, {machine['python']}",
        "* Versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        "",
        f"`{NOT_MEASURED}` = not measured (the reason is given under the query).",
        "",
        "## Requests and time",
        "",
        *summary_table(outcomes, settings.latency_ms),
        "",
        totals_line(outcomes, settings.latency_ms),
        "",
        *(f"* {point}" for point in summary_points(outcomes)),
        "",
    ]
    if chart_name:
        lines += [f"![Requests and time per query]({chart_name})", ""]
    lines += ["## Rows, bytes and local work", "", *detail_table(outcomes), ""]
    if notes:
        lines += ["## Notes", "", *(f"* {note}" for note in notes), ""]
    lines += ["## The queries", "", *queries_section(outcomes)]
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
