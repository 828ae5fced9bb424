"""What every fetch strategy is: a way to get one scan's rows, with its cost and its fetch.

A :class:`Strategy` answers three questions about a scan plan (``planner.ScanPlan``):

* ``applies(plan)``: can this strategy return a superset of the scan's rows?
* ``estimate(plan, context)``: how many requests, and how many rounds of requests (requests that
  must wait for an earlier answer: cursor pages, one after another), from what is known before
  fetching: parent counts, page sizes, typical rows per parent (:class:`Context`);
* ``fetch(fetcher, plan, ref_rows, report)``: the rows (the fetcher does the HTTP).

The chooser (``strategies.choose``) estimates every applicable strategy and takes the cheapest
under the connection's ``Optimize`` (:func:`score`). EXPLAIN prints the chosen one and the
others' estimates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..fetcher import Fetcher, ScanReport
    from ..planner import ScanPlan
    from ..rows import Row

#: Optimize=: the two goals the chooser can weigh.
LATENCY = "latency"
REQUESTS = "requests"
#: Without Optimize=, the goal is latency while more than this share of the hour's rate-limit
#: budget is left (``client.rate_limit``: X-RateLimit headers, else RateLimitPerHour), requests below.
LOW_HEADROOM = 0.25


@dataclass(frozen=True)
class Cost:
    """Requests one strategy is expected to send, and in how many rounds (latency)."""

    requests: int
    rounds: int
    basis: str = ""

    def text(self) -> str:
        rounds = f" in {self.rounds} round{'s' if self.rounds != 1 else ''}"
        basis = f" ({self.basis})" if self.basis else ""
        return f"~{self.requests} request{'s' if self.requests != 1 else ''}{rounds}{basis}"


@dataclass
class Context:
    """What is known when a scan's strategy is chosen.

    ``parents`` is the number of distinct key tuples a join passes (rows of the reference fetched
    first), ``outer_scopes`` the distinct outer scopes (repositories) they span, ``scopes`` the
    scan's own counted scopes when they do not come from a join. None means unknown.
    """

    concurrency: int = 8
    optimize: str = LATENCY
    parents: int | None = None
    outer_scopes: int | None = None
    scopes: int | None = None
    #: whether the reference the keys come from was filtered beyond its scope (then it holds only
    #: part of the parents a repository-wide stream covers)
    parents_filtered: bool = True
    #: of the listings per parent (``parents``), how many the scan cache answers (no request),
    #: and the mean rows they hold: known rows per parent instead of a fixed guess
    cached_parents: int = 0
    rows_per_parent: float | None = None


def score(cost: Cost, context: Context) -> tuple[float, float]:
    """Sort key of a cost under the context's goal (lower is better).

    ``requests``: fewest requests, then fewest rounds. ``latency``: rounds plus requests divided by
    MaxConcurrency: a round costs one request's latency, and requests in flight together share
    the connection pool and the server, so many parallel requests are not free either (582
    per-parent listings in 73 rounds lose to a 66-page stream read one page after another).
    """
    if context.optimize == REQUESTS:
        return float(cost.requests), float(cost.rounds)
    return cost.rounds + cost.requests / max(1, context.concurrency), float(cost.requests)


def rounds_of(requests: int, concurrency: int) -> int:
    """Rounds ``requests`` independent requests take with ``concurrency`` in flight."""
    return math.ceil(requests / max(1, concurrency)) if requests else 0


class Strategy:
    """One way of fetching a scan's rows. Subclasses set ``name`` and ``summary``."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    #: True when the strategy reads another endpoint than the plan's own (its estimate replaces
    #: the sampled one in EXPLAIN)
    reshapes: ClassVar[bool] = False
    #: what one request of the reshaped endpoint covers (EXPLAIN's ``scopes:``)
    scope_text: ClassVar[str] = "one per repository of the rows fetched first"

    def applies(self, plan: ScanPlan) -> bool:
        raise NotImplementedError

    def estimate(self, plan: ScanPlan, context: Context) -> Cost:
        raise NotImplementedError

    def endpoint(self, plan: ScanPlan) -> str | None:
        """The path template this strategy reads when it is not the plan's own (for EXPLAIN)."""
        return None

    def shape(self, plan: ScanPlan) -> ScanPlan:
        """The plan the fetcher runs for this strategy (the plan itself unless it changes)."""
        return plan

    def fetch(self, fetcher: Fetcher, plan: ScanPlan, ref_rows: Mapping[int, Sequence[Row]], report: ScanReport) -> Sequence[Row]:
        shaped = self.shape(plan)
        report.plan = shaped
        return fetcher.fetch(shaped, ref_rows, report)


@dataclass
class Choice:
    """The strategy chosen for one scan, and every applicable one with its estimate (for EXPLAIN)."""

    strategy: Strategy
    cost: Cost
    alternatives: list[tuple[Strategy, Cost]]
    optimize: str

    def lines(self) -> list[str]:
        text = [f"  strategy: {self.strategy.name} ({self.strategy.summary}), {self.cost.text()}; "
                f"chosen for {self.optimize}"]
        for strategy, cost in self.alternatives:
            if strategy is not self.strategy:
                text.append(f"    alternative: {strategy.name}, {cost.text()}")
        return text


def describe(value: Any) -> str:
    """A short text for a number that may be unknown."""
    return "?" if value is None else str(value)
