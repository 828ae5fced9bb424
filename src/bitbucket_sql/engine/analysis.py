"""What each table reference of a query needs: predicates, join keys, columns, order and limit.

The query is qualified with sqlglot against the catalog's schemas (every column gets its table
alias), then each SELECT scope is inspected. A predicate may go to a table's requests only if
rows failing it can never reach the result:

* WHERE conjuncts that mention one table, unless that table is on the nullable side of an
  outer join (``b.x IS NULL`` after ``LEFT JOIN b`` must see the missing rows);
* ON conjuncts of an inner join, of the joined table of a LEFT/SEMI/ANTI join, and of the
  preserved tables of a RIGHT join (the "filterable" sides of that join).

Equalities between two tables (``c.pull_request_id = p.id``) become *links*: the receiving
side needs only rows whose key matches a row already fetched for the other side, so its
requests can be limited to those keys.

Some conjuncts are also *named*: written by the user in the query's inner part (the WHERE and
inner-join ON of the outermost SELECT, of its set-operation branches, CTEs and derived tables),
where a row that fails them can never be part of the answer. A key value only these fix is one
the user claims exists, so a 404 for it is an error naming it (see ``keys``); a key named inside
[NOT] EXISTS / IN subqueries or an outer join's ON clause asks whether rows exist, and its absence
is simply no rows. Everything else stays local; since DuckDB runs the
whole original query over the fetched rows, the analysis only has to be conservative, never
complete. If qualification fails for an exotic query, the query simply runs without pushdown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from .pushdown import split_conjuncts
from .references import REF_META, TableRef

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Link:
    """``column`` of this reference equals ``source_column`` of reference ``source_ref``."""

    column: str
    source_ref: int
    source_column: str
    #: the equality is in the query's inner part (WHERE or an inner join's ON of a named scope)
    inner: bool = False

#: ``RefFacts.named`` values: a literal the user wrote for this reference, or one copied from an
#: inner-joined reference's own named key (``pc.repository = p.repository AND p.repository = 'x'``)
NAMED, JOINED = "named", "joined"
#: scopes whose WHERE and inner joins are the query's inner part (not [NOT] EXISTS / IN / scalar subqueries)
_INNER_SCOPES = ("ROOT", "SET_OPERATION", "CTE", "DERIVED_TABLE")


@dataclass
class RefFacts:
    """Everything the planner may use for one table reference."""

    ref_id: int
    alias: str = ""
    conjuncts: list[exp.Expression] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    columns: set[str] | None = None  # None: every column
    order_column: str | None = None
    order_descending: bool = False
    order_nulls_first: bool = False
    limit: int | None = None  # rows needed for ORDER BY ... LIMIT (offset included)
    only_table: bool = False  # the whole query is one SELECT over this reference alone
    where_conjuncts: list[exp.Expression] = field(default_factory=list)  # all of them, when only_table
    analyzed: bool = False
    #: a WHERE or ON condition mentions this reference's ``repository`` column (which overrides
    #: the connection's default Repository)
    mentions_repository: bool = False
    #: id(conjunct) -> NAMED or JOINED for conjuncts of the query's inner part (see module doc)
    named: dict[int, str] = field(default_factory=dict)


def analyze(
    tree: exp.Expression, refs: dict[int, TableRef], schema: dict, default_db: str, *, max_rows: int | None = None
) -> dict[int, RefFacts]:
    """Facts per catalog reference id; references it cannot analyze get empty facts.

    ``max_rows`` is the connection's MaxRows (None: unlimited). It caps the result the way an
    outer LIMIT would, so for a single-table SELECT it becomes (or tightens) the query's limit.
    """
    facts = {ref_id: RefFacts(ref_id) for ref_id, ref in refs.items() if ref.table is not None}
    try:
        qualified = qualify(
            tree.copy(),
            schema=schema,
            db=default_db,
            dialect="duckdb",
            validate_qualify_columns=False,
            quote_identifiers=False,
            identify=False,
            expand_stars=True,
        )
    except Exception as error:  # noqa: BLE001 - sqlglot raises many types; pushdown is optional
        log.debug("no pushdown: qualification failed: %s", error)
        return facts
    qualified = _merged(qualified)
    try:
        scopes = traverse_scope(qualified)
    except Exception as error:  # noqa: BLE001 - as above
        log.debug("no pushdown: scopes failed: %s", error)
        return facts
    try:
        pairs: list[tuple[int, int]] = []
        for scope in scopes:
            _analyze_scope(scope, facts, refs, pairs, max_rows)
        _spread_repository_mentions(facts, pairs)
        _propagate_literals(facts, refs)
        _needed_columns(qualified, facts, refs)
    except Exception as error:  # noqa: BLE001 - never let an analysis gap break a query
        log.warning("no pushdown: query analysis failed: %s", error)
        return {ref_id: RefFacts(ref_id) for ref_id in facts}
    for item in facts.values():
        item.analyzed = True
    return facts


def _merged(qualified: exp.Expression) -> exp.Expression:
    """The query with simple CTEs and derived tables merged into the SELECT that reads them.

    Why: links and filters are found per SELECT scope, so ``c JOIN (SELECT * FROM p WHERE ...) o
    ON c.k = o.k`` could not pass ``p``'s keys to ``c`` through the derived table (every scope of
    ``c`` was listed). sqlglot's ``merge_subqueries`` makes it ``c JOIN p ON ... AND <p's filters>``,
    an equivalent query, only where that is exact (no aggregate, DISTINCT, LIMIT or window in the
    merged part). Only this analysis copy changes: DuckDB still runs the user's SQL.
    """
    from sqlglot.optimizer.merge_subqueries import merge_subqueries

    try:
        return merge_subqueries(qualified.copy())
    except Exception as error:  # noqa: BLE001 - an exotic query keeps its scopes as written
        log.debug("subqueries not merged: %s", error)
        return qualified


def _table_sources(scope: Scope, facts: dict[int, RefFacts]) -> dict[str, int]:
    sources: dict[str, int] = {}
    for alias, source in scope.sources.items():
        if isinstance(source, exp.Table) and source.meta.get(REF_META) in facts:
            sources[alias] = source.meta[REF_META]
            facts[source.meta[REF_META]].alias = alias
    return sources


def _analyze_scope(
    scope: Scope, facts: dict[int, RefFacts], refs: dict[int, TableRef], pairs: list[tuple[int, int]],
    max_rows: int | None = None,
) -> None:
    select = scope.expression
    if not isinstance(select, exp.Select):
        return
    sources = _table_sources(scope, facts)
    if not sources:
        return
    inner_scope = _is_inner_scope(scope)
    from_clause = select.args.get("from_") or select.args.get("from")
    order: list[str] = []
    if from_clause is not None and isinstance(from_clause.this, exp.Table):
        order.append(from_clause.this.alias_or_name)
    nullable: set[str] = set()
    candidates: list[tuple[exp.Expression, set[str], bool]] = []
    for join in select.args.get("joins") or []:
        joined = join.this.alias_or_name if isinstance(join.this, exp.Table) else None
        side = (join.args.get("side") or "").upper()
        kind = (join.args.get("kind") or "").upper()
        earlier = set(order)
        inner = False
        if kind in ("SEMI", "ANTI") or side == "LEFT":
            filterable = {joined} if joined else set()
            if side == "LEFT" and joined:
                nullable.add(joined)
        elif side == "RIGHT":
            filterable = set(earlier)
            nullable |= earlier
        elif side == "FULL" or join.args.get("method"):
            filterable = set()
            nullable |= earlier | ({joined} if joined else set())
        else:
            filterable = earlier | ({joined} if joined else set())
            inner = inner_scope
        if join.args.get("using") or kind == "NATURAL" or kind in ("ASOF", "POSITIONAL"):
            filterable = set()
        for conjunct in split_conjuncts(join.args.get("on")):
            candidates.append((conjunct, filterable, inner))
        if joined:
            order.append(joined)
    where = select.args.get("where")
    _note_repository_conditions(select, sources, facts, pairs)
    if where is not None:
        preserved = set(sources) - nullable
        for conjunct in split_conjuncts(where.this):
            candidates.append((conjunct, preserved | {"__where__"}, inner_scope))
    for conjunct, filterable, inner in candidates:
        _classify(conjunct, filterable, sources, facts, inner=inner)
    if where is not None and scope.parent is not None and not inner_scope:
        _link_correlations(scope, where.this, set(sources) - nullable, sources, facts)
    if len(scope.sources) == 1 and len(sources) == 1 and not select.args.get("joins"):
        _order_limit(scope, select, facts[next(iter(sources.values()))], max_rows)


def _is_inner_scope(scope: Scope) -> bool:
    """Whether ``scope`` and every scope around it are the query's inner part (see module doc)."""
    current: Scope | None = scope
    while current is not None:
        if current.scope_type.name not in _INNER_SCOPES:
            return False
        current = current.parent
    return True


