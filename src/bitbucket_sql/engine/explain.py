"""EXPLAIN and EXPLAIN ANALYZE output: one text column ``plan``, one row per line.

For each scan: the request (method and path template), how many scopes it visits and where
they come from, ``q``, ``sort``/``limit``, ``fields``, ``pagelen``, the predicates pushed and
those evaluated locally, then the local DuckDB step. EXPLAIN makes no request except the
parent enumerations needed to count scopes, and says how many it made. EXPLAIN ANALYZE runs
the query and adds requests, retries, bytes, rows fetched and time per scan and in total.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .estimate import listing_requests
from .fetcher import ScanReport
from .result import QueryStats
from .strategies.modes import modes_of


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 request``, ``2 requests``, ``1 cache hit``, ``0 rows``."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def _is_key_source(plan: Any, sources: set[int]) -> bool:
    return plan.ref is not None and plan.ref.ref_id in sources


def _scan_lines(
    index: int, report: ScanReport, alias: str, analyze: bool, names: dict[int, str], sources: set[int]
) -> list[str]:
    plan = report.plan
    method = "GET"
    title = f"Scan {index}: {plan.label}" + (f" AS {alias}" if alias and alias != plan.table.name else "")
    lines = [title]
    if report.shared_with is not None:
        lines.append(f"  shared: reads the rows of {report.shared_with} (one scan per table, scope and filter); "
                     f"no request of its own")
        if plan.pushed:
            lines.append(f"  pushed: {' AND '.join(plan.pushed)}")
        return lines
    scopes = (
        f"scopes: {report.scopes}" if report.scopes is not None
        else f"scopes: one per key value from {report.deferred}" if report.deferred
        else "scopes: ?"
    )
    path = report.path or plan.table.path
    endpoint = report.choice.strategy.endpoint(plan) if report.choice is not None else None
    if endpoint is not None and not analyze:  # another endpoint than the plan's own: one per repository
        path, scopes = endpoint, f"scopes: {report.choice.strategy.scope_text}"
    lines.append(f"  request: {method} {path}   {scopes}")
    if report.estimate is not None:
        own = report.requests - listing_requests(report)  # the parent listings are shown on their own
        actual = f"; actual {plural(own, 'request')}" if analyze else ""
        lines.append(f"  estimate: {report.estimate.text()}{actual}")
    if report.choice is not None and len(report.choice.alternatives) > 1:
        lines.extend(report.choice.lines())
    if plan.default_repository is not None:
        lines.append(
            f"  repository: {plan.default_repository!r} from the connection's Repository (the query names no "
            f"repository; add a repository condition to read others)"
        )
    if plan.key_values:
        fixed = ", ".join(f"{k} IN ({', '.join(repr(v) for v in sorted(vs, key=repr))})" for k, vs in plan.key_values.items())
        lines.append(f"  keys from filters: {fixed}")
    if plan.links:
        linked = ", ".join(f"{k} = {names.get(link.source_ref, '?')}.{link.source_column}" for k, link in plan.links.items())
        lines.append(f"  keys from join: {linked} (fetched first)")
    if plan.get_ids is not None:
        lines.append(f"  get by {plan.table.get_key[0]}: {', '.join(repr(v) for v in plan.get_ids)}")
    if plan.q and plan.get_ids is None:
        lines.append(f"  q: {plan.q}")
    for link in plan.link_terms:
        source = names.get(link.source_ref, "?")
        lines.append(f"  q also: {link.column} IN (the {source}.{link.source_column} values, fetched first)")
    for mode in modes_of(plan):  # what bounds the listing's rows (strategies.modes)
        lines.extend(mode.explain(plan))
    if plan.limit is not None and plan.listing_limit is None and not plan.sort:
        lines.append(f"  limit per scope: {plan.limit} (LIMIT without ORDER BY: any rows will do)")
    if plan.sort and plan.range_stop is None:
        lines.append(f"  sort: {plan.sort}   limit per scope: {plan.limit}")
        if plan.nulls_last_fix:
            again = f"q: {plan.nonnull_q}" if plan.nonnull_q else "the whole scope"
            lines.append(f"  nulls last: a scope whose first {plan.limit} rows hold nulls is read again ({again})")
    other = {k: v for k, v in plan.request_params().items() if k not in ("q", "sort", "fields")}
    if other:
        shown = ", ".join(f"{k}={','.join(v) if isinstance(v, tuple | list) else v}" for k, v in other.items())
        lines.append(f"  params: {shown}")
    if plan.fields:
        lines.append(f"  fields: {plan.fields}")
    if plan.table.paging not in ("single", "raw") and plan.get_ids is None:
        lines.append(f"  pagelen: {plan.pagelen}")
    if plan.pushed:
        lines.append(f"  pushed: {' AND '.join(plan.pushed)}")
    if plan.local:
        lines.append(f"  local: {' AND '.join(plan.local)}")
    if plan.key_filter and plan.local and _is_key_source(plan, sources):
        lines.append(f"  keys passed to joins: only rows passing {' AND '.join(plan.key_filter)} (checked locally first)")
    for sub in report.enumerations:
        lines.extend(_enumeration_lines(sub, analyze, "  "))
    if analyze and report.keys_passed is not None:
        lines.append(f"  actual keys passed: from {report.keys_passed[0]} of {report.keys_passed[1]} rows")
    if analyze:
        lines.append(
            f"  actual: {plural(report.requests, 'request')} ({plural(report.retries, 'retry', 'retries')}, "
            f"{plural(report.bytes, 'byte')}, {report.seconds:.3f} s), {plural(report.items, 'row')} fetched, "
            f"{plural(report.cache_hits, 'cache hit')}"
        )
    return lines


def _enumeration_lines(report: ScanReport, analyze: bool, indent: str) -> list[str]:
    plan = report.plan
    lines = [
        f"{indent}{plan.purpose} via {plan.table.name}: GET {report.path or plan.table.path}   "
        f"scopes: {report.scopes if report.scopes is not None else '?'}"
        + (f"   q: {plan.q}" if plan.q else "")
        + (f"   fields: {plan.fields}" if plan.fields else "")
    ]
    if analyze:
        lines.append(f"{indent}  actual: {plural(report.requests, 'request')}, {plural(report.items, 'row')}, "
                     f"{plural(report.cache_hits, 'cache hit')}")
    for sub in report.enumerations:
        lines.extend(_enumeration_lines(sub, analyze, indent + "  "))
    return lines


def explain_lines(
    scans: Sequence[tuple[ScanReport, str]],
    system_tables: Sequence[str],
    local_sql: str,
    *,
    analyze: bool,
    enumeration_requests: int,
    stats: QueryStats | None = None,
    rate_limit: Any = None,
    estimate: str | None = None,
) -> list[str]:
    """The text of an EXPLAIN [ANALYZE] result (``estimate``: the whole query's estimate line)."""
    lines: list[str] = []
    names = {report.plan.ref.ref_id: alias or report.plan.table.name for report, alias in scans if report.plan.ref}
    sources = {link.source_ref for report, _ in scans
               for link in [*report.plan.links.values(), *report.plan.link_terms]}
    for index, (report, alias) in enumerate(scans, start=1):
        lines.extend(_scan_lines(index, report, alias, analyze, names, sources))
    for name in system_tables:
        source = "one /user/workspaces listing" if name == "sys_schemas" else "the catalog (no request)"
        lines.append(f"Metadata: {name} from {source}")
    lines.append("Local (DuckDB): the original query runs over the fetched rows, re-applying every predicate:")
    lines.append(f"  {local_sql}")
    if estimate:
        lines.append(estimate)
    if analyze and stats is not None:
        lines.append(
            f"Total: {plural(stats.requests, 'request')}, {plural(stats.retries, 'retry', 'retries')}, "
            f"{plural(stats.bytes, 'byte')}, {plural(stats.rows_fetched, 'row')} fetched, "
            f"{plural(stats.rows_returned, 'row')} returned, {plural(stats.cache_hits, 'cache hit')}"
        )
        lines.append(
            f"Time: {stats.elapsed_s:.3f} s total, {stats.api_s:.3f} s fetching, {stats.local_s:.3f} s planning and DuckDB"
        )
    elif enumeration_requests:
        lines.append(
            f"Note: EXPLAIN made {plural(enumeration_requests, 'request')}, only to enumerate parents for "
            f"counting scopes and to sample page counts; no rows were fetched."
        )
    else:
        lines.append("Note: EXPLAIN made no requests; no rows were fetched.")
    if rate_limit is not None:
        warning = " (near the limit)" if getattr(rate_limit, "near_limit", False) else ""
        lines.append(
            f"Rate limit (this process): {rate_limit.used_last_hour} of {rate_limit.limit} requests used in "
            f"the last hour, {rate_limit.remaining} left{warning}"
        )
    return lines
