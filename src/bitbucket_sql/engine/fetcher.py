"""Executing scan plans with the API client: scopes, fan-out limit, concurrency, caching.

For one :class:`ScanPlan` the fetcher first works out its *scopes* (one dict of path-key
values per request target: ``{"workspace": "acme", "repository": "api"}``), from literals,
from the rows of an already fetched reference (join links), or by enumerating the key's
source table (``repositories.slug`` for ``repository``). Enumeration is allowed before the
fan-out check because it is what counts the scopes; the scan's own requests are refused with
:class:`FanoutLimitError` when there would be more than MaxFanout of them. Requests run
concurrently within MaxConcurrency through ``client.paginate_many`` / ``client.get_many``.

Paths are filled by ``catalog.templates.fill`` (one encoding rule for the whole project). A
plan with a range early stop reads its scopes one page at a time, in rounds; a table with a
listing-order column gets each row's position in its scope's listing. Progress is reported
after every completed request, with the rows of the query's tables fetched so far.

A 404 is diagnosed by :class:`~.keys.KeyChecker`: a key the user named in the query's inner
part that matches in none of the scopes it was named for is an error naming it (raised once the
scan's requests are answered); a parent the engine found that vanished mid-query is skipped with
a warning (``Fetcher.warnings``); anything else (a missing sub-resource of existing parents, a
key named in a subquery or an outer join) means "no rows".
Named workspaces and repositories that are not slugs (``{uuid}``) are resolved to their slugs
first, so key columns hold what the API says, never the SQL literal.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bitbucket_sql.api.errors import BitbucketError, NotFoundError
from bitbucket_sql.api.paging import PAGES_END
from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.columns import slug_of_full_name
from bitbucket_sql.catalog.model import PathKey, TableDef
from bitbucket_sql.catalog.templates import fill, placeholders

from . import bbql
from .arrow_rows import ScanRows
from .cache import TTLCache, scan_key
from .cache_scans import ScanWriter, scan_writer
from .deadline import QueryDeadline
from .errors import EngineError, FanoutLimitError, KeyNotFoundError
from .keys import FOUND, LITERAL, NAMED, KeyChecker
from .planner import ScanPlan, enumeration_plan, fixed_params_term
from .pushdown import MAX_IN_VALUES, NotPushable, coerce_for_column
from .raw_content import file_object, raw_request_options
from .result import Progress
from .row_stream import RowStream
from .rows import Row, extract_row, read_path

Scope = dict[str, Any]


@dataclass
class ScanReport:
    """What one scan did (or would do): for EXPLAIN and EXPLAIN ANALYZE."""

    plan: ScanPlan
    path: str = ""
    scopes: int | None = None
    requests: int = 0
    retries: int = 0
    bytes: int = 0
    items: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    deferred: str = ""
    #: (rows whose keys were passed to joined children, rows fetched) after ``plan.key_filter``
    keys_passed: tuple[int, int] | None = None
    enumerations: list[ScanReport] = field(default_factory=list)
    #: (path, params) of the first requests, for EXPLAIN's estimate to sample
    samples: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: rows the scan cache holds per counted request (None: not cached), for EXPLAIN (``Fetcher.count``)
    cached: list[int | None] = field(default_factory=list)
    #: EXPLAIN's estimate of this scan's requests (``estimate.ScanEstimate``), made before running
    estimate: Any = None
    #: key column -> origin of its values (``keys.NAMED`` ...), for diagnosing 404s
    origins: dict[str, str] = field(default_factory=dict)
    #: 404s a claimed key explained, settled when the scan's requests are answered (``KeyChecker.settle``)
    missed: list[tuple[Scope, KeyNotFoundError]] = field(default_factory=list)
    #: the fetch strategy chosen for this scan and the alternatives' estimates (``strategies.Choice``)
    choice: Any = None
    #: the reference whose scan this one shares (same table, scope and filter): no request of its own
    shared_with: str | None = None


@dataclass
class _Request:
    scope: Scope
    path: str
    params: dict[str, Any]
    kind: str  # "list", "get" or "raw" (a file's bytes: engine.raw_content)


class Fetcher:
    """Runs scan plans for one query."""

    def __init__(
        self,
        client: Any,
        *,
        max_fanout: int,
        pushdown: bool,
        scan_cache: TTLCache[list[Any]],
        progress: Callable[[Progress], None] | None = None,
        started: float | None = None,
        recording: Any = None,
        value_filter: Callable[[str, str, list[Any], list[str]], set[Any]] | None = None,
        deadline: QueryDeadline | None = None,
    ) -> None:
        self.client = client
        self.max_fanout = max_fanout
        self.pushdown = pushdown
        self.scan_cache = scan_cache
        self.progress = progress
        self.started = started if started is not None else time.monotonic()
        #: the whole query's recording (``client.recording()``), for progress reports
        self.recording = recording
        #: evaluates SQL predicates on enumerated key values in the query's own DuckDB transaction
        self.value_filter = value_filter
        #: QueryTimeout: checked after every item and request, so a timed-out query stops fetching
        self.deadline = deadline
        self.rows_so_far = 0
        self.cache_hits = 0
        self._reported_requests = -1
        #: independent scans run on several threads: counters and progress calls are serialized
        self._lock = threading.RLock()
        self._local = threading.local()
        #: table of each reference id, for reading join-link values from its rows
        self.ref_tables: dict[int, TableDef] = {}
        #: things the user should know about a correct answer (skipped parents, literals that match nothing)
        self.warnings: list[str] = []
        self.keys = KeyChecker(client, self._warn)
        #: Optimize for this query ("latency" or "requests"), set by the engine before fetching
        self.goal: str | None = None
        #: where the first scan's rows go as they come, when the engine streams the result
        self.row_stream: RowStream | None = None

    def _warn(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)

    @property
    def current(self) -> str | None:
        """The reference this thread is fetching (for messages about its parent enumerations)."""
        return getattr(self._local, "current", None)

    @current.setter
    def current(self, label: str | None) -> None:
        self._local.current = label

    def _add(self, rows: int = 0, cache_hits: int = 0) -> None:
        with self._lock:
            self.rows_so_far += rows
            self.cache_hits += cache_hits

    # --- public -----------------------------------------------------------------------------
    def fetch(self, plan: ScanPlan, ref_rows: Mapping[int, Sequence[Row]], report: ScanReport) -> Sequence[Row]:
        """All rows of the plan (typed per the table's columns), held as Arrow (``arrow_rows``)."""
        if self.deadline is not None:
            self.deadline.check()
        began = time.monotonic()
        if plan.link_terms:
            narrowed = self._with_link_terms(plan, ref_rows)
            if narrowed is None:
                return []  # the other side of the join has no rows: nothing here can match
            plan = narrowed
            report.plan = plan
        with self.client.recording() as recording:
            scopes = self.scopes(plan, ref_rows, report)
            requests = self.requests_for(plan, scopes, report)
            self.check_fanout(plan, len(requests))
            report.scopes = len(requests)
            streaming = self._streams(plan)
            rows: ScanRows | RowStream = ScanRows(plan.table)  # each request's rows become Arrow once answered
            if streaming is not None:  # or go on to DuckDB as they come (engine: a streamed result)
                rows = streaming
                streaming.begin([request.scope for request in requests])
            order = {id(request): position for position, request in enumerate(requests)}
            redo: list[_Request] = []
            nulls_by_scope: dict[int, list[Any]] = {}
            # pages become rows as they come (no whole listing of objects held), unless the
            # DESC NULLS LAST fix must look at a request's items first
            sink = None if plan.nulls_last_fix else _PageSink(self, plan, rows, report, order)
            runner = (self._run_range(plan, requests, report) if plan.range_stop
                      else self._run(plan, requests, report, sink=sink))
            for request, items in runner:
                nulls = self._leading_nulls(plan, items)
                if nulls is None:
                    self._collect(plan, request, items, rows, report, order[id(request)])
                    if streaming is not None:
                        streaming.finish(order[id(request)])
                    continue
                nulls_by_scope[id(request.scope)] = nulls
                redo.append(self._without_nulls(plan, request))
                order[id(redo[-1])] = order[id(request)]
            for request, items in self._run(plan, redo, report, whole=plan.nonnull_q is None):
                # the non-null top rows plus the nulls seen first; a whole-scope read has both
                nulls = nulls_by_scope.get(id(request.scope), []) if plan.nonnull_q else []
                self._collect(plan, request, nulls + items, rows, report, order[id(request)])
            self.keys.settle(report.missed, [request.scope for request in requests])
        report.requests += recording.requests
        report.retries += recording.retries
        report.bytes += recording.bytes
        report.seconds += time.monotonic() - began
        self._report_progress()
        return rows.rows() if isinstance(rows, ScanRows) else []

    def _streams(self, plan: ScanPlan) -> RowStream | None:
        """The row stream this scan's rows go to, if any: the first scan of a streamed query,
        unless its requests are read twice (the DESC NULLS LAST fix, the range early stop)."""
        stream = self.row_stream
        if stream is None or stream.used or plan.nulls_last_fix or plan.range_stop:
            return None
        return stream

    def _with_link_terms(self, plan: ScanPlan, ref_rows: Mapping[int, Sequence[Row]]) -> ScanPlan | None:
        """The plan with ``column IN (values of the other side)`` added to q; None if a side is empty."""
        terms: list[bbql.Node] = []
        fields: set[str] = set()
        for link in plan.link_terms:
            source_table = self._source_table(plan, link.source_ref)
            index = source_table.column_names.index(link.source_column)
            raw = {row[index] for row in ref_rows.get(link.source_ref, [])} - {None}
            if not raw:
                return None
            column = plan.table.column(link.column)
            if column is None or len(raw) > MAX_IN_VALUES:
                continue
            try:
                values = sorted({coerce_for_column(value, column) for value in raw}, key=repr)
                terms.append(bbql.member(column.bbql_field or column.name, values))
            except (NotPushable, bbql.BBQLValueError):
                continue
            fields.add(column.name)
        if not terms:
            return plan
        base = plan.q_filter or fixed_params_term(plan.table, fields)
        return replace(plan, q_filter=bbql.conjunction(base, *terms))

    def _leading_nulls(self, plan: ScanPlan, items: list[Any]) -> list[Any] | None:
        """For DESC NULLS LAST: the null rows of a full first batch (None if the batch is usable)."""
        if not plan.nulls_last_fix or plan.limit is None or len(items) < plan.limit or plan.sort_path is None:
            return None
        nulls = [item for item in items if read_path(item, plan.sort_path) is None]
        return nulls or None

    def _without_nulls(self, plan: ScanPlan, request: _Request) -> _Request:
        """The same request for the non-null rows (q), or for the whole scope without BBQL."""
        if plan.nonnull_q is not None:
            return _Request(request.scope, request.path, request.params | {"q": plan.nonnull_q}, request.kind)
        params = {k: v for k, v in request.params.items() if k != (plan.table.sort_param or "sort")}
        return _Request(request.scope, request.path, params, request.kind)

    def _collect(self, plan: ScanPlan, request: _Request, items: list[Any], rows: ScanRows | RowStream, report: ScanReport,
                 at: int, offset: int = 0) -> None:
        """The rows of one answered request (or of its items from ``offset`` on), added to the
        scan's at the request's place ``at``."""
        order = next((c.name for c in plan.table.columns if c.listing_order), None)
        listing = plan.table.user_listing
        by_user = listing is not None and listing.placeholder in request.scope
        chunk: list[Row] = []
        for position, item in enumerate(items, offset):
            scope = request.scope if order is None else request.scope | {order: position}
            if by_user and listing is not None:  # a workspace-wide row names its own repository
                scope = scope | {"repository": slug_of_full_name(read_path(item, listing.repository_path))}
            chunk.append(extract_row(item, plan.table.columns, scope))
        rows.add(at, chunk)
        report.items += len(items)

    def count(self, plan: ScanPlan, report: ScanReport) -> None:
        """Fill ``report`` for EXPLAIN: scopes counted (enumerating parents), nothing else fetched."""
        if plan.links:
            report.deferred = "the rows fetched first (see keys from join)"
            report.path = self._path_template(plan)
            return
        plan = replace(plan, user_values=None)  # the scopes per repository (strategies.AuthorListing is costed apart)
        scopes = self.scopes(plan, {}, report)
        requests = self.requests_for(plan, scopes, report)
        report.scopes = len(requests)
        report.cached = self.cached_counts(plan, requests)
        # a scope whose rows are cached is counted, not sampled: EXPLAIN sends no request for it
        listed = [request for request, cached in zip(requests, report.cached, strict=True)
                  if request.kind == "list" and cached is None]
        report.samples = [(request.path, request.params) for request in listed[:1] + listed[1:][-1:]]

    # --- scopes -------------------------------------------------------------------------------
    def scopes(self, plan: ScanPlan, ref_rows: Mapping[int, Sequence[Row]], report: ScanReport) -> list[Scope]:
        """One dict of path-key values per request target (enumerating parents where needed)."""
        table = plan.table
        if plan.ref is not None:
            self.current = plan.label  # per thread: independent scans run concurrently
        label = self.current or plan.label
        if not report.origins:
            report.origins = origins_of(plan)
        base: Scope = {}
        if any(key.column == "workspace" for key in table.keys):
            base["workspace"] = self.keys.workspace(plan.workspace, label) if plan.workspace else plan.workspace
        if plan.user_values is not None and table.user_listing is not None:  # strategies.AuthorListing chose it
            placeholder = table.user_listing.placeholder
            return [base | {placeholder: value} for value in plan.user_values[1]]
        scopes = [base]
        keys = _path_keys(table)
        innermost = keys[-1] if keys else None
        use_wide = self._use_wide(plan, innermost)
        applied_links: set[int] = set()
        for key in keys:
            if use_wide and key is innermost:
                break
            if key.column in plan.key_values:
                values = self.keys.typed(table, key.column, plan.key_values[key.column])
                scopes = [scope | {key.column: value} for scope in scopes for value in values]
                default = plan.default_repository if key.column == "repository" else None
                scopes = self.keys.canonical(key, scopes, label, default,
                                             claimed=report.origins.get(key.column) != LITERAL)
            elif key.values:  # a closed set (hook_events' subject types): no request
                scopes = [scope | {key.column: value} for scope in scopes for value in key.values]
            elif key.column in plan.links:
                link = plan.links[key.column]
                if link.source_ref in applied_links:
                    continue
                applied_links.add(link.source_ref)
                scopes = self._linked_scopes(plan, scopes, link.source_ref, ref_rows)
            else:
                scopes = self._enumerate(key, scopes, plan.workspace, report, plan.enumeration_terms.get(key.column),
                                         report.origins)
                scopes = self._check_enumerated(key, scopes, plan.enumeration_checks.get(key.column, []))
        return scopes

    def all_members(self, plan: ScanPlan, report: ScanReport) -> bool:
        """Whether every value of ``plan.user_values`` is a current member of the workspace.

        Only then does the workspace-wide user listing (``catalog.model.UserListing``) hold every
        row: it misses the rows of people who have left. The members are listed once (cached);
        if they cannot be listed (no admin rights), the scan lists per repository
        (``strategies.AuthorListing`` falls back).
        """
        listing = plan.table.user_listing
        if listing is None or plan.user_values is None or not plan.workspace:
            return False
        if plan.ref is not None:
            self.current = plan.label
        base: Scope = {"workspace": self.keys.workspace(plan.workspace, self.current or plan.label)}
        column, values = plan.user_values
        member_column = listing.member_columns[listing.columns.index(column)]
        key = PathKey(listing.placeholder, column, source_table="workspace_members", source_column=member_column)
        try:
            members = {scope[column] for scope in self._enumerate(key, [base], plan.workspace, report)}
        except BitbucketError:
            return False
        return set(values) <= members

    def _use_wide(self, plan: ScanPlan, innermost: PathKey | None) -> bool:
        if not plan.table.wide_path or innermost is None or plan.get_ids is not None:
            return False
        return innermost.column not in plan.key_values and innermost.column not in plan.links

    def _linked_scopes(
        self, plan: ScanPlan, scopes: list[Scope], source_ref: int, ref_rows: Mapping[int, Sequence[Row]]
    ) -> list[Scope]:
        group = [(key, link) for key, link in plan.links.items() if link.source_ref == source_ref]
        source_rows = ref_rows.get(source_ref, [])
        source_table = self._source_table(plan, source_ref)
        indexes = [source_table.column_names.index(link.source_column) for _, link in group]
        tuples = sorted({tuple(row[i] for i in indexes) for row in source_rows}, key=repr)
        combined = []
        for scope in scopes:
            for values in tuples:
                if any(value is None for value in values):
                    continue
                extra = {key: value for (key, _), value in zip(group, values, strict=True)}
                if any(key in scope and scope[key] != value for key, value in extra.items()):
                    continue
                combined.append(scope | extra)
        return combined

    def _source_table(self, plan: ScanPlan, source_ref: int) -> TableDef:
        table = self.ref_tables.get(source_ref)
        if table is None:
            raise EngineError(f"internal error: reference #{source_ref} is not fetched before {plan.table.name}")
        return table

    def _enumerate(
        self, key: PathKey, scopes: list[Scope], workspace: str | None, report: ScanReport,
        terms: list[bbql.Node] | None = None, origins: dict[str, str] | None = None,
    ) -> list[Scope]:
        """``scopes`` extended with every value of ``key`` its source table lists under each.

        ``origins`` are those of the scan that needs the values: a 404 under a key its query
        named is diagnosed as that scan's would be.
        """
        source = registry.get_table(key.source_table or "")
        if source is None or key.source_column is None:
            raise EngineError(f"internal error: the catalog gives no source for key {key.column!r}")
        helper = enumeration_plan(source, workspace, key.source_column, pushdown=self.pushdown, terms=terms,
                                  also=(key.source_where[0],) if key.source_where else ())
        helper.purpose = f"enumerate {key.column}"
        sub_report = ScanReport(plan=helper, origins=dict(origins or {}))
        report.enumerations.append(sub_report)
        began = time.monotonic()
        source_keys = [k.column for k in source.keys]
        helper_scopes: list[Scope] = []
        seen: set[tuple[Any, ...]] = set()
        for scope in scopes:
            restricted = {name: scope[name] for name in source_keys if name in scope}
            identity = tuple(sorted(restricted.items(), key=repr))
            if identity not in seen:
                seen.add(identity)
                helper_scopes.append(restricted)
        missing = [k for k in _path_keys(source) if any(k.column not in s for s in helper_scopes)]
        if missing:
            helper_scopes = [s2 for s in helper_scopes
                             for s2 in self._enumerate(missing[0], [s], workspace, sub_report, origins=origins)]
        column_index = source.column_names.index(key.source_column)
        values_by_scope: dict[tuple[Any, ...], dict[Any, None]] = {}  # ordered sets
        with self.client.recording() as recording:
            requests = self.requests_for(helper, helper_scopes, sub_report)
            self.check_fanout(helper, len(requests))
            sub_report.scopes = len(requests)
            where_index = source.column_names.index(key.source_where[0]) if key.source_where else None
            for request, items in self._run(helper, requests, sub_report):
                identity = tuple(sorted(request.scope.items(), key=repr))
                bucket = values_by_scope.setdefault(identity, {})
                for item in items:
                    row = extract_row(item, source.columns, request.scope)
                    if where_index is not None and key.source_where and row[where_index] != key.source_where[1]:
                        continue  # only the source rows the key is declared for (files, not directories)
                    if row[column_index] is not None:
                        bucket[row[column_index]] = None
                sub_report.items += len(items)
            self.keys.settle(sub_report.missed, [request.scope for request in requests])
        sub_report.requests += recording.requests
        sub_report.retries += recording.retries
        sub_report.bytes += recording.bytes
        sub_report.seconds += time.monotonic() - began
        result = []
        for scope in scopes:
            restricted = {name: scope[name] for name in source_keys if name in scope}
            identity = tuple(sorted(restricted.items(), key=repr))
            for value in sorted(values_by_scope.get(identity, {}), key=repr):
                result.append(scope | {key.column: value})
        return result

    def _check_enumerated(self, key: PathKey, scopes: list[Scope], checks: list[str]) -> list[Scope]:
        """Keep the scopes whose enumerated key value passes the query's own predicates on that key.

        The predicates are evaluated by DuckDB in the query's transaction (same semantics and the
        same ``now()`` as the final query); a failure to evaluate keeps every scope, which is safe.
        """
        if not checks or not scopes or self.value_filter is None:
            return scopes
        values = sorted({scope[key.column] for scope in scopes}, key=repr)
        try:
            kept = self.value_filter(key.column, _source_column_type(key), values, checks)
        except EngineError:
            return scopes
        return [scope for scope in scopes if scope[key.column] in kept]

    # --- requests -----------------------------------------------------------------------------
    def requests_for(self, plan: ScanPlan, scopes: list[Scope], report: ScanReport) -> list[_Request]:
        table = plan.table
        params = plan.request_params()
        if plan.get_ids is not None and table.get_path:
            report.path = table.get_path
            id_column = table.get_key[0]
            gets = []
            for scope in scopes:
                for value in plan.get_ids:
                    path = _fill(table, table.get_path, scope | {id_column: value})
                    if path is not None:
                        gets.append(_Request(scope | {id_column: value}, path, params, "get"))
                    else:
                        self.keys.unaddressable(table, self.current or plan.label, scope, report.origins)
            return gets
        template = self._path_template(plan)
        listing = table.user_listing
        if listing is not None and scopes and listing.placeholder in scopes[0]:
            template = listing.path  # the users' rows across the workspace (see ``scopes``)
        report.path = template
        kind = {"single": "get", "raw": "raw"}.get(table.paging, "list")
        requests = []
        for scope in scopes:
            path = _fill(table, template, scope)
            if path is not None:
                requests.append(_Request(scope, path, params, kind))
            else:
                self.keys.unaddressable(table, self.current or plan.label, scope, report.origins)
        return requests

    def _path_template(self, plan: ScanPlan) -> str:
        keys = _path_keys(plan.table)
        if plan.get_ids is not None and plan.table.get_path:
            return plan.table.get_path
        if keys and self._use_wide(plan, keys[-1]) and plan.table.wide_path:
            return plan.table.wide_path
        return plan.table.path

    def check_fanout(self, plan: ScanPlan, count: int) -> None:
        if count <= self.max_fanout:
            return
        unfixed = [key.column for key in _path_keys(plan.table) if key.column not in plan.key_values]
        if plan.get_ids is not None:
            narrowing = f"fewer {plan.table.get_key[0]} values or a filter on {', '.join(unfixed) or 'the keys'}"
        elif unfixed:
            narrowing = " or ".join(f"a filter on {name} ({name} = '...' or {name} IN (...))" for name in unfixed)
        else:
            narrowing = "fewer values in the key filters"
        label = plan.label
        if plan.ref is None and self.current is not None:
            # a parent enumeration: name the table the user asked for
            label = f"{label} (listed to find the {plan.purpose.removeprefix('enumerate ')} values of {self.current})"
        raise FanoutLimitError(label, count, self.max_fanout, narrowing)

    # --- running ------------------------------------------------------------------------------
    def run_requests(self, plan: ScanPlan, requests: list[_Request], report: ScanReport) -> Iterable[tuple[_Request, list[Any]]]:
        """(request, items) per request, cached and concurrent: for strategies that read raw objects."""
        return self._run(plan, requests, report)

    def _run(
        self, plan: ScanPlan, requests: list[_Request], report: ScanReport, *, whole: bool = False,
        one_page: bool = False, sink: _PageSink | None = None,
    ) -> Iterable[tuple[_Request, list[Any]]]:
        """Yield (request, items) per request: from the cache, else fetched concurrently.

        ``whole`` drops the plan's limit (a full listing of the scope). For LIMIT without ORDER
        BY (a limit but no sort) any rows will do, so fetching stops for *all* scopes once the
        limit is reached in total: pending requests are cancelled and nothing partial is cached.

        With a ``sink`` (and no limit across scopes) a list request's items go to the sink and to
        the scan cache a chunk at a time as they arrive, and the request is yielded with no items
        once over: a listing of thousands of objects is never held whole (issue 14: memory).
        """
        pagelen, limit, keys = self._request_keys(plan, requests, whole=whole, one_page=one_page)
        remaining = limit if (limit is not None and plan.any_rows) else None
        pending: list[tuple[int, _Request, Any]] = []
        self.scan_cache.prefetch(keys)  # a persistent cache refreshes its stale entries concurrently
        for index, (request, key) in enumerate(zip(requests, keys, strict=True)):
            cached = self.scan_cache.get(key)
            if cached is not None:
                report.cache_hits += 1
                self._add(cache_hits=1)
                if remaining is not None:
                    remaining -= len(cached)
                if plan.ref is not None:
                    self._add(rows=len(cached))
                yield request, cached
            else:
                pending.append((index, request, key))
        if not pending or (remaining is not None and remaining <= 0):
            return
        lists = [(i, r, k) for i, r, k in pending if r.kind == "list"]
        gets = [(i, r, k) for i, r, k in pending if r.kind in ("get", "raw")]
        if lists:
            collected: dict[int, list[Any]] = {i: [] for i, _, _ in lists}
            failed: dict[int, BitbucketError] = {}
            # without a limit across scopes, a request is handed on as soon as its last page is in,
            # so its objects are turned into rows and dropped while others are still fetched
            early = remaining is None and bool(getattr(self.client, "announces_end", False))
            by_index = {i: (r, k) for i, r, k in lists}
            streamed = sink if early else None
            writers = {i: scan_writer(self.scan_cache, k) for i, _, k in lists} if streamed else {}
            offsets = dict.fromkeys(writers, 0)
            stream = self.client.paginate_many(
                [(i, r.path, r.params) for i, r, _ in lists], pagelen=pagelen, limit=limit, return_errors=True,
                **({"announce_end": True, "reads_all": True} if early else {}),
            )
            stopped = False
            try:
                for index, item in stream:
                    self._tick()
                    if isinstance(item, BitbucketError) or item is PAGES_END:
                        if isinstance(item, BitbucketError):
                            failed[index] = item
                        if streamed is not None:
                            request, key = by_index.pop(index)
                            rest, error = collected.pop(index), failed.get(index)
                            if error is None:
                                self._pass_on(streamed, writers[index], request, rest, offsets, index)
                            self._answered_streamed(plan, request, key, writers.pop(index), error, streamed, report)
                            yield request, []
                        elif early:
                            request, key = by_index.pop(index)
                            yield request, self._answered(plan, request, key, collected.pop(index),
                                                          failed.get(index), False, report)
                        continue
                    collected[index].append(item)
                    if streamed is not None and len(collected[index]) >= CHUNK_ITEMS:
                        self._pass_on(streamed, writers[index], by_index[index][0], collected[index], offsets, index)
                        collected[index] = []
                    if plan.ref is not None:  # rows of the query's tables, not parent enumerations
                        self._add(rows=1)
                    if remaining is not None:
                        remaining -= 1
                        if remaining <= 0:
                            stopped = True
                            break
            finally:
                stream.close()  # cancels the requests still in flight
            for index, (request, key) in by_index.items():
                yield request, self._answered(plan, request, key, collected[index], failed.get(index), stopped, report)
        if gets:
            by_index = {i: (r, k) for i, r, k in gets}
            fetch = self.client.get_raw_many if plan.table.paging == "raw" else self.client.get_many
            for index, obj in fetch([(i, r.path, r.params) for i, r, _ in gets], return_errors=True,
                                    **raw_request_options(plan.table)):
                request, key = by_index[index]
                claimed_missing = False
                if isinstance(obj, BitbucketError):
                    claimed_missing = self._tolerate(plan, request, obj, report)
                    items: list[Any] = []
                elif request.kind == "raw":
                    found = file_object(plan.table, request.scope, obj.content, obj.content_type,
                                        over_limit=obj.over_limit, size=obj.size)
                    items = [found] if found is not None else []  # a directory is no file
                    self.keys.seen(plan.table, request.scope)
                else:
                    items = [obj] if obj is not None else []
                    self.keys.seen(plan.table, request.scope)
                if plan.ref is not None:
                    self._add(rows=len(items))
                self._tick()
                if not claimed_missing:
                    self.scan_cache.put(key, items)
                yield request, items

    @staticmethod
    def _request_keys(
        plan: ScanPlan, requests: list[_Request], *, whole: bool = False, one_page: bool = False,
    ) -> tuple[int | None, int | None, list[Any]]:
        """(pagelen, limit, cache key per request) as :meth:`_run` sends and caches them."""
        pagelen = plan.pagelen if plan.table.paging not in ("single", "raw") else None
        limit = None if whole else plan.limit
        if one_page:
            limit = pagelen  # the range early stop asks for one page at a time
        if whole and pagelen is not None:
            pagelen = plan.table.max_pagelen
        keys = [scan_key(plan, request.path, request.params, pagelen if request.kind == "list" else None, limit,
                         request.kind, one_page=one_page) for request in requests]
        return pagelen, limit, keys

    def cached_counts(self, plan: ScanPlan, requests: list[_Request]) -> list[int | None]:
        """Rows the scan cache holds for each request (None: not cached), read without any request
        (``peek``: a stale persistent entry is not refreshed): EXPLAIN's counts from the cache."""
        if not self.scan_cache.enabled:
            return [None] * len(requests)
        _, _, keys = self._request_keys(plan, requests, one_page=plan.range_stop is not None)
        peek = getattr(self.scan_cache, "peek", self.scan_cache.get)
        counts: list[int | None] = []
        for key in keys:
            found = peek(key)
            counts.append(None if found is None else len(found))
        return counts

    def _answered(self, plan: ScanPlan, request: _Request, key: Any, items: list[Any], error: BitbucketError | None,
                  stopped: bool, report: ScanReport) -> list[Any]:
        """The items of a list request once it is over: its failure diagnosed, its parents noted
        as existing, and its items cached unless the fetch was cut short (``stopped``)."""
        claimed_missing = False
        if error is not None:
            claimed_missing = self._tolerate(plan, request, error, report)
            items = []
        elif items or not stopped:  # answered: its parents exist
            self.keys.seen(plan.table, request.scope)
        if not stopped and not claimed_missing:  # a key that may be an error is asked again
            self.scan_cache.put(key, items)
        return items

    @staticmethod
    def _pass_on(sink: _PageSink, writer: ScanWriter, request: _Request, items: list[Any], offsets: dict[int, int],
                 index: int) -> None:
        """A chunk of a list request's items: to the scan cache's writer and into rows."""
        if not items:
            return
        writer.add(items)
        sink.add(request, items, offsets[index])
        offsets[index] += len(items)

    def _answered_streamed(self, plan: ScanPlan, request: _Request, key: Any, writer: ScanWriter,
                           error: BitbucketError | None, sink: _PageSink, report: ScanReport) -> None:
        """:meth:`_answered` for a request whose items went to ``sink`` as they came: a failure
        takes back the rows it had given (a tolerated failure means no rows, as before)."""
        if error is None:
            self.keys.seen(plan.table, request.scope)
            writer.commit()
            return
        writer.discard()
        sink.drop(request)
        if not self._tolerate(plan, request, error, report):
            self.scan_cache.put(key, [])

    def _run_range(self, plan: ScanPlan, requests: list[_Request], report: ScanReport) -> Iterable[tuple[_Request, list[Any]]]:
        """Range early stop: read every scope page by page (sorted descending), in rounds, and
        drop a scope from the next round once its page ends below the bound (or is not full).

        Adaptive page size: the first MaxConcurrency scopes are read with full pages; the rows
        they held in range tell how many the others need, so the others ask for
        :func:`adapted_pagelen` rows a page instead of the maximum (failed pipelines this month:
        the first page of a repository holds mostly older runs, thrown away). Where the rows in
        range did not fit a full page somewhere, every scope keeps full pages (no request added).
        """
        width = max(1, int(getattr(getattr(self.client, "settings", None), "max_concurrency", 8)))
        first, rest = requests[:width], requests[width:]
        observed: list[int] = []
        yield from self._range_scopes(plan, first, plan.pagelen, report, observed)
        if not rest:
            return
        pagelen = adapted_pagelen(plan.table.max_pagelen, observed) if plan.pagelen == plan.table.max_pagelen \
            else plan.pagelen
        shaped = plan if pagelen == plan.pagelen else replace(plan, limit=pagelen)
        yield from self._range_scopes(shaped, rest, pagelen, report, None)

    def _range_scopes(
        self, plan: ScanPlan, requests: list[_Request], pagelen: int, report: ScanReport, observed: list[int] | None,
    ) -> Iterable[tuple[_Request, list[Any]]]:
        """The range early stop over ``requests`` with ``pagelen`` rows a page; ``observed`` gets
        the rows in range of each scope (for :func:`adapted_pagelen`)."""
        assert plan.range_stop is not None
        name, predicate = plan.range_stop
        column = plan.table.column(name)
        index = plan.table.column_names.index(name)
        alive = list(requests)
        in_range = {id(request): 0 for request in requests}
        page = 1
        while alive:
            originals: dict[int, _Request] = {}
            round_requests = []
            for request in alive:
                paged = request if page == 1 else _Request(
                    request.scope, request.path, request.params | {"page": page}, request.kind)
                originals[id(paged)] = request
                round_requests.append(paged)
            alive = []
            for paged, items in self._run(plan, round_requests, report, one_page=True):
                request = originals[id(paged)]
                yield request, items
                if self.value_filter is None or column is None:
                    if len(items) >= pagelen:
                        alive.append(request)
                    if observed is not None:
                        observed.append(pagelen + 1)  # unknown: no adapting
                    continue
                values = [extract_row(item, plan.table.columns, request.scope)[index] for item in items]
                try:
                    kept = self.value_filter(name, column.type, [v for v in values if v is not None], [predicate])
                    passing = sum(1 for v in values if v is None or v in kept)
                except EngineError:
                    passing = len(values)
                in_range[id(request)] += passing
                if len(items) >= pagelen and passing == len(items):  # the last row passes: page on
                    alive.append(request)
                elif observed is not None:
                    observed.append(in_range[id(request)])
            page += 1

    def _tolerate(self, plan: ScanPlan, request: _Request, error: BitbucketError, report: ScanReport) -> bool:
        """A 404 is diagnosed (see :class:`~.keys.KeyChecker`); anything else is raised.

        True when a key the user claims may be missing: the scan settles it once all its scopes
        are answered (``report.missed``).
        """
        if not isinstance(error, NotFoundError):
            raise error
        sources = {link.source_ref for link in plan.links.values()}
        composed = bool(sources) and (len(sources) > 1 or any(key in plan.key_values for key in plan.path_keys))
        missing = self.keys.not_found(plan.table, self.current or plan.label, request.scope,
                                      listing=request.kind == "list" and plan.get_ids is None,
                                      origins=report.origins, composed=composed)
        if missing is None:
            return False
        with self._lock:
            report.missed.append((request.scope, missing))
        return True

    def _tick(self) -> None:
        """Report progress when a request completed since the last report (one int compare otherwise).

        Also where a query past its QueryTimeout stops: raising here closes the request streams.
        """
        if self.deadline is not None:
            self.deadline.check()
        if self.progress is None or self.recording is None:
            return
        if self.recording.requests != self._reported_requests:
            self._report_progress()

    def _report_progress(self) -> None:
        """Tell the caller how far fetching got: after every completed request, and at the end of a scan."""
        if self.progress is None:
            return
        with self._lock:
            done = self.recording.requests if self.recording is not None else 0
            if done < self._reported_requests:
                return  # another thread already reported a later state
            self._reported_requests = done
            self.progress(Progress(done, self.rows_so_far, time.monotonic() - self.started))


#: Margin of :func:`adapted_pagelen`: a scope read later may hold more rows in range than the
#: ones read first (at medium the first 8 repositories held at most 48 pipelines of the month,
#: all 80 at most 57): half as many again plus a few keeps it within one page.
ADAPTED_MARGIN = 1.5
ADAPTED_EXTRA = 5


def adapted_pagelen(max_pagelen: int, observed: Sequence[int]) -> int:
    """Rows a page for the scopes a range early stop reads after the first ones: the most rows in
    range a first scope held, with :data:`ADAPTED_MARGIN` and :data:`ADAPTED_EXTRA` (one page
    still holds a scope like them, so no request is added), the maximum when a first scope
    filled a page or its rows could not be checked."""
    if not observed or max(observed) >= max_pagelen:
        return max_pagelen
    return min(max_pagelen, math.ceil(ADAPTED_MARGIN * max(observed)) + ADAPTED_EXTRA)


#: items of one list request turned into rows (and handed to the scan cache) at a time: about a
#: page, so a request's objects are dropped as its pages come instead of at its end
CHUNK_ITEMS = 100


class _PageSink:
    """Where a scan's list requests put their items as they arrive (:meth:`Fetcher._run`)."""

    def __init__(self, fetcher: Fetcher, plan: ScanPlan, rows: ScanRows | RowStream, report: ScanReport,
                 order: dict[int, int]) -> None:
        self.fetcher, self.plan, self.rows, self.report, self.order = fetcher, plan, rows, report, order

    def add(self, request: _Request, items: list[Any], offset: int) -> None:
        self.fetcher._collect(self.plan, request, items, self.rows, self.report, self.order[id(request)], offset)

    def drop(self, request: _Request) -> None:
        """Forget the rows a request gave before it failed."""
        self.report.items -= self.rows.drop(self.order[id(request)])


def origins_of(plan: ScanPlan) -> dict[str, str]:
    """Where each path key's values come from (``keys`` module doc): the user's claims or not."""
    origins = {"workspace": NAMED}
    for column in plan.path_keys:
        if column in plan.key_values:
            origins[column] = plan.named_keys.get(column, LITERAL)
        else:
            origins[column] = FOUND  # enumerated, or from a joined reference's rows
    return origins


def _source_column_type(key: PathKey) -> str:
    source = registry.get_table(key.source_table or "")
    column = source.column(key.source_column or "") if source is not None else None
    return column.type if column is not None else "VARCHAR"


def _path_keys(table: TableDef) -> list[PathKey]:
    return [key for key in table.keys if key.column != "workspace" and key.placeholder != "workspace"]


def _fill(table: TableDef, template: str, scope: Scope) -> str | None:
    """The path with placeholders filled (catalog.templates.fill); None if a value cannot be a segment."""
    by_placeholder = {key.placeholder: key.column for key in table.keys}
    values: dict[str, Any] = {}
    for name in placeholders(template):
        value = scope.get(by_placeholder.get(name, name))
        if value is None:
            raise EngineError(f"internal error: no value for {{{name}}} in {template} (scope {scope})")
        values[name] = value
    try:
        return fill(template, values)
    except ValueError:
        return None  # no URL addresses this value: no rows
