"""The fetch strategies: one class per way of reading a scan's rows from Bitbucket.

* :class:`ScopeListing`: one listing per scope (URL), with the plan's ``q``/``sort``/``fields``;
* :class:`GetById`: one GET per scope and id (``id IN (1, 2)`` with every key fixed);
* :class:`PerParentListing`: one listing per parent object a join passes (comments of each pull
  request fetched first);
* :class:`WideListing`: the endpoint listing every parent's children at once (the repository-wide
  pull request activity stream), instead of one listing per parent;
* :class:`CommentsFromActivity`: pull request comments read from the repository-wide activity
  stream, whose comment entries embed the comment object;
* :class:`AuthorListing`: the rows of a few users across the workspace
  (``/workspaces/{workspace}/pullrequests/{selected_user}``), instead of one listing per repository.

Add a strategy: subclass :class:`~.base.Strategy` here (or in a module of its own), implement
``applies``/``estimate`` (and ``shape`` or ``fetch``), and list it in :data:`STRATEGIES`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from bitbucket_sql.catalog import registry

from ..planner import ENVELOPE_FIELDS, ScanPlan
from ..rows import Row, extract_row, read_path
from .base import REQUESTS, Context, Cost, Strategy, rounds_of, score
from .modes import reads_pages_in_sequence

if TYPE_CHECKING:
    from ..fetcher import Fetcher, ScanReport

#: Typical rows per parent object, for estimates before anything is fetched (measured on the
#: emulator's demo data, which follows Bitbucket's shapes: about 6 activity entries and 2
#: comments per pull request). A wrong guess costs requests, never rows.
ROWS_PER_PARENT = {"pull_request_activity": 6, "pull_request_comments": 2}
#: When the parents passed by a join were filtered (merged this year), a repository-wide stream
#: still covers every parent of the repository: assume the filter kept a third of them.
FILTERED_SHARE = 3
#: Parents assumed for a key enumerated at run time before its listing is read (repositories of a
#: workspace): the run chooses before it lists them; EXPLAIN counts them. A wrong guess costs
#: requests, never rows.
TYPICAL_PARENTS = 10


def innermost_key(plan: ScanPlan) -> str | None:
    keys = plan.path_keys
    return keys[-1] if keys else None


def _joined_innermost(plan: ScanPlan) -> bool:
    """Whether the innermost path key comes only from a join (one scope per joined parent)."""
    key = innermost_key(plan)
    return key is not None and key in plan.links and key not in plan.key_values and plan.get_ids is None


def _pages(rows: float, pagelen: int) -> int:
    return max(1, math.ceil(rows / max(1, pagelen)))


def _stream_cost(plan: ScanPlan, context: Context, table: str, what: str) -> Cost:
    """A repository-wide stream: cursor pages one after another, repositories in parallel."""
    parents = context.parents if context.parents is not None else 1
    outer = max(1, context.outer_scopes or 1)
    covered = parents * (FILTERED_SHARE if context.parents_filtered else 1)
    source = registry.get_table(table)
    pagelen = source.max_pagelen if source is not None else plan.table.max_pagelen
    per, known = _rows_per_parent(plan, context, table)
    per_scope = _pages(covered * per / outer, pagelen)
    requests = outer * per_scope
    rounds = per_scope * rounds_of(outer, context.concurrency)
    share = "" if not context.parents_filtered else f" (the filtered parents taken as 1/{FILTERED_SHARE} of all)"
    return Cost(requests, rounds, f"{what}: ~{covered} parents{share} x ~{per:g} entries{known} in cursor pages "
                                  f"of {pagelen}")


def _rows_per_parent(plan: ScanPlan, context: Context, table: str) -> tuple[float, str]:
    """Rows per parent of ``table``: counted from the cache's listings per parent when it holds
    some of this plan's own table, else the fixed guess :data:`ROWS_PER_PARENT`; and the text
    EXPLAIN shows about it."""
    if context.rows_per_parent is not None and table == plan.table.name:
        return round(context.rows_per_parent, 1), f" (from {context.cached_parents} cached listings)"
    return ROWS_PER_PARENT.get(table, 5), ""


class ScopeListing(Strategy):
    name: ClassVar[str] = "listing per scope"
    summary: ClassVar[str] = "one listing per URL the keys give, with q, sort and fields"

    def applies(self, plan: ScanPlan) -> bool:
        return plan.get_ids is None and not plan.links and plan.table.paging not in ("single", "raw")

    def estimate(self, plan: ScanPlan, context: Context) -> Cost:
        listings = _enumerated_keys(plan)
        scopes = context.scopes if context.scopes is not None else _scope_guess(plan)
        pages = _pages(plan.limit, plan.pagelen) if plan.limit is not None else 1
        sequential = pages if reads_pages_in_sequence(plan) else 1
        parents = f" + {len(listings)} listing of {', '.join(listings)}" if listings else ""
        guessed = " (assumed)" if context.scopes is None and listings else ""
        return Cost(len(listings) + scopes * pages, len(listings) + rounds_of(scopes, context.concurrency) * sequential,
                    f"{scopes} scope{'s' if scopes != 1 else ''}{guessed} x at least {pages} page{parents}")

    def shape(self, plan: ScanPlan) -> ScanPlan:
        return replace(plan, user_values=None) if plan.user_values is not None else plan


def _enumerated_keys(plan: ScanPlan) -> list[str]:
    """The path keys (beyond the workspace) a run lists before the scan's own requests."""
    return [key.column for key in plan.table.keys
            if key.column != "workspace" and key.column in plan.path_keys and key.column not in plan.key_values
            and not key.values and key.column not in plan.links]


