"""Fetch strategies as types, and the cost-based choice between them.

``choose(plan, context)`` estimates every strategy of :data:`~.kinds.STRATEGIES` that applies to
the plan and returns the cheapest under the connection's goal (``Optimize=latency|requests``;
absent, :func:`goal` decides from the rate-limit headroom). Scans whose keys come from a join
are chosen for when the joined rows are known (``join_context`` counts them); EXPLAIN chooses
with the estimated row count instead. See docs/architecture.md, "How to add a strategy".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .base import LATENCY, LOW_HEADROOM, REQUESTS, Choice, Context, Cost, Strategy, score
from .kinds import STRATEGIES, innermost_key

if TYPE_CHECKING:
    from ..planner import ScanPlan
    from ..rows import Row

__all__ = ["LATENCY", "REQUESTS", "STRATEGIES", "Choice", "Context", "Cost", "Strategy", "choose", "goal",
           "join_context", "run_scopes", "with_cached_counts"]


def goal(settings: Any, client: Any) -> str:
    """``latency`` or ``requests``: the Optimize property, else from the hour's headroom.

    Headroom is low when the client's rate-limit status says the limit is near (Bitbucket's
    X-RateLimit-NearLimit header) or less than :data:`~.base.LOW_HEADROOM` of the hourly budget
    is left; then every request counts more than a second of latency.
    """
    chosen = getattr(settings, "optimize", None)
    if chosen in (LATENCY, REQUESTS):
        return str(chosen)
    try:
        status = client.rate_limit
    except AttributeError:
        return LATENCY
    if status.near_limit or status.remaining < status.limit * LOW_HEADROOM:
        return REQUESTS
    return LATENCY


def choose(plan: ScanPlan, context: Context) -> Choice:
    """The cheapest applicable strategy for ``plan`` (the first listed wins a tie)."""
    candidates = [strategy for strategy in STRATEGIES if strategy.applies(plan)]
    if not candidates:
        candidates = [STRATEGIES[2]]  # a listing per scope: what every plan can do
    estimated = [(strategy, strategy.estimate(plan, context)) for strategy in candidates]
    best = min(estimated, key=lambda pair: score(pair[1], context))
    return Choice(best[0], best[1], estimated, context.optimize)


def run_scopes(plan: ScanPlan, counted: int | None) -> int | None:
    """The scopes EXPLAIN passes to :func:`choose`: the counted ones, except where the run chooses
    before it lists them (a user listing against repositories not named: the run assumes
    ``kinds.TYPICAL_PARENTS``), so that EXPLAIN shows the strategy the run takes."""
    if plan.user_values is not None and plan.table.user_listing is not None and "repository" not in plan.key_values:
        return None
    return counted


def join_context(
    plan: ScanPlan, ref_rows: Mapping[int, Sequence[Row]], ref_tables: dict[int, Any], source_plans: dict[int, ScanPlan],
    *, concurrency: int, optimize: str,
) -> Context:
    """The context of a scan whose innermost key comes from a join: parents counted from rows."""
    context = Context(concurrency=concurrency, optimize=optimize)
    key = innermost_key(plan)
    link = plan.links.get(key) if key is not None else None
    if link is None:
        return context
    table = ref_tables.get(link.source_ref)
    rows = ref_rows.get(link.source_ref)
    if table is None or rows is None:
        return context
    group = [(column, other) for column, other in plan.links.items() if other.source_ref == link.source_ref]
    indexes = [table.column_names.index(other.source_column) for _, other in group]
    outer = [i for (column, _), i in zip(group, indexes, strict=True) if column != key]
    tuples = {tuple(row[i] for i in indexes) for row in rows}
    context.parents = len(tuples)
    context.outer_scopes = len({tuple(row[i] for i in outer) for row in rows}) if outer else 1
    source = source_plans.get(link.source_ref)
    if source is not None:
        context.parents_filtered = filtered(source)
    return context


def with_cached_counts(context: Context, plan: ScanPlan, ref_rows: Mapping[int, Sequence[Row]], fetcher: Any) -> Context:
    """The context with what the scan cache knows of the listings per parent a join passes:
    how many it answers and their mean rows (``Context.cached_parents``/``rows_per_parent``).

    Read without a request (``Fetcher.cached_counts`` peeks); a plan whose scopes cannot be
    formed here (a key to enumerate, a value to look up) keeps the fixed guesses.
    """
    if innermost_key(plan) not in plan.links or plan.get_ids is not None or not fetcher.scan_cache.enabled:
        return context
    if any(key not in plan.links and key not in plan.key_values for key in plan.path_keys):
        return context  # a key listed at fetch time: its scopes are not known before that
    from ..fetcher import ScanReport  # the fetcher imports the planner, which imports nothing of this

    try:
        with fetcher.client.recording() as recording:
            report = ScanReport(plan=plan)
            requests = fetcher.requests_for(plan, fetcher.scopes(plan, ref_rows, report), report)
        if recording.requests:
            return context  # forming the scopes asked the API (a key looked up): not a free estimate
    except Exception:  # noqa: BLE001 - an estimate never fails a query; the fetch reports problems
        return context
    counts = [count for count in fetcher.cached_counts(plan, requests) if count is not None]
    if counts:
        context.cached_parents = len(counts)
        context.rows_per_parent = sum(counts) / len(counts)
    return context


def filtered(plan: ScanPlan) -> bool:
    """Whether a scan reads only part of its scopes' rows (a filter, a limit, ids)."""
    return bool(plan.q_filter is not None or plan.local or plan.params or plan.get_ids is not None
                or plan.limit is not None
                or plan.link_terms or plan.links or plan.user_values)