def _note_repository_conditions(
    select: exp.Select, sources: dict[str, int], facts: dict[int, RefFacts], pairs: list[tuple[int, int]]
) -> None:
    """Mark the references whose ``repository`` column a WHERE or ON condition names.

    ``a.repository = b.repository`` only ties the two references together (``pairs``): they
    follow the connection's default Repository together unless one of them is filtered.
    """
    where = select.args.get("where")
    conditions = [where.this] if where is not None else []
    for join in select.args.get("joins") or []:
        if join.args.get("on") is not None:
            conditions.append(join.args["on"])
        using = join.args.get("using") or []
        if any(getattr(name, "name", "").lower() == "repository" for name in using):
            ids = list(sources.values())
            pairs.extend(zip(ids, ids[1:], strict=False))
    for condition in conditions:
        for conjunct in split_conjuncts(condition):
            left, right = conjunct.args.get("this"), conjunct.args.get("expression")
            if (
                isinstance(conjunct, exp.EQ)
                and isinstance(left, exp.Column)
                and isinstance(right, exp.Column)
                and left.name.lower() == right.name.lower() == "repository"
                and left.table in sources
                and right.table in sources
            ):
                pairs.append((sources[left.table], sources[right.table]))
                continue
            for column in conjunct.find_all(exp.Column):
                if column.name.lower() == "repository" and column.table in sources:
                    facts[sources[column.table]].mentions_repository = True