def _scope_guess(plan: ScanPlan) -> int:
    """Scopes before anything is listed: the values named per key, :data:`TYPICAL_PARENTS` for a listed one."""
    scopes = 1
    for key in plan.table.keys:
        if key.column == "workspace" or key.column not in plan.path_keys:
            continue
        if key.column in plan.key_values:
            scopes *= max(1, len(plan.key_values[key.column]))
        elif key.values:
            scopes *= len(key.values)
        else:
            scopes *= TYPICAL_PARENTS
    return scopes


class ObjectRead(Strategy):
    name: ClassVar[str] = "object per scope"
    summary: ClassVar[str] = "one GET per URL (a single object or a file)"

    def applies(self, plan: ScanPlan) -> bool:
        return plan.get_ids is None and plan.table.paging in ("single", "raw")

    def estimate(self, plan: ScanPlan, context: Context) -> Cost:
        scopes = context.scopes if context.scopes is not None else (context.parents or 1)
        return Cost(scopes, rounds_of(scopes, context.concurrency), f"{scopes} GETs")


class GetById(Strategy):
    name: ClassVar[str] = "GET by key"
    summary: ClassVar[str] = "one GET per scope and id"

    def applies(self, plan: ScanPlan) -> bool:
        return plan.get_ids is not None

    def estimate(self, plan: ScanPlan, context: Context) -> Cost:
        # EXPLAIN counts the GETs (scopes x ids); before that, the scopes are guessed (or the
        # parents a join passes) and each asks for every id
        ids = len(plan.get_ids) if plan.get_ids is not None else 1
        if context.scopes is not None:
            scopes = context.scopes
            return Cost(scopes, rounds_of(scopes, context.concurrency), f"{scopes} GETs by {plan.table.get_key[0]}")
        parents = context.parents or _scope_guess(plan)
        scopes = parents * ids
        listings = _enumerated_keys(plan)
        # scopes the query does not name (listed, or from a join) mostly lack a given id: each
        # 404 costs a lookup telling a missing object from a missing scope (keys.KeyChecker)
        lookups = 0 if all(key in plan.key_values for key in plan.path_keys) else parents
        extra = f" + {len(listings)} listing of {', '.join(listings)}" if listings else ""
        extra += f" + ~{lookups} lookups of 404s" if lookups else ""
        return Cost(len(listings) + scopes + lookups, len(listings) + rounds_of(scopes, context.concurrency) + (1 if lookups else 0),
                    f"{scopes} GETs by {plan.table.get_key[0]}{extra}")

    def beats_listing(self, plan: ScanPlan, ids: tuple[Any, ...], listing_filters_ids: bool) -> bool:
        """Whether GETs of ``ids`` in every scope cost no more than one listing per scope (the
        planner's choice, before anything is counted: scopes guessed as :func:`_scope_guess`).

        The listing is a candidate only when its ``q`` carries ``id IN (...)`` (then it returns
        those rows, one page per scope); an endpoint without BBQL would read every row, at a cost
        nothing known before fetching bounds, so it keeps the GETs. A tie goes to the GETs (one id
        in a named repository: one GET, whose 404 tells a missing object from a missing scope).
        """
        if not listing_filters_ids:
            return True
        context = Context(optimize=REQUESTS)
        gets = self.estimate(replace(plan, get_ids=ids), context)
        listing = ScopeListing().estimate(replace(plan, get_ids=None, limit=None), context)
        return score(gets, context) <= score(listing, context)


