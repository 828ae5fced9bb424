"""Scan plans: for each table reference, the requests that return a superset of its rows.

A :class:`ScanPlan` is pure data derived from the catalog and the query's facts; no request is
made here. Its parts, in the order the API sees them:

* **scopes** (the URL): path keys fixed by literals (``repository IN ('a', 'b')``), by rows of
  another reference already fetched (join links), or enumerated from the key's source table;
* **GET by id** when the query fixes ``get_key`` to a few values (``id = 5``);
* **q** (BBQL) from every translatable conjunct, **plain parameters** for ``param`` columns;
* **sort + limit** for ``ORDER BY <sortable column> LIMIT n`` when the scan is exact;
* **fields** listing only the columns the query uses (plus ``+values.x`` for fields the list
  leaves out, when needed).

With ``pushdown=False`` every plan fetches whole scopes with no filter, sort, limit or fields;
results must be identical (the tests compare both).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.model import TableDef

from .analysis import Link, RefFacts
from .pushdown import Folder, Translator, bbql_literal
from .references import TableRef

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
    q: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    sort: str | None = None
    limit: int | None = None
    fields: str | None = None
    pushed: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    superset: bool = False
    #: key column -> BBQL terms on its source table that narrow the parents enumerated
    #: (``repository LIKE 'api%'`` lists only repositories with ``slug ~ "api"``)
    enumeration_terms: dict[str, list[str]] = field(default_factory=dict)
    #: joins on filterable non-key columns: ``column IN (values fetched for the other side)``
    #: is added to q at fetch time (and no request is made when the other side has no rows)
    link_terms: list[Link] = field(default_factory=list)
    #: key column -> SQL predicates on a column named like the key, applied to enumerated values
    enumeration_checks: dict[str, list[str]] = field(default_factory=dict)
    #: DESC NULLS LAST (DuckDB) over the API's DESC NULLS FIRST: when a scope's first ``limit``
    #: rows contain nulls, the non-null top rows are fetched again with this q (or, without
    #: BBQL, the whole scope); ``sort_path`` tells null rows apart
    nonnull_q: str | None = None
    nulls_last_fix: bool = False
    sort_path: str | None = None
    purpose: str = "rows"  # "rows" or "enumerate <key>"

    @property
    def label(self) -> str:
        """``workspace.table`` (or the table name for global tables), for messages."""
        return f"{self.workspace}.{self.table.name}" if self.workspace else self.table.name

    @property
    def pagelen(self) -> int:
        if self.limit is not None:
            return max(1, min(self.table.max_pagelen, max(self.limit, 10)))
        return self.table.max_pagelen

    @property
    def path_keys(self) -> list[str]:
        """Key columns other than the workspace, outermost first."""
        return [key.column for key in self.table.keys if key.placeholder != "workspace" and key.column != "workspace"]

    def request_params(self) -> dict[str, Any]:
        """Query parameters of every request of this scan (except pagelen)."""
        params: dict[str, Any] = {}
        if self.get_ids is None and self.q is None:
            for name, values in self.table.fixed_params:
                params[name] = values if len(values) > 1 else values[0]
        if self.get_ids is None:
            params.update(self.params)
        if self.q is not None and self.get_ids is None:
            params["q"] = self.q
        if self.sort is not None and self.get_ids is None:
            params[self.table.sort_param or "sort"] = self.sort
        if self.fields is not None:
            params["fields"] = self.fields
        return params


def plan_scan(
    ref: TableRef, facts: RefFacts | None, *, pushdown: bool, links_allowed: set[int], fold: Folder | None = None
) -> ScanPlan:
    """The scan plan of one catalog reference.

    ``links_allowed`` holds the reference ids already planned to be fetched earlier; only links
    from them may fix this reference's keys (that keeps the fetch order acyclic).
    """
    table = ref.table
    assert table is not None
    plan = ScanPlan(ref=ref, table=table, workspace=ref.workspace)
    if not pushdown or facts is None:
        if facts is not None:
            plan.local = [c.sql(dialect="duckdb") for c in facts.conjuncts]
        plan_fields(plan, None)  # completeness only: fields the list leaves out by default
        return plan
    translator = Translator(table, fold)
    exact = True
    q_terms: list[str] = []
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
    for key_column in plan.path_keys:
        if key_column in plan.key_values:
            continue
        for link in facts.links:
            if link.column == key_column and link.source_ref in links_allowed:
                plan.links[key_column] = link
                break
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
            plan.get_ids = tuple(sorted(ids, key=repr))
    plan.superset = not exact
    null_term = _plan_sort(plan, facts, exact)
    if q_terms and table.bbql:
        fixed = fixed_params_term(table, q_fields)
        plan.q = " AND ".join(([fixed] if fixed else []) + q_terms)
    if null_term is not None and table.bbql:
        fixed = fixed_params_term(table, q_fields | {null_term[0]})
        plan.nonnull_q = " AND ".join(([fixed] if fixed else []) + q_terms + [f"{null_term[1]} != null"])
    plan_fields(plan, facts.columns)
    return plan


def _pathable(value: Any) -> bool:
    text = str(value)
    return bool(text) and "/" not in text and text not in (".", "..")


def fixed_params_term(table: TableDef, q_fields: set[str]) -> str | None:
    """``state IN (...)`` for fixed params the q does not filter already (q disables them)."""
    terms = []
    for name, values in table.fixed_params:
        filtered = any((c := table.column(f)) is not None and c.bbql_field == name for f in q_fields)
        if not filtered:
            terms.append(f"{name} IN ({', '.join(bbql_literal(v) for v in values)})")
    return " AND ".join(terms) if terms else None


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
        return None
    column = plan.table.column(facts.order_column)
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
        if extra and plan.get_ids is None and table.paging != "single":
            plan.fields = ",".join(f"+values.{c.path}" for c in extra)
        return
    wanted = [c for c in table.columns if c.name in needed and c.path is not None]
    if not wanted:
        first = next((c for c in table.columns if c.path is not None), None)
        wanted = [first] if first is not None else []
    keyed = {key.column for key in table.keys} | set(table.primary_key)
    wanted += [c for c in table.columns if c.name in keyed and c.path is not None and c not in wanted]
    paths = sorted({c.path for c in wanted if c.path})
    if not paths:
        return
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
    table: TableDef, workspace: str | None, column_name: str, *, pushdown: bool, terms: list[str] | None = None
) -> ScanPlan:
    """A scan listing only ``column_name`` of ``table`` (to learn the keys of child scopes).

    ``terms`` are BBQL terms on ``table`` that narrow the listing (a superset: DuckDB re-checks
    the original predicate on the child rows).
    """
    plan = ScanPlan(ref=None, table=table, workspace=workspace, purpose="enumerate")
    column = table.column(column_name)
    if pushdown and column is not None and column.path and table.paging != "single":
        plan.fields = ",".join([f"values.{column.path}", *ENVELOPE_FIELDS])
    if pushdown and terms and table.bbql:
        fixed = fixed_params_term(table, set())
        plan.q = " AND ".join(([fixed] if fixed else []) + list(terms))
    return plan