def _spread_repository_mentions(facts: dict[int, RefFacts], pairs: list[tuple[int, int]]) -> None:
    """References tied by ``repository`` equalities share the mark (a filtered one frees the others)."""
    changed = True
    while changed:
        changed = False
        for a, b in pairs:
            if a in facts and b in facts and facts[a].mentions_repository != facts[b].mentions_repository:
                facts[a].mentions_repository = facts[b].mentions_repository = True
                changed = True


def _propagate_literals(facts: dict[int, RefFacts], refs: dict[int, TableRef]) -> None:
    """``b.x = a.y`` and ``a.y = 'v'`` (or ``IN``) give ``b.x = 'v'`` to b as well.

    Sound because a link only exists where every result row has ``b.x = a.y`` (not NULL), and
    ``a``'s conjuncts hold for every ``a`` row that reaches the result; so b's rows that fail the
    copy can never reach it. It lets ``pc.repository = p.repository AND pc.repository = 'x'`` read
    p from repository x alone instead of every repository.

    The copy is JOINED (a key the user named, see module doc) only when it copies a *path key*
    the user named for ``a`` over an inner equality: ``r.slug = 'nope'`` is a filter on
    repositories (no row matches), so ``p.repository = 'nope'`` copied from it is no claim.
    """
    for _ in range(2):  # a chain of two links is as far as queries usually go
        for item in facts.values():
            known = {conjunct.sql() for conjunct in item.conjuncts}
            for link in item.links:
                source = facts.get(link.source_ref)
                if source is None or source is item or not item.alias:
                    continue
                source_table = refs[source.ref_id].table if source.ref_id in refs else None
                source_key = source_table is not None and any(
                    key.column == link.source_column for key in source_table.keys)
                for conjunct in list(source.conjuncts):
                    copy = _literal_on(conjunct, source.alias, link.source_column)
                    if copy is None:
                        continue
                    copy.set("this", exp.column(link.column, table=item.alias))
                    if copy.sql() not in known:
                        known.add(copy.sql())
                        item.conjuncts.append(copy)
                        if link.inner and source_key and source.named.get(id(conjunct)) in (NAMED, JOINED):
                            item.named[id(copy)] = JOINED


