"""PostgreSQL-style names for unaliased result columns.

DuckDB names ``count(*)`` ``count_star()`` and ``lower(title)`` ``lower(title)``; clients
written for PostgreSQL expect ``count``, ``lower`` and ``?column?``. Before execution each
unaliased, computed projection of the outermost SELECT (the leftmost one of a UNION) gets a
private alias; after execution the private aliases are replaced by the PostgreSQL names.
Plain columns and ``*`` keep DuckDB's names, which already match PostgreSQL's.
"""

from __future__ import annotations

from sqlglot import exp

PRIVATE_PREFIX = "__bbsql_col_"
UNNAMED = "?column?"


def postgres_name(node: exp.Expression) -> str:
    """The name PostgreSQL gives an unaliased select-list expression."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Dot):
        return node.name
    if isinstance(node, exp.Cast | exp.TryCast):
        inner = postgres_name(node.this)
        return inner if inner != UNNAMED else node.to.sql(dialect="postgres").lower()
    if isinstance(node, exp.Window):
        return postgres_name(node.this)
    if isinstance(node, exp.Filter):
        return postgres_name(node.this)
    if isinstance(node, exp.Subquery):
        inner = node.this
        if isinstance(inner, exp.Select) and len(inner.expressions) == 1:
            only = inner.expressions[0]
            return only.alias if only.alias else postgres_name(only)
        return UNNAMED
    if isinstance(node, exp.Case):
        return "case"
    if isinstance(node, exp.Count):
        return "count"
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.GroupConcat):
        return "string_agg"  # sqlglot's name for string_agg; PostgreSQL has no group_concat
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return UNNAMED


def _outermost_select(tree: exp.Expression) -> exp.Select | None:
    node = tree
    while isinstance(node, exp.SetOperation):
        node = node.this
    while isinstance(node, exp.Subquery):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def apply_private_aliases(tree: exp.Expression) -> dict[str, str]:
    """Alias computed projections privately (in place); returns private alias -> PostgreSQL name."""
    if isinstance(tree, exp.Values) and tree.expressions:
        # a bare VALUES list: DuckDB says col0, col1, ...; PostgreSQL column1, column2, ...
        width = len(tree.expressions[0].expressions) if isinstance(tree.expressions[0], exp.Tuple) else 1
        return {f"col{index}": f"column{index + 1}" for index in range(width)}
    select = _outermost_select(tree)
    if select is None:
        return {}
    names: dict[str, str] = {}
    projections = []
    for index, projection in enumerate(select.expressions):
        if isinstance(projection, exp.Alias | exp.Column | exp.Star) or projection.alias:
            projections.append(projection)
            continue
        private = f"{PRIVATE_PREFIX}{index}"
        names[private] = postgres_name(projection)
        projections.append(exp.alias_(projection, private, quoted=True))
    select.set("expressions", projections)
    return names
