"""EXPLAIN's estimate of the requests a query will make, with the basis of each figure.

Per scan the estimate is *scopes x pages per scope*:

* **scopes** are counted exactly when they come from literals or parent enumerations (EXPLAIN
  makes those listings); a scan whose keys come from a join gets one scope per row the joined
  reference is estimated to return;
* **pages per scope** come from a sample (for scans with several scopes, or whose rows give a
  join its keys): the first page of the first and the last scope,
  asked with ``pagelen=1`` and the scan's own filters, reports ``size`` (the rows that scope
  holds) on list-style endpoints. Cursor-paged endpoints report no size: one page per scope is
  assumed and the figure is a lower bound. GETs by id, single objects and limits that fit one
  page are counted from the plan alone, without a sample.

Every figure says what it rests on, so a user can tell a count from a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bitbucket_sql.api.errors import BitbucketError

from .planner import ScanPlan

#: scopes whose first page is sampled per scan (requests EXPLAIN spends on the estimate)
SAMPLED_SCOPES = 2


@dataclass(frozen=True)
class ScanEstimate:
    """Requests (and rows, when known) one scan is expected to need, and why."""

    requests: int
    rows: int | None
    basis: str
    at_least: bool = False

    def text(self) -> str:
        figure = f"{'at least ' if self.at_least else '~'}{self.requests} request{'s' if self.requests != 1 else ''}"
        rows = f", ~{self.rows} rows" if self.rows is not None else ""
        return f"{figure}{rows} ({self.basis})"


def estimate_scan(
    plan: ScanPlan, scopes: int | None, samples: Sequence[tuple[str, dict[str, Any]]], client: Any,
    source_rows: int | None = None, source_name: str = "", concurrency: int = 1,
    cached: Sequence[int | None] = (),
) -> ScanEstimate:
    """The estimate of one scan; ``samples`` are (path, params) of its first requests.

    ``cached`` holds, per counted request, the rows the scan cache answers it with (None: not
    cached): those requests cost nothing and their row counts replace samples (the basis says so).

    ``scopes`` is the scan's counted requests (scopes, or GETs by id), None for a scan whose keys
    come from a join; ``source_rows`` is then the estimated row count of the reference it joins
    to. ``concurrency`` (MaxConcurrency) is how many requests are in flight when a LIMIT stops.
    """
    if scopes is None:
        if source_rows is None:
            return ScanEstimate(0, None, f"one scope per row of {source_name or 'the joined table'}, "
                                         f"whose count is unknown", at_least=True)
        scopes_text = f"{source_rows} scopes (one per estimated row of {source_name})"
        scopes = source_rows
        inferred = True
    else:
        scopes_text = f"{scopes} scope{'s' if scopes != 1 else ''}"
        inferred = False
    if scopes == 0:
        return ScanEstimate(0, 0, f"{scopes_text}: nothing to read")
    hits = [count for count in cached if count is not None] if not inferred else []
    if hits and len(hits) == len(cached) == scopes:
        return ScanEstimate(0, sum(hits), f"{scopes_text}: all from the scan cache ({sum(hits)} rows), no request")
    if hits:
        rest = _estimate_uncached(plan, scopes, scopes_text, hits, samples, client)
        if rest is not None:
            return rest
    if plan.get_ids is not None:
        if not inferred:  # counted: one GET per scope and id already
            return ScanEstimate(scopes, scopes, f"{scopes_text}: one GET by {plan.table.get_key[0]} each")
        count = scopes * len(plan.get_ids)
        return ScanEstimate(count, count, f"{scopes_text} x {len(plan.get_ids)} GET by {plan.table.get_key[0]}")
    if plan.table.paging in ("single", "raw"):
        return ScanEstimate(scopes, scopes, f"{scopes_text} x 1 {'file' if plan.table.paging == 'raw' else 'object'}")
    pagelen = plan.pagelen
    if plan.limit is not None and plan.limit <= pagelen and not plan.any_rows:
        return ScanEstimate(scopes, scopes * plan.limit, f"{scopes_text} x 1 page (at most {plan.limit} rows each)")
    sizes = _sample_sizes(samples, client) if samples and not inferred else []
    if plan.limit is not None and plan.any_rows:
        pages = max(1, math.ceil(plan.limit / pagelen))
        count = min(scopes, max(pages, concurrency))
        return ScanEstimate(count, plan.limit, f"LIMIT {plan.limit}: stops once {plan.limit} rows arrived, with "
                                               f"{min(concurrency, scopes)} of {scopes_text} in flight at once")
    if sizes:
        per_scope = sum(sizes) / len(sizes)
        if plan.limit is not None:
            per_scope = min(per_scope, plan.limit)
        pages = max(1, math.ceil(per_scope / pagelen))
        sampled = ", ".join(str(size) for size in sizes)
        basis = (f"{scopes_text} x {pages} page{'s' if pages != 1 else ''} of {pagelen}; sampled "
                 f"{len(sizes)} scope{'s' if len(sizes) != 1 else ''} holding {sampled} rows")
        if plan.range_stop is not None:
            basis += "; the range early stop may read fewer pages"
        return ScanEstimate(scopes * pages, round(scopes * per_scope), basis)
    pages = max(1, math.ceil(plan.limit / pagelen)) if plan.limit is not None else 1
    why = ("cursor paging reports no size" if samples and not inferred
           else "pages per scope not sampled" if inferred else "one scope: its pages are not sampled")
    # a lower bound only when the scopes are counted; an estimated scope count is a guess either way
    return ScanEstimate(scopes * pages, None, f"{scopes_text} x at least {pages} page ({why})", at_least=not inferred)


def _estimate_uncached(
    plan: ScanPlan, scopes: int, scopes_text: str, hits: list[int], samples: Sequence[tuple[str, dict[str, Any]]],
    client: Any,
) -> ScanEstimate | None:
    """Some scopes cached: they cost nothing, and their row counts are the pages-per-scope sample
    of the others (with the samples of scopes not cached, if any). None for plans whose estimate
    needs no sample (GETs, objects, a limit within one page): those count requests alone."""
    if plan.get_ids is not None or plan.table.paging in ("single", "raw") or plan.any_rows:
        return None
    left = scopes - len(hits)
    sizes = hits + _sample_sizes(samples, client) if samples else hits
    per_scope = sum(sizes) / len(sizes)
    if plan.limit is not None:
        per_scope = min(per_scope, plan.limit)
    pages = max(1, math.ceil(per_scope / plan.pagelen))
    return ScanEstimate(left * pages, round(sum(hits) + left * per_scope),
                        f"{len(hits)} of {scopes_text} from the scan cache ({sum(hits)} rows), the other {left} x "
                        f"{pages} page{'s' if pages != 1 else ''} of {plan.pagelen} (rows per scope counted from the cache)")


def estimate_of_choice(choice: Any) -> ScanEstimate:
    """The estimate of a scan read by another strategy than its plan's own (``strategies.Choice``)."""
    return ScanEstimate(choice.cost.requests, None, f"{choice.strategy.name}: {choice.cost.basis}")


def _sample_sizes(samples: Sequence[tuple[str, dict[str, Any]]], client: Any) -> list[int]:
    """``size`` of the first page of each sampled scope (empty when the endpoint reports none)."""
    sizes = []
    for path, params in samples[:SAMPLED_SCOPES]:
        try:
            page = client.get(path, {**params, "pagelen": 1})
        except BitbucketError:
            continue  # a missing scope is diagnosed when the query runs; the estimate does without
        size = page.get("size") if isinstance(page, dict) else None
        if isinstance(size, int) and size >= 0:
            sizes.append(size)
    return sizes


def listing_requests(report: Any) -> int:
    """Requests a scan's parent enumerations made (nested ones included)."""
    return sum(sub.requests + listing_requests(sub) for sub in report.enumerations)