class PerParentListing(Strategy):
    name: ClassVar[str] = "listing per parent"
    summary: ClassVar[str] = "one listing per parent the join passes"

    def applies(self, plan: ScanPlan) -> bool:
        return plan.get_ids is None and bool(plan.links) and plan.table.paging not in ("single", "raw")

    def estimate(self, plan: ScanPlan, context: Context) -> Cost:
        parents = context.parents if context.parents is not None else 1
        per: float | None = ROWS_PER_PARENT.get(plan.table.name)
        known = ""
        if context.rows_per_parent is not None:
            per, known = _rows_per_parent(plan, context, plan.table.name)
        pages = _pages(per, plan.pagelen) if per is not None else 1
        if plan.limit is not None:
            pages = min(pages, _pages(plan.limit, plan.pagelen))
        cached = min(parents, context.cached_parents)  # answered by the scan cache: no request
        sent = (parents - cached) * pages
        rounds = rounds_of(parents - cached, context.concurrency) * (pages if plan.table.paging == "cursor" else 1)
        text = f"{parents} parent{'s' if parents != 1 else ''} x {pages} page"
        if cached:
            text += f", {cached} of them from the scan cache{known}"
        return Cost(sent, rounds, text)


class WideListing(Strategy):
    name: ClassVar[str] = "repository-wide listing"
    reshapes: ClassVar[bool] = True
    summary: ClassVar[str] = "the endpoint listing every parent's children at once"

    def applies(self, plan: ScanPlan) -> bool:
        return bool(plan.table.wide_path) and _joined_innermost(plan) and plan.limit is None

    def estimate(self, plan: ScanPlan, context: Context) -> Cost:
        return _stream_cost(plan, context, plan.table.name, plan.table.wide_path or "")

    def endpoint(self, plan: ScanPlan) -> str | None:
        return plan.table.wide_path

    def shape(self, plan: ScanPlan) -> ScanPlan:
        key = innermost_key(plan)
        links = {column: link for column, link in plan.links.items() if column != key}
        return replace(plan, links=links, superset=True)


class CommentsFromActivity(Strategy):
    """Pull request comments from the repository's activity stream (its comment entries embed the
    comment object and name the pull request); worth it when a join passes many pull requests."""

    name: ClassVar[str] = "comments from the repository activity stream"
    summary: ClassVar[str] = "comment entries of /pullrequests/activity, every pull request at once"
    ACTIVITY: ClassVar[str] = "pull_request_activity"
    reshapes: ClassVar[bool] = True

    def applies(self, plan: ScanPlan) -> bool:
        activity = registry.get_table(self.ACTIVITY)
        return (
            plan.table.name == "pull_request_comments" and activity is not None and bool(activity.wide_path)
            and _joined_innermost(plan) and plan.q_filter is None and not plan.params and not plan.link_terms
            and plan.sort is None and plan.limit is None and plan.nonnull_filter is None
        )

    def estimate(self, plan: ScanPlan, context: Context) -> Cost:
        activity = registry.get_table(self.ACTIVITY)
        return _stream_cost(plan, context, self.ACTIVITY, (activity.wide_path if activity else None) or "")

    def endpoint(self, plan: ScanPlan) -> str | None:
        activity = registry.get_table(self.ACTIVITY)
        return activity.wide_path if activity is not None else None

    def activity_plan(self, plan: ScanPlan) -> ScanPlan:
        activity = registry.get_table(self.ACTIVITY)
        assert activity is not None
        key = innermost_key(plan)
        paths = sorted({c.path for c in plan.table.columns if c.path} | {"id"})
        fields = ",".join([*(f"values.comment.{path}" for path in paths), "values.pull_request.id",
                           *ENVELOPE_FIELDS])
        return ScanPlan(
            ref=plan.ref, table=activity, workspace=plan.workspace,
            key_values={k: v for k, v in plan.key_values.items() if k != key},
            links={k: v for k, v in plan.links.items() if k != key},
            fields=fields, superset=True, default_repository=plan.default_repository,
            named_keys={k: v for k, v in plan.named_keys.items() if k != key},
        )

    def fetch(self, fetcher: Fetcher, plan: ScanPlan, ref_rows: Mapping[int, Sequence[Row]], report: ScanReport) -> Sequence[Row]:
        stream = self.activity_plan(plan)
        began = time.monotonic()
        rows: list[Row] = []
        with fetcher.client.recording() as recording:
            scopes = fetcher.scopes(stream, ref_rows, report)
            requests = fetcher.requests_for(stream, scopes, report)
            fetcher.check_fanout(stream, len(requests))
            report.scopes = len(requests)
            for request, items in fetcher.run_requests(stream, requests, report):
                for item in items:
                    comment = item.get("comment") if isinstance(item, dict) else None
                    pull_request = read_path(item, "pull_request.id")
                    if isinstance(comment, dict) and pull_request is not None:
                        scope: dict[str, Any] = request.scope | {"pull_request_id": pull_request}
                        rows.append(extract_row(comment, plan.table.columns, scope))
                report.items += len(items)
            fetcher.keys.settle(report.missed, [request.scope for request in requests])
        report.requests += recording.requests
        report.retries += recording.retries
        report.bytes += recording.bytes
        report.seconds += time.monotonic() - began
        return rows


