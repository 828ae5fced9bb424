"""Request plans and their best possible schedule over a bounded number of connections.

A lower bound is more than a request count: a cursor-paged collection must be read one page
after another, and a child collection cannot be requested before its parent's page has named
it. A :class:`RequestPlan` records those dependencies as a forest (every request waits for at
most one earlier request) and :meth:`RequestPlan.rounds` computes the fewest latency rounds in
which ``connections`` parallel connections can complete it.

Our plans are out-forests (a parent fans out to children). Reversing time turns any schedule
of an out-forest into a schedule of the reversed in-forest of the same length and back, and for
unit-time jobs on an in-forest Hu's "highest level first" list schedule is optimal (T. C. Hu,
1961). So ``rounds`` schedules the reversed forest with Hu's rule: it is the exact optimum under
the model "every request takes one latency", not an estimate.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field


@dataclass
class RequestPlan:
    """A forest of requests: ``parents[i]`` is the request that must finish before ``i`` starts."""

    parents: list[int | None] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.parents)

    def add(self, after: int | None = None) -> int:
        """Add one request that may start once ``after`` (if any) has finished; return its id."""
        self.parents.append(after)
        return len(self.parents) - 1

    def list_pages(self, items: int, pagelen: int, after: int | None = None) -> list[int]:
        """A list-style collection (responses carry ``size``): page 1 first, then every
        other page at once. Returns one request id per page (at least one: an empty answer
        still costs a request)."""
        pages = max(1, math.ceil(items / pagelen))
        first = self.add(after)
        return [first] + [self.add(first) for _ in range(pages - 1)]

    def cursor_pages(self, items: int, pagelen: int, after: int | None = None) -> list[int]:
        """A cursor-paged collection (opaque ``next``): each page waits for the previous one."""
        pages = max(1, math.ceil(items / pagelen))
        ids: list[int] = []
        previous = after
        for _ in range(pages):
            previous = self.add(previous)
            ids.append(previous)
        return ids

    def extend(self, other: RequestPlan, after: int | None = None) -> None:
        """Graft ``other`` into this plan, its roots waiting for ``after``."""
        offset = len(self.parents)
        for parent in other.parents:
            self.parents.append(after if parent is None else parent + offset)

    def rounds(self, connections: int) -> int:
        """The fewest latency rounds in which ``connections`` connections finish every request."""
        if not self.parents:
            return 0
        pending_children = [0] * len(self.parents)
        depth = [1] * len(self.parents)
        for node, parent in enumerate(self.parents):
            if parent is not None:
                if parent >= node:
                    raise ValueError("a request can only wait for an earlier request")
                pending_children[parent] += 1
                depth[node] = depth[parent] + 1
        # Reversed forest: a request is ready once all its children are done; Hu's level of a
        # request there is its depth in the original forest.
        ready = [(-depth[node], node) for node, count in enumerate(pending_children) if count == 0]
        heapq.heapify(ready)
        rounds = 0
        while ready:
            rounds += 1
            finished = [heapq.heappop(ready)[1] for _ in range(min(connections, len(ready)))]
            for node in finished:
                parent = self.parents[node]
                if parent is not None:
                    pending_children[parent] -= 1
                    if pending_children[parent] == 0:
                        heapq.heappush(ready, (-depth[parent], parent))
        return rounds


@dataclass(frozen=True)
class Bound:
    """The lower bound for one query: fewest requests and the latency those need at best."""

    requests: int
    rounds: int
    explanation: str
    rows_in_scope: int = 0  # API items in the collections the question reads (for the scaling table)
    rows_needed: int | None = None  # fewest API items a client must transfer, where computed

    def latency_s(self, latency_ms: float) -> float:
        return self.rounds * latency_ms / 1000.0


def bound_of(
    plan: RequestPlan,
    explanation: str,
    connections: int,
    rows_in_scope: int = 0,
    rows_needed: int | None = None,
) -> Bound:
    return Bound(
        requests=plan.requests,
        rounds=plan.rounds(connections),
        explanation=explanation,
        rows_in_scope=rows_in_scope,
        rows_needed=rows_needed,
    )


def cheapest(*candidates: Bound) -> Bound:
    """Several strategies answer the same question: the bound takes the fewest requests and,
    independently, the fewest rounds (both are lower bounds for any client)."""
    fewest_requests = min(candidates, key=lambda b: (b.requests, b.rounds))
    fewest_rounds = min(candidates, key=lambda b: (b.rounds, b.requests))
    if fewest_requests is fewest_rounds:
        return fewest_requests
    return Bound(
        requests=fewest_requests.requests,
        rounds=fewest_rounds.rounds,
        explanation=f"{fewest_requests.explanation}; fastest: {fewest_rounds.explanation}",
        rows_in_scope=max(c.rows_in_scope for c in candidates),
    )