def _literal_on(conjunct: exp.Expression, alias: str, column: str) -> exp.Expression | None:
    """A copy of ``alias.column = literal`` / ``alias.column IN (literals)`` with the column first, else None."""
    def is_target(node: exp.Expression | None) -> bool:
        return isinstance(node, exp.Column) and node.table == alias and node.name.lower() == column

    if isinstance(conjunct, exp.EQ):
        left, right = conjunct.this, conjunct.expression
        if is_target(left) and isinstance(right, exp.Literal):
            return conjunct.copy()
        if is_target(right) and isinstance(left, exp.Literal):
            return exp.EQ(this=right.copy(), expression=left.copy())
    if (
        isinstance(conjunct, exp.In)
        and is_target(conjunct.this)
        and not conjunct.args.get("query")
        and conjunct.expressions
        and all(isinstance(value, exp.Literal) for value in conjunct.expressions)
    ):
        return conjunct.copy()
    return None


def _classify(
    conjunct: exp.Expression, filterable: set[str], sources: dict[str, int], facts: dict[int, RefFacts], *,
    inner: bool = False,
) -> None:
    """Give ``conjunct`` to the one reference it filters, or make it a link between two.

    ``inner``: it is in the query's inner part, so what it names is what the user claims exists.
    """
    if isinstance(conjunct, exp.In) and conjunct.args.get("query") is not None:
        _classify_in_subquery(conjunct, filterable, sources, facts)
        return
    if conjunct.find(exp.Subquery, exp.Select, exp.AggFunc, exp.Window, exp.Placeholder, exp.Parameter):
        return
    columns = list(conjunct.find_all(exp.Column))
    if not columns or any(not column.table for column in columns):
        return
    aliases = {column.table for column in columns}
    in_where = "__where__" in filterable
    if len(aliases) == 1:
        alias = aliases.pop()
        if alias in sources and alias in filterable:
            facts[sources[alias]].conjuncts.append(conjunct)
            if inner:
                facts[sources[alias]].named[id(conjunct)] = NAMED
        return
    if (
        isinstance(conjunct, exp.EQ)
        and isinstance(conjunct.this, exp.Column)
        and isinstance(conjunct.expression, exp.Column)
        and len(aliases) == 2
    ):
        left, right = conjunct.this, conjunct.expression
        for receiver, giver in ((left, right), (right, left)):
            if receiver.table in sources and giver.table in sources and (in_where or receiver.table in filterable):
                facts[sources[receiver.table]].links.append(
                    Link(receiver.name.lower(), sources[giver.table], giver.name.lower(), inner=inner)
                )


def _link_correlations(
    scope: Scope, where: exp.Expression, preserved: set[str], sources: dict[str, int], facts: dict[int, RefFacts]
) -> None:
    """``c.k = p.k`` in the WHERE of a subquery correlated to an outer ``p`` links ``c.k`` to ``p.k``.

    Whatever the subquery is ([NOT] EXISTS, IN, a scalar in the SELECT list, under OR), it is
    evaluated for one outer row at a time, and only ``c`` rows whose ``k`` equals that row's ``k``
    can make it true or count: ``c`` rows with keys of no fetched ``p`` row (passing ``p``'s own
    filters) never change the answer, so ``c``'s requests can be limited to those keys. Outer
    references are those of the enclosing SELECT scopes, unless an inner alias shadows them.
    """
    outer: dict[str, int] = {}
    parent = scope.parent
    while parent is not None:
        for alias, source in parent.sources.items():
            if (alias not in sources and alias not in outer and isinstance(source, exp.Table)
                    and source.meta.get(REF_META) in facts):
                outer[alias] = source.meta[REF_META]
        parent = parent.parent
    if not outer:
        return
    for conjunct in split_conjuncts(where):
        if not (isinstance(conjunct, exp.EQ) and isinstance(conjunct.this, exp.Column)
                and isinstance(conjunct.expression, exp.Column)):
            continue
        for receiver, giver in ((conjunct.this, conjunct.expression), (conjunct.expression, conjunct.this)):
            if receiver.table in preserved and receiver.table in sources and giver.table in outer:
                facts[sources[receiver.table]].links.append(
                    Link(receiver.name.lower(), outer[giver.table], giver.name.lower()))


