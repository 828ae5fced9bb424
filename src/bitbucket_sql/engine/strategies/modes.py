"""How a listing's rows are bounded: the state a strategy owns on a scan plan, as types.

The planner finds these in the query (``planner.finish_scan``); the listing strategies read
them (``kinds.ScopeListing``, ``kinds.AuthorListing``) and the fetcher runs them. Each type
says how it reads pages (``sequential``: one page after another per scope), whether scans with
it may be shared, and what EXPLAIN prints for it, so a new way of bounding a listing is one type
here (plus its fetch in the fetcher) rather than a flag read in five modules.

* :class:`RangeStop`: ``created_on >= X`` on an endpoint without BBQL that sorts exactly: read
  ``sort=-created_on`` page by page and stop a scope at the first page ending below the bound
  (``Fetcher._run_range``, with the adaptive page size);
* :class:`ListingLimit`: ``ORDER BY position LIMIT n`` / ``position < n`` on a listing-order
  column: the first n rows of each scope, in the API's own order (``plan.limit`` is n);
* :class:`UserValues`: ``author_uuid IN (...)`` on a table with a ``user_listing``: the users
  whose rows :class:`~.kinds.AuthorListing` may list workspace-wide (``ScopeListing`` drops it).

They are named tuples, so the fetcher reads them as ``(column, predicate)`` and ``(column, values)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ..planner import ScanPlan


class RangeStop(NamedTuple):
    """Range early stop on ``column`` (its SQL lower bound ``predicate``, unqualified)."""

    column: str
    predicate: str

    @property
    def sequential(self) -> bool:
        return True  # pages are read one at a time per scope

    def explain(self, plan: ScanPlan) -> list[str]:
        return [
            f"  sort: {plan.sort}   range early stop: pages are read one at a time per scope, stopping "
            f"after the first page whose last row fails {self.predicate} (the API orders {self.column} "
            f"exactly, so every later row fails it too); scopes after the first MaxConcurrency ask for about as "
            f"many rows a page as those held in range (adaptive page size)"
        ]


class ListingLimit(NamedTuple):
    """The first ``rows`` rows of each scope in the listing's own order."""

    rows: int

    @property
    def sequential(self) -> bool:
        return False

    def explain(self, plan: ScanPlan) -> list[str]:
        return [f"  limit per scope: {self.rows} (the first rows of the API's own listing order)"]


class UserValues(NamedTuple):
    """(column, values) fixing the user of the table's ``user_listing`` (``author_uuid = '{...}'``)."""

    column: str
    values: tuple[str, ...]

    @property
    def sequential(self) -> bool:
        return False

    def explain(self, plan: ScanPlan) -> list[str]:
        return []  # AuthorListing's strategy line says it when chosen


def modes_of(plan: ScanPlan) -> list[RangeStop | ListingLimit | UserValues]:
    """The bounding modes set on ``plan``."""
    return [mode for mode in (plan.range_stop, plan.listing_limit, plan.user_values) if mode is not None]


def reads_pages_in_sequence(plan: ScanPlan) -> bool:
    """Whether a scope's pages come one after another (cursor paging, or a mode that says so)."""
    return plan.table.paging == "cursor" or any(mode.sequential for mode in modes_of(plan))


def shareable(plan: ScanPlan) -> bool:
    """Whether another reference may read this scan's rows: none of these modes bounds them."""
    return not modes_of(plan)