class AuthorListing(Strategy):
    """A few users' rows across the workspace (``catalog.model.UserListing``): the members
    listing (to check they all still belong to the workspace), then one listing per user,
    instead of one listing per repository (plus the repositories listing unless they are named).

    Exact only for current members: the endpoint misses the rows of people who have left, so
    :meth:`fetch` reads per repository when a value is not a member (or the members cannot be
    listed). With repositories named, the rows of other repositories are dropped by DuckDB,
    which is why a LIMIT (the first n of each user across the workspace) keeps it out; a named
    repository that does not exist then gives no rows rather than the not-found error.
    """

    name: ClassVar[str] = "listing per author"
    summary: ClassVar[str] = "the workspace's members, then one workspace-wide listing per user"
    reshapes: ClassVar[bool] = True
    scope_text: ClassVar[str] = "one per user named (after the members listing)"

    def applies(self, plan: ScanPlan) -> bool:
        listing = plan.table.user_listing
        if listing is None or plan.user_values is None or plan.links or plan.get_ids is not None:
            return False
        named = plan.key_values.get("repository")
        if named is None:
            return True
        # the first n of a user across the workspace are not those of the repositories; a name that
        # is no slug (a {uuid}, upper case) is resolved by the per-repository reading only
        return (plan.limit is None and plan.range_stop is None and plan.listing_limit is None
                and all(isinstance(v, str) and v == v.lower() and not v.startswith("{") for v in named))

    def estimate(self, plan: ScanPlan, context: Context) -> Cost:
        users = len(plan.user_values.values) if plan.user_values is not None else 1
        pages = _pages(plan.limit, plan.pagelen) if plan.limit is not None else 1
        sequential = pages if reads_pages_in_sequence(plan) else 1
        return Cost(1 + users * pages, 1 + rounds_of(users, context.concurrency) * sequential,
                    f"1 members listing + {users} user{'s' if users != 1 else ''} x at least {pages} page")

    def endpoint(self, plan: ScanPlan) -> str | None:
        return plan.table.user_listing.path if plan.table.user_listing is not None else None

    def fetch(self, fetcher: Fetcher, plan: ScanPlan, ref_rows: Mapping[int, Sequence[Row]], report: ScanReport) -> Sequence[Row]:
        began = time.monotonic()
        with fetcher.client.recording() as recording:
            members = fetcher.all_members(plan, report)
        report.requests += recording.requests
        report.retries += recording.retries
        report.bytes += recording.bytes
        report.seconds += time.monotonic() - began
        shaped = plan if members else replace(plan, user_values=None)  # someone left: every repository
        report.plan = shaped
        return fetcher.fetch(shaped, ref_rows, report)


#: Every strategy the chooser considers, in order of preference when estimates tie.
STRATEGIES: tuple[Strategy, ...] = (
    GetById(), ObjectRead(), ScopeListing(), PerParentListing(), WideListing(), CommentsFromActivity(),
    AuthorListing(),
)