def _classify_in_subquery(
    conjunct: exp.In, filterable: set[str], sources: dict[str, int], facts: dict[int, RefFacts]
) -> None:
    """``a.col IN (SELECT b.x FROM b WHERE ...)`` links ``a.col`` to ``b.x``, as ``JOIN b ON a.col = b.x`` would.

    Every row of the result has an ``a.col`` that is the ``x`` of some row of ``b`` passing the
    subquery's filters on ``b`` (which its own scope gives to ``b``), so ``a``'s requests can be
    limited to those keys: the keys of ``b``'s passing rows are a superset of what the subquery
    returns, whatever its GROUP BY, HAVING or LIMIT. ``(a.c1, a.c2) IN (SELECT b.x, b.y ...)``
    links each pair. Only an uncorrelated subquery selecting columns of the table in its FROM
    qualifies (a correlated one would make ``b`` wait for ``a``).
    """
    receivers = conjunct.this.expressions if isinstance(conjunct.this, exp.Tuple) else [conjunct.this]
    if not all(isinstance(r, exp.Column) and r.table in sources for r in receivers):
        return
    if not all(r.table in filterable for r in receivers) and "__where__" not in filterable:
        return
    query = conjunct.args["query"]
    select = query.this if isinstance(query, exp.Subquery) else query
    if not isinstance(select, exp.Select) or len(select.expressions) != len(receivers):
        return
    from_clause = select.args.get("from_") or select.args.get("from")
    table = from_clause.this if from_clause is not None else None
    if not isinstance(table, exp.Table) or table.meta.get(REF_META) not in facts:
        return
    givers = [p.this if isinstance(p, exp.Alias) else p for p in select.expressions]
    if not all(isinstance(g, exp.Column) and g.table == table.alias_or_name for g in givers):
        return
    own_aliases = {node.alias_or_name for node in select.find_all(exp.Table)}
    if any(column.table not in own_aliases for column in select.find_all(exp.Column)):
        return  # correlated (or unqualified): its correlation is linked by _link_correlations
    for receiver, giver in zip(receivers, givers, strict=True):
        facts[sources[receiver.table]].links.append(
            Link(receiver.name.lower(), table.meta[REF_META], giver.name.lower()))


def _order_limit(scope: Scope, select: exp.Select, facts: RefFacts, max_rows: int | None = None) -> None:
    """ORDER BY one column + LIMIT on a single-table SELECT that is the whole query.

    MaxRows counts as a LIMIT here: the result is the query's first ``max_rows`` rows, and a
    single-table SELECT without grouping, DISTINCT, aggregates or windows (checked below) needs
    no row beyond them (plus OFFSET) to compute those.
    """
    if select.parent is not None:
        return  # a CTE, subquery or UNION branch: other parts of the query may need more rows
    if select.args.get("group") or select.args.get("having") or select.args.get("distinct"):
        return
    if select.args.get("qualify") or any(e.find(exp.AggFunc, exp.Window) for e in select.expressions):
        return
    facts.only_table = True
    where = select.args.get("where")
    facts.where_conjuncts = split_conjuncts(where.this) if where is not None else []
    order = select.args.get("order")
    limit = select.args.get("limit")
    if (limit is None and max_rows is None) or (order is not None and len(order.expressions) != 1):
        return
    if order is None:
        facts.limit = _limit_value(select, max_rows)  # any n rows will do: an early stop per scope
        return
    ordered = order.expressions[0]
    target = ordered.this
    if isinstance(target, exp.Column) and not target.table:
        aliased = {p.alias_or_name: p.unalias() for p in select.expressions}
        target = aliased.get(target.name, target)
    if not isinstance(target, exp.Column) or target.table != facts.alias:
        return
    needed = _limit_value(select, max_rows)
    if needed is None:
        return
    facts.limit = needed
    facts.order_column = target.name.lower()
    facts.order_descending = bool(ordered.args.get("desc"))
    facts.order_nulls_first = bool(ordered.args.get("nulls_first"))


