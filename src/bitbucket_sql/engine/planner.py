"""Scan plans: for each table reference, the requests that return a superset of its rows.

A :class:`ScanPlan` is pure data derived from the catalog and the query's facts; no request is
made here. Its parts, in the order the API sees them:

* **scopes** (the URL): path keys fixed by literals (``repository IN ('a', 'b')``), by rows of
  another reference already fetched (join links), or enumerated from the key's source table;
* **GET by id** when the query fixes ``get_key`` to a few values (``id = 5``);
* **q** (BBQL) from every translatable conjunct, **plain parameters** for ``param`` columns;
* **sort + limit** for ``ORDER BY <sortable column> LIMIT n`` when the scan is exact;
* **listing-order limits** (``ORDER BY position LIMIT n``, ``position < n``) and the **range
  early stop** (``created_on >= x`` with ``sort=-created_on`` on endpoints without BBQL);
* **key filters**: a parent's local-only predicates, applied before its keys go to children;
* the connection's default **Repository** for references whose query names no repository;
* **fields** listing only the columns the query uses (plus ``+values.x`` for fields the list
  leaves out, when needed).

With ``pushdown=False`` every plan fetches whole scopes with no filter, sort, limit or fields;
results must be identical (the tests compare both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.model import TableDef

from . import bbql
from .analysis import Link, RefFacts
from .pushdown import Folder, Translator
from .references import TableRef

if TYPE_CHECKING:  # the strategies import this module: their modes are imported where made
    from .strategies.modes import ListingLimit, RangeStop, UserValues

#: Use GETs of single objects for ``get_key IN (...)`` lists up to this size; longer lists go into q.
MAX_GETS_PER_SCOPE = 5
#: Envelope fields kept when ``fields=`` lists values explicitly.
ENVELOPE_FIELDS = ("next", "page", "size", "pagelen")


@dataclass
class ScanPlan:
    """How to fetch the rows of one table reference (or of a parent enumeration)."""

    ref: TableRef | None
    table: TableDef
    workspace: str | None
    key_values: dict[str, frozenset[Any]] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    get_ids: tuple[Any, ...] | None = None
    #: the BBQL filter (a tree; ``q`` is its one rendering, sent and shown by EXPLAIN)
    q_filter: bbql.Node | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sort: str | None = None
    limit: int | None = None
    fields: str | None = None
    pushed: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    #: the API may return rows the query drops (a local predicate, or a pushed term its column
    #: declares a superset): no sort + limit, no LIMIT-without-ORDER-BY early stop
    superset: bool = False
    #: key column -> BBQL terms on its source table that narrow the parents enumerated
    #: (``repository LIKE 'api%'`` lists only repositories with ``slug ~ "ap"`` (no ``i``: see ``like_fragment``))
    enumeration_terms: dict[str, list[bbql.Node]] = field(default_factory=dict)
    #: joins on filterable non-key columns: ``column IN (values fetched for the other side)``
    #: is added to q at fetch time (and no request is made when the other side has no rows)
    link_terms: list[Link] = field(default_factory=list)
    #: key column -> SQL predicates on a column named like the key, applied to enumerated values
    enumeration_checks: dict[str, list[str]] = field(default_factory=dict)
    #: DESC NULLS LAST (DuckDB) over the API's DESC NULLS FIRST: when a scope's first ``limit``
    #: rows contain nulls, the non-null top rows are fetched again with this q (or, without
    #: BBQL, the whole scope); ``sort_path`` tells null rows apart
    nonnull_filter: bbql.Node | None = None
    nulls_last_fix: bool = False
    sort_path: str | None = None
    purpose: str = "rows"  # "rows" or "enumerate <key>"
    #: SQL predicates (unqualified) on this reference's own columns that rows must pass before
    #: their keys are passed to a joined child: all of a parent's filters, since its rows may hold
    #: more than the API filter returns (local-only predicates, a wider listing from the cache)
    key_filter: list[str] = field(default_factory=list)
    #: range early stop (``strategies.modes.RangeStop``: endpoints without BBQL that sort exactly
    #: by a column): with ``sort=-<column>``, a scope is read page by page and stops at the first
    #: page whose last row fails the lower bound (``created_on >= X``): every later row is older
    range_stop: RangeStop | None = None
    #: LIMIT without ORDER BY: any ``limit`` rows will do, so the whole scan (not only each
    #: scope) stops once that many arrived
    any_rows: bool = False
    #: the limit comes from the table's listing-order column (``strategies.modes.ListingLimit``:
    #: ``ORDER BY position LIMIT n`` or ``position < n``): the first n rows of each scope
    listing_limit: ListingLimit | None = None
    #: the connection's Repository, applied because the query names no repository for this reference
    default_repository: str | None = None
    #: key column -> "named" / "joined" when a conjunct of the query's inner part fixes its values
    #: (``RefFacts.named``): the user claims they exist, so a 404 for one is an error naming it
    named_keys: dict[str, str] = field(default_factory=dict)
    #: the users fixed on the table's ``user_listing`` (``strategies.modes.UserValues``:
    #: ``author_uuid = '{...}'``): ``strategies.AuthorListing`` may list those users' rows
    #: workspace-wide (when cheaper than per repository and they are all members of the
    #: workspace); the fetcher lists one scope per value while it is set (``ScopeListing`` clears it)
    user_values: UserValues | None = None
    #: the reference whose scan this one reuses (same table, scope and filter: ``share_scans``)
    shared_with: int | None = None

    @property
    def q(self) -> str | None:
        """The ``q`` parameter as sent (the one rendering of ``q_filter``)."""
        return bbql.render(self.q_filter) if self.q_filter is not None else None

    @property
    def nonnull_q(self) -> str | None:
        """The ``q`` of the DESC NULLS LAST re-read (the one rendering of ``nonnull_filter``)."""
        return bbql.render(self.nonnull_filter) if self.nonnull_filter is not None else None

    @property
    def label(self) -> str:
        """``workspace.table`` (or the table name for global tables), for messages."""
        return f"{self.workspace}.{self.table.name}" if self.workspace else self.table.name

    @property
    def pagelen(self) -> int:
        """Rows per page: the table's maximum, or just the rows a limit needs when fewer (one page
        either way, so asking for fewer rows costs no request and transfers no row thrown away)."""
        if self.limit is not None:
            return max(1, min(self.table.max_pagelen, self.limit))
        return self.table.max_pagelen

    @property
    def path_keys(self) -> list[str]:
        """Key columns other than the workspace, outermost first."""
        return [key.column for key in self.table.keys if key.placeholder != "workspace" and key.column != "workspace"]

    def request_params(self) -> dict[str, Any]:
        """Query parameters of every request of this scan (except pagelen)."""
        params: dict[str, Any] = {}
        if self.get_ids is None:
            for name, values in self.table.fixed_params:
                if self.q_filter is None or not _is_field(self.table, name):  # q carries field filters
                    params[name] = values if len(values) > 1 else values[0]
        if self.get_ids is None:
            params.update(self.params)
        if self.q_filter is not None and self.get_ids is None:
            params["q"] = self.q
        if self.sort is not None and self.get_ids is None:
            params[self.table.sort_param or "sort"] = self.sort
        if self.fields is not None:
            params["fields"] = self.fields
        return params


@dataclass
class _Draft:
    """A reference's plan from its own predicates, before joins are known (``plan_query`` ranks
    references by it, then finishes each with the links of the references fetched before it)."""

    plan: ScanPlan
    facts: RefFacts | None
    fold: Folder | None = None
    exact: bool = True
    q_terms: list[bbql.Node] = field(default_factory=list)
    q_fields: set[str] = field(default_factory=set)
    get_candidates: dict[str, frozenset[Any]] = field(default_factory=dict)
    done: bool = False  # no pushdown: nothing a join can add


def plan_query(
    refs: dict[int, TableRef], facts: dict[int, RefFacts], *, pushdown: bool, fold: Folder | None,
    default_repository: Callable[[TableRef], str | None],
) -> list[tuple[int, ScanPlan]]:
    """The whole query's scan plans, in fetch order, in one pass over its references.

    Each reference is drafted once from its own predicates; the order is parents first (fewer
    path keys, then more keys fixed by literals); each draft is then finished with the join links
    of the references before it. References of one table ask for the same columns (their rows
    share one local table), and equal scans are fetched once (:func:`share_scans`).
    """
    drafts = {ref_id: draft_scan(refs[ref_id], facts.get(ref_id), pushdown=pushdown, fold=fold,
                                 default_repository=default_repository(refs[ref_id])) for ref_id in refs}

    def rank(ref_id: int) -> tuple[int, int, int]:
        table = refs[ref_id].table
        assert table is not None
        fixed = len(drafts[ref_id].plan.key_values) if pushdown and ref_id in facts else 0
        return len(table.keys), -fixed, ref_id

    plans: list[tuple[int, ScanPlan]] = []
    done: set[int] = set()
    for ref_id in sorted(refs, key=rank):
        plans.append((ref_id, finish_scan(drafts[ref_id], links_allowed=done)))
        done.add(ref_id)
    if not pushdown:
        return plans
    by_table: dict[tuple[str, str], list[int]] = {}
    for ref_id, _ in plans:
        by_table.setdefault(refs[ref_id].physical, []).append(ref_id)
    for group in by_table.values():
        if len(group) < 2:
            continue
        if refs[group[0]].table is not None and not refs[group[0]].table.primary_key:  # type: ignore[union-attr]
            # rows without identity cannot be merged: every reference reads the whole table
            whole = {ref_id: plan_scan(refs[ref_id], None, pushdown=False, links_allowed=set(),
                                       default_repository=default_repository(refs[ref_id]),
                                       names_repository=ref_id in facts and facts[ref_id].mentions_repository)
                     for ref_id in group}
            plans = [(ref_id, whole.get(ref_id, plan)) for ref_id, plan in plans]
            continue
        needed: set[str] | None = set()
        for ref_id in group:
            columns = facts[ref_id].columns if ref_id in facts else None
            needed = None if columns is None or needed is None else needed | columns
        for ref_id, plan in plans:
            if ref_id in group:
                plan_fields(plan, needed)
    share_scans(plans, refs)  # one scan per distinct (table, scope, pushed filter)
    return plans


def plan_scan(
    ref: TableRef, facts: RefFacts | None, *, pushdown: bool, links_allowed: set[int], fold: Folder | None = None,
    default_repository: str | None = None, names_repository: bool | None = None,
) -> ScanPlan:
    """The scan plan of one catalog reference (:func:`draft_scan`, then :func:`finish_scan`).

    ``links_allowed`` holds the reference ids already planned to be fetched earlier; only links
    from them may fix this reference's keys (that keeps the fetch order acyclic).
    """
    return finish_scan(draft_scan(ref, facts, pushdown=pushdown, fold=fold, default_repository=default_repository,
                                  names_repository=names_repository), links_allowed=links_allowed)


def draft_scan(
    ref: TableRef, facts: RefFacts | None, *, pushdown: bool, fold: Folder | None = None,
    default_repository: str | None = None, names_repository: bool | None = None,
) -> _Draft:
    """A reference's plan from its own predicates: keys, ids, parameters and BBQL terms.

    ``default_repository`` is the connection's Repository for references in its workspace: a
    repository-scoped reference whose query names no ``repository`` reads only that one (with
    or without pushdown: it is part of what the query means on that connection). This is the
    one place that rule lives; ``names_repository`` overrides ``facts.mentions_repository`` for
    plans made without facts.
    """
    table = ref.table
    assert table is not None
    plan = ScanPlan(ref=ref, table=table, workspace=ref.workspace)
    if names_repository is None:
        names_repository = facts is not None and facts.mentions_repository
    if default_repository and any(key.column == "repository" for key in table.keys) and not names_repository:
        plan.key_values["repository"] = frozenset({default_repository})
        plan.default_repository = default_repository
        plan.named_keys["repository"] = "named"
    if not pushdown or facts is None:
        if facts is not None:
            plan.local = [c.sql(dialect="duckdb") for c in facts.conjuncts]
        plan_fields(plan, None)  # completeness only: fields the list leaves out by default
        return _Draft(plan, facts, done=True)
    translator = Translator(table, fold)
    exact = True
    q_terms: list[bbql.Node] = []
    q_fields: set[str] = set()
    get_candidates: dict[str, frozenset[Any]] = {}
    translated: set[int] = set()
    conflicting: set[str] = set()
    for conjunct in facts.conjuncts:
        result = translator.translate(conjunct)
        text = conjunct.sql(dialect="duckdb")
        if result is None:
            plan.local.append(text)
            _narrow_enumeration(plan, conjunct, fold)
            continue
        translated.add(id(conjunct))
        for name, values in result.key_values.items():
            plan.key_values[name] = plan.key_values.get(name, values) & values
            origin = facts.named.get(id(conjunct))
            if origin is not None and plan.named_keys.get(name) != "named":
                plan.named_keys[name] = origin
        for name, values in result.get_values.items():
            get_candidates[name] = get_candidates.get(name, values) & values
        for name, value in result.params.items():
            if plan.params.get(name, value) != value:
                conflicting.add(name)  # two different values: no row matches; DuckDB says so
            plan.params[name] = value
        if result.bbql:
            q_terms.append(result.bbql)
            q_fields |= {column.name.lower() for column in conjunct.find_all(exp.Column)}
        if result.superset:
            exact = False
            plan.local.append(f"{text} (re-checked: the API filter is a superset)")
        plan.pushed.append(text)
    for name in conflicting:
        plan.params.pop(name, None)
        exact = False
    if any(id(conjunct) not in translated for conjunct in facts.where_conjuncts) or plan.local:
        exact = False
    return _Draft(plan, facts, fold, exact, q_terms, q_fields, get_candidates)


def finish_scan(draft: _Draft, *, links_allowed: set[int]) -> ScanPlan:
    """The draft with the join links of the references fetched before it, and what depends on
    them: GET by id or listing, sort and limit, the user listing, the q sent, fields."""
    plan, facts = draft.plan, draft.facts
    if draft.done or facts is None:
        return plan
    table = plan.table
    exact, q_terms, q_fields, get_candidates = draft.exact, draft.q_terms, draft.q_fields, draft.get_candidates
    for key_column in plan.path_keys:
        if key_column in plan.key_values:
            continue
        for link in facts.links:
            if link.column == key_column and link.source_ref in links_allowed:
                plan.links[key_column] = link
                break
    _pair_fixed_keys_with_links(plan, facts, links_allowed)
    for link in facts.links:
        column = table.column(link.column)
        if (
            link.source_ref in links_allowed
            and column is not None
            and link.column not in plan.path_keys
            and table.bbql
            and column.bbql_field
            and "IN" in column.filter_ops
            and all(existing.column != link.column for existing in plan.link_terms)
        ):
            plan.link_terms.append(link)
    if get_candidates and table.get_key:
        ids = get_candidates.get(table.get_key[0])
        if ids is not None and len(ids) <= MAX_GETS_PER_SCOPE and all(_pathable(v) for v in ids):
            from .strategies.kinds import GetById  # the strategies import this module

            chosen = tuple(sorted(ids, key=repr))
            # GET by id or a listing per scope, whichever costs less (``GetById.beats_listing``)
            if GetById().beats_listing(plan, chosen, listing_filters_ids=table.bbql and table.get_key[0] in q_fields):
                plan.get_ids = chosen
    plan.superset = not exact
    _plan_user_listing(plan, facts)
    _plan_bound_params(plan, facts)
    null_term = _plan_sort(plan, facts, exact)
    _plan_listing_bound(plan, facts)
    _plan_range_stop(plan, facts)
    if q_terms and table.bbql:
        plan.q_filter = bbql.conjunction(fixed_params_term(table, q_fields), *q_terms)
    if null_term is not None and table.bbql:
        plan.nonnull_filter = bbql.conjunction(
            fixed_params_term(table, q_fields | {null_term[0]}), *q_terms, bbql.compare(null_term[1], "!=", None)
        )
    if facts.conjuncts:  # not only local ones: rows answered from a wider cached listing pass unfiltered
        plan.key_filter = [_unqualified(conjunct) for conjunct in facts.conjuncts]
    plan_fields(plan, facts.columns)
    return plan


def _plan_user_listing(plan: ScanPlan, facts: RefFacts) -> None:
    """Note ``column = 'v'`` / ``column IN (...)`` on a ``user_listing`` column.

    The conjuncts of ``facts`` are ones every row of the reference must satisfy, so listing only
    those users' rows loses none (rows of other repositories than the ones named are dropped by
    DuckDB, which re-applies every predicate). Whether the workspace-wide listing is used is
    ``strategies.AuthorListing``'s choice, by cost; it checks the values against the workspace's
    members before it trusts the endpoint (``catalog.model.UserListing``).
    """
    listing = plan.table.user_listing
    if listing is None or plan.get_ids is not None or plan.links:
        return
    for conjunct in facts.conjuncts:
        found = _string_equality(conjunct, listing.columns)
        if found is not None and 0 < len(found[1]) <= listing.max_values:
            from .strategies.modes import UserValues

            plan.user_values = UserValues(*found)
            return


def _plan_bound_params(plan: ScanPlan, facts: RefFacts) -> None:
    """``depth <= n`` on a column with ``bound_param`` sends that parameter (``max_depth=n``).

    The predicate stays local (it was never translated), so the answer is a superset that DuckDB
    narrows; only the tightest bound is sent, never below 1.
    """
    for column in plan.table.columns:
        if column.bound_param is None:
            continue
        bounds = [_upper_bound(conjunct, column.name) for conjunct in facts.conjuncts]
        found = [bound - 1 for bound in bounds if bound is not None]
        if found:
            plan.params[column.bound_param] = str(max(1, min(found)))


def _string_equality(conjunct: exp.Expression, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """(column, values) of ``column = 'v'`` or ``column IN ('v', ...)`` on one of ``columns``."""
    if isinstance(conjunct, exp.EQ):
        sides = [(conjunct.this, [conjunct.expression]), (conjunct.expression, [conjunct.this])]
    elif isinstance(conjunct, exp.In) and not conjunct.args.get("query"):
        sides = [(conjunct.this, list(conjunct.expressions))]
    else:
        return None
    for column, literals in sides:
        if not isinstance(column, exp.Column) or column.name.lower() not in columns:
            continue
        if literals and all(isinstance(value, exp.Literal) and value.is_string for value in literals):
            return column.name.lower(), tuple(sorted({value.name for value in literals}))
    return None


def _pair_fixed_keys_with_links(plan: ScanPlan, facts: RefFacts, links_allowed: set[int]) -> None:
    """Link a literal-fixed key too when the same joined rows give it and another key.

    ``c.repository = 'x' AND c.pull_request_id = p.id AND c.repository = p.repository``: the
    pull request ids must come with *their* repository from the same row of ``p`` (the fetcher
    keeps the pairs agreeing with the literal), not be combined with ``'x'`` whatever repository
    they belong to: that would ask for comments of pull requests ``x`` does not have.
    """
    sources = {link.source_ref for link in plan.links.values()}
    for key_column in plan.path_keys:
        if key_column not in plan.key_values or key_column in plan.links:
            continue
        for link in facts.links:
            if link.column == key_column and link.source_ref in sources and link.source_ref in links_allowed:
                plan.links[key_column] = link
                break


def _unqualified(conjunct: exp.Expression) -> str:
    """The predicate with table qualifiers removed (it names one table's columns only)."""
    copy = conjunct.copy()
    for column in copy.find_all(exp.Column):
        for part in ("table", "db", "catalog"):
            column.set(part, None)
    return copy.sql(dialect="duckdb")


def _pathable(value: Any) -> bool:
    text = str(value)
    return bool(text) and "/" not in text and text not in (".", "..")


def _is_field(table: TableDef, name: str) -> bool:
    """Whether fixed parameter ``name`` filters a field of the objects (pull requests' ``state``,
    which ``q`` disables, so it moves into ``q``) rather than shaping the answer (``max_depth``,
    which stays a parameter)."""
    return any(column.bbql_field == name for column in table.columns)


def fixed_params_term(table: TableDef, q_fields: set[str]) -> bbql.Node | None:
    """``state IN (...)`` for fixed params the q does not filter already (q disables them)."""
    terms: list[bbql.Node | None] = []
    for name, values in table.fixed_params:
        if not _is_field(table, name):
            continue  # a plain parameter (max_depth): sent as it is, never in q
        filtered = any((c := table.column(f)) is not None and c.bbql_field == name for f in q_fields)
        if not filtered:
            terms.append(bbql.member(name, values))
    return bbql.conjunction(*terms)


def _plan_sort(plan: ScanPlan, facts: RefFacts, exact: bool) -> tuple[str, str] | None:
    """Push ORDER BY <column> LIMIT n as sort + limit when the API's order equals SQL's.

    The API sorts nulls last ascending and first descending (PostgreSQL's default); DuckDB
    puts them last in both directions. ASC NULLS LAST and DESC NULLS FIRST match directly.
    DESC NULLS LAST (DuckDB's default) is pushed too: a scope whose first n rows hold nulls is
    fetched again without them (``nonnull_q``), which costs nothing for columns that are never
    null (``created_on``). Returns (column, field) in that case.
    """
    if not (facts.only_table and exact and facts.limit is not None):
        return None
    if plan.get_ids is not None or plan.links:
        return None
    if facts.order_column is None:
        plan.limit = facts.limit  # LIMIT without ORDER BY: any rows, so stop early per scope
        plan.any_rows = True
        return None
    column = plan.table.column(facts.order_column)
    if column is not None and column.listing_order:
        if not facts.order_descending and not facts.order_nulls_first:
            from .strategies.modes import ListingLimit

            plan.limit = facts.limit  # the listing's own order: its first n rows per scope
            plan.listing_limit = ListingLimit(facts.limit)
        return None
    if column is None or not column.sortable or column.bbql_field is None:
        return None
    if not (plan.table.bbql or plan.table.sort_param):
        return None
    descending, nulls_first = facts.order_descending, facts.order_nulls_first
    if nulls_first and not descending:
        return None
    plan.sort = ("-" if descending else "") + column.bbql_field
    plan.limit = facts.limit
    plan.sort_path = column.path
    if descending and not nulls_first:
        plan.nulls_last_fix = True
        return column.name, column.bbql_field
    return None


def _plan_listing_bound(plan: ScanPlan, facts: RefFacts) -> None:
    """``position < n`` / ``<= n`` / ``BETWEEN a AND n`` on a listing-order column: n rows per scope.

    Sound for any query shape: positions are numbered over the unfiltered listing (such tables
    take no server-side filter), so no row beyond the first n of a scope can pass the predicate.
    """
    column = next((c for c in plan.table.columns if c.listing_order), None)
    if column is None or plan.get_ids is not None or plan.any_rows:
        return
    for conjunct in facts.conjuncts:
        bound = _upper_bound(conjunct, column.name)
        if bound is not None and (plan.limit is None or bound < plan.limit):
            from .strategies.modes import ListingLimit

            plan.limit = bound
            plan.listing_limit = ListingLimit(bound)


def _upper_bound(conjunct: exp.Expression, name: str) -> int | None:
    """Rows needed for ``name < k`` (k), ``name <= k`` (k + 1), ``name BETWEEN a AND k``, ``name = k``."""
    def number(node: exp.Expression) -> int | None:
        if isinstance(node, exp.Literal) and not node.is_string:
            try:
                return max(0, int(node.name))
            except ValueError:
                return None
        return None

    def is_column(node: exp.Expression) -> bool:
        return isinstance(node, exp.Column) and node.name.lower() == name

    if isinstance(conjunct, exp.Between) and is_column(conjunct.this):
        high = number(conjunct.args["high"])
        return None if high is None else high + 1
    pairs = {exp.LT: 0, exp.LTE: 1, exp.EQ: 1}
    for kind, extra in pairs.items():
        if isinstance(conjunct, kind) and is_column(conjunct.this):
            value = number(conjunct.expression)
            return None if value is None else value + extra
    flipped = {exp.GT: 0, exp.GTE: 1, exp.EQ: 1}
    for kind, extra in flipped.items():
        if isinstance(conjunct, kind) and is_column(conjunct.expression):
            value = number(conjunct.this)
            return None if value is None else value + extra
    return None


def _plan_range_stop(plan: ScanPlan, facts: RefFacts) -> None:
    """Plan a range early stop for ``column >= constant`` (or ``>``) on an exactly sorted column.

    Only for endpoints without BBQL (with BBQL the bound goes into ``q``), with list-style pages
    (a page is addressed by number), when no other sort is planned. Sound because the reference
    may only keep rows passing the predicate (analysis gives it only such conjuncts) and the API
    orders the column exactly: once a row falls below the bound, so does every row after it.
    """
    table = plan.table
    if table.bbql or not table.sort_param or table.paging != "page" or plan.sort or plan.get_ids is not None:
        return
    if plan.limit is not None or any(c.listing_order for c in table.columns):
        return
    for conjunct in facts.conjuncts:
        bound = _lower_bound_column(conjunct)
        if bound is None:
            continue
        column = table.column(bound)
        if column is None or not column.sortable or column.bbql_field is None:
            continue
        plan.sort = "-" + column.bbql_field
        plan.sort_path = column.path
        from .strategies.modes import RangeStop

        plan.range_stop = RangeStop(column.name, _unqualified(conjunct))
        return


def _lower_bound_column(conjunct: exp.Expression) -> str | None:
    """The column of ``column >= / > constant`` (either way round), else None."""
    if isinstance(conjunct, exp.GTE | exp.GT):
        column, other = conjunct.this, conjunct.expression
    elif isinstance(conjunct, exp.LTE | exp.LT):
        column, other = conjunct.expression, conjunct.this
    else:
        return None
    if not isinstance(column, exp.Column) or other.find(exp.Column) is not None:
        return None
    if other.find(exp.Subquery, exp.Select, exp.AggFunc, exp.Window, exp.Anonymous):
        return None
    return column.name.lower()


def plan_fields(plan: ScanPlan, needed: set[str] | None) -> None:
    """Set ``fields=`` for the columns ``needed`` (None: all, adding non-default fields only if needed).

    Every reference of one table must ask for the same columns, because their rows are merged
    into one local table; the engine calls this again with the union of their needs.
    """
    table = plan.table
    plan.fields = None
    if needed is not None and needed >= set(table.column_names):
        needed = None  # every column: the default representation (plus omitted fields) is shorter
    extra = [c for c in table.columns if not c.default_field and c.path and (needed is None or c.name in needed)]
    if needed is None:
        if extra and plan.get_ids is None and table.paging not in ("single", "raw"):
            plan.fields = ",".join(f"+values.{c.path}" for c in extra)
        return
    wanted = [c for c in table.columns if c.name in needed and c.path is not None]
    if not wanted:
        first = next((c for c in table.columns if c.path is not None), None)
        wanted = [first] if first is not None else []
    keyed = {key.column for key in table.keys} | set(table.primary_key)
    wanted += [c for c in table.columns if c.name in keyed and c.path is not None and c not in wanted]
    paths = sorted({c.path for c in wanted if c.path})
    if plan.user_values is not None and table.user_listing is not None:  # rows say their repository
        paths = sorted({*paths, table.user_listing.repository_path})
    if not paths:
        return
    if table.paging == "raw":
        return  # a file's bytes: no fields to choose
    if plan.get_ids is not None or table.paging == "single":
        plan.fields = ",".join(paths)
    else:
        plan.fields = ",".join([f"values.{p}" for p in paths] + list(ENVELOPE_FIELDS))


def _narrow_enumeration(plan: ScanPlan, conjunct: exp.Expression, fold: Folder | None) -> None:
    """A local-only predicate on one path key, rewritten onto the key's source table, if BBQL takes it."""
    names = {column.name.lower() for column in conjunct.find_all(exp.Column)}
    if len(names) != 1:
        return
    key_name = names.pop()
    key = next((k for k in plan.table.keys if k.column == key_name and k.source_table), None)
    source = registry.get_table(key.source_table) if key is not None and key.source_table else None
    if key is None or source is None or key.source_column is None:
        return
    if conjunct.find(exp.Subquery, exp.Select, exp.AggFunc, exp.Window, exp.Anonymous):
        return
    check = conjunct.copy()
    for column in check.find_all(exp.Column):
        column.set("table", None)
    plan.enumeration_checks.setdefault(key_name, []).append(check.sql(dialect="duckdb"))
    if not source.bbql:
        return
    renamed = conjunct.copy()
    for column in renamed.find_all(exp.Column):
        column.set("this", exp.to_identifier(key.source_column))
        column.set("table", None)
    result = Translator(source, fold).translate(renamed)
    if result is not None and result.bbql and not (result.key_values or result.params):
        plan.enumeration_terms.setdefault(key_name, []).append(result.bbql)


def enumeration_plan(
    table: TableDef, workspace: str | None, column_name: str, *, pushdown: bool,
    terms: list[bbql.Node] | None = None, also: tuple[str, ...] = (),
) -> ScanPlan:
    """A scan listing only ``column_name`` of ``table`` (to learn the keys of child scopes).

    ``terms`` are BBQL terms on ``table`` that narrow the listing (a superset: DuckDB re-checks
    the original predicate on the child rows); ``also`` names columns read besides (a key's
    ``source_where`` column).
    """
    plan = ScanPlan(ref=None, table=table, workspace=workspace, purpose="enumerate")
    wanted = [table.column(name) for name in (column_name, *also)]
    paths = sorted({c.path for c in wanted if c is not None and c.path})
    if pushdown and len(paths) == len(wanted) and table.paging != "single":
        plan.fields = ",".join([*(f"values.{path}" for path in paths), *ENVELOPE_FIELDS])
    if pushdown and terms and table.bbql:
        plan.q_filter = bbql.conjunction(fixed_params_term(table, set()), *terms)
    return plan


def share_scans(plans: list[tuple[int, ScanPlan]], refs: dict[int, TableRef]) -> None:
    """One scan per distinct (table, scope, pushed filter): later references reuse earlier rows.

    A reference whose plan equals an earlier one's but for what a join adds (``link_terms``: a
    narrowing, never needed for correctness) reads the earlier rows (``shared_with``) instead of
    sending requests (a self-join). References of one table with the same scope but different
    filters (the branches of a UNION) become one scan whose ``q`` is the OR of theirs, when no
    sort, limit or join depends on either. DuckDB re-applies every predicate of the query to the
    rows of the table, so a superset is always safe.
    """
    sources = {link.source_ref for _, plan in plans for link in [*plan.links.values(), *plan.link_terms]}
    first: dict[tuple[Any, ...], int] = {}
    merged: dict[tuple[Any, ...], list[tuple[int, ScanPlan]]] = {}
    for ref_id, plan in plans:
        if not plan.table.primary_key or plan.links or not _shareable(plan):
            continue
        signature = _signature(refs[ref_id], plan)
        if signature in first:
            plan.shared_with = first[signature]
            continue
        if plan.link_terms:
            continue
        first[signature] = ref_id
        if ref_id not in sources and plan.get_ids is None:
            merged.setdefault(signature[:-1], []).append((ref_id, plan))
    for group in merged.values():
        if len(group) < 2 or not all(plan.table.bbql for _, plan in group):
            continue
        (keeper, plan), others = group[0], group[1:]
        filters = [p.q_filter for _, p in group]
        plan.q_filter = None if any(f is None for f in filters) else bbql.disjunction(*filters)
        plan.superset = True
        plan.pushed = [" OR ".join(f"({' AND '.join(p.pushed) or 'TRUE'})" for _, p in group)]
        for _, other in others:
            other.shared_with = keeper


def _shareable(plan: ScanPlan) -> bool:
    """Plans whose rows do not depend on order, limit or the rows of another reference."""
    from .strategies.modes import shareable

    return (plan.sort is None and plan.limit is None and not plan.any_rows and plan.nonnull_filter is None
            and shareable(plan))


def _signature(ref: TableRef, plan: ScanPlan) -> tuple[Any, ...]:
    """What a scan sends, except join narrowing; the q text last (``share_scans`` merges on the rest)."""
    return (
        ref.physical, plan.workspace, plan.default_repository,
        tuple(sorted((k, tuple(sorted(v, key=repr))) for k, v in plan.key_values.items())),
        tuple(sorted((k, repr(v)) for k, v in plan.params.items())), plan.get_ids, plan.fields,
        tuple(sorted((k, tuple(bbql.render(t) for t in v)) for k, v in plan.enumeration_terms.items())),
        tuple(sorted((k, tuple(v)) for k, v in plan.enumeration_checks.items())),
        plan.q,
    )