def _limit_value(select: exp.Select, max_rows: int | None = None) -> int | None:
    """LIMIT + OFFSET as one number of rows, when both are plain non-negative integers.

    ``max_rows`` (MaxRows) caps the count like an outer LIMIT; without a LIMIT it is the count.
    """
    limit = select.args.get("limit")
    offset_node = select.args.get("offset")
    try:
        count = int(limit.expression.name) if limit is not None and isinstance(limit.expression, exp.Literal) else None
        offset = int(offset_node.expression.name) if offset_node is not None else 0
    except (AttributeError, ValueError):
        return None
    if limit is not None and count is None:
        return None  # a LIMIT that is not a plain number: unknown, even under MaxRows
    if max_rows is not None:
        count = max_rows if count is None else min(count, max_rows)
    if count is None or count < 0 or offset < 0:
        return None
    return count + offset


def _needed_columns(qualified: exp.Expression, facts: dict[int, RefFacts], refs: dict[int, TableRef]) -> None:
    """The columns each reference must fetch (None: every column), failing safe.

    Only a reference the analysis resolves to a named column of a catalog table narrows
    ``fields=``. Anything else means "every column" for the references it may touch: a whole-row
    reference (``SELECT p``, ``to_json(p)``, ``p.*`` anywhere), ``COLUMNS(...)`` (its pattern or
    lambda picks columns by name at run time), and any column the analysis cannot place.
    """
    by_alias: dict[str, list[int]] = {}
    for ref_id, item in facts.items():
        by_alias.setdefault(item.alias, []).append(ref_id)
        item.columns = set()

    def every_column(alias: str | None) -> None:
        targets = by_alias.get(alias, []) if alias is not None and alias in by_alias else list(facts)
        for ref_id in targets:
            facts[ref_id].columns = None

    for star in qualified.find_all(exp.Star):
        if isinstance(star.parent, exp.Column) and star.parent.table:
            every_column(star.parent.table)
        elif not isinstance(star.parent, exp.Count):
            every_column(None)
    for _ in qualified.find_all(exp.Columns):
        every_column(None)  # COLUMNS('regex') / COLUMNS(lambda): names chosen by DuckDB
    for row in qualified.find_all(exp.TableColumn):
        every_column(row.name if row.name in by_alias else None)  # SELECT p, to_json(p)
    output_names = {alias.alias for alias in qualified.find_all(exp.Alias) if alias.alias}
    for column in qualified.find_all(exp.Column):
        name = column.name.lower()
        if isinstance(column.this, exp.Star):
            continue  # p.*: handled above
        if not column.table:
            if column.name in output_names or name in output_names:
                continue  # ORDER BY n, where n names a SELECT output
            every_column(column.name if column.name in by_alias else None)  # unplaced: fail safe
            continue
        if column.table not in by_alias:
            continue  # a CTE's or subquery's column: its own references were counted inside it
        for ref_id in by_alias[column.table]:
            item = facts[ref_id]
            table = refs[ref_id].table
            if table is None or table.column(name) is None:
                every_column(column.table)  # not a column of that table (a row or struct): all
            elif item.columns is not None:
                item.columns.add(name)
    for item in facts.values():
        if not item.alias:
            item.columns = None  # never seen in a scope: be safe
