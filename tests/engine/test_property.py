"""Property: for random predicates on random filterable columns, pushdown never changes the result.

Values come from the emulator's data (so predicates select something), perturbed: shifted
numbers (sometimes fractional, sometimes written as text) and timestamps (with random UTC offsets), case-changed substrings for LIKE,
NULLs inside IN lists. Predicates combine with AND, OR and NOT. An ORDER BY ... LIMIT is added
sometimes; those results are compared by their sort key only (ties may pick other rows).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from engine_helpers import canonical
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bitbucket_sql.catalog.model import Column
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import KeyNotFoundError
from bitbucket_sql.engine.statements import sql_literal

TABLES = ("pull_requests", "repositories", "pull_request_comments")


@pytest.fixture(scope="module")
def samples(reference: Engine) -> dict[str, dict[str, list[Any]]]:
    """Distinct values of every filterable column of the sampled tables."""
    found: dict[str, dict[str, list[Any]]] = {}
    for name in TABLES:
        table = reference.table(name)
        keys = {key.column for key in table.keys if key.column != "workspace"}
        rows = reference.execute(f"SELECT * FROM {name}").rows
        found[name] = {}
        for index, column in enumerate(table.columns):
            if (column.filter_ops or column.name in keys) and column.type != "JSON":
                distinct = sorted({row[index] for row in rows if row[index] is not None}, key=repr)
                found[name][column.name] = distinct[:12]
    return found


def _value(draw: Any, column: Column, pool: list[Any]) -> Any:
    base = draw(st.sampled_from(pool)) if pool else None
    if column.type == "BIGINT":
        number = (base or 0) + draw(st.integers(-2, 2)) + draw(st.sampled_from([0, 0, 0.5]))
        return str(number) if draw(st.integers(0, 3)) == 0 else number  # untyped parameters arrive as text
    if column.type == "TIMESTAMPTZ":
        stamp = base or datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        shifted = stamp + datetime.timedelta(hours=draw(st.integers(-48, 48)))
        offset = datetime.timezone(datetime.timedelta(hours=draw(st.integers(-5, 5))))
        return shifted.astimezone(offset).isoformat()
    if column.type == "BOOLEAN":
        return draw(st.booleans())
    return base if base is not None else draw(st.text("abcXYZ ", max_size=3))


def _leaf(draw: Any, column: Column, pool: list[Any]) -> str:
    name = column.name
    options = ["=", "!=", "IN", "NOT IN", "IS NULL", "IS NOT NULL"]
    if column.type != "BOOLEAN":
        options += ["<", "<=", ">", ">=", "BETWEEN"]
    if column.type == "VARCHAR":
        options += ["LIKE", "ILIKE", "NOT LIKE"]
    operator = draw(st.sampled_from(options))
    if operator in ("IS NULL", "IS NOT NULL"):
        return f"{name} {operator}"
    if operator in ("IN", "NOT IN"):
        values = [sql_literal(_value(draw, column, pool)) for _ in range(draw(st.integers(1, 3)))]
        if draw(st.booleans()):
            values.append("NULL")
        return f"{name} {operator} ({', '.join(values)})"
    if operator == "BETWEEN":
        low, high = sorted([_value(draw, column, pool), _value(draw, column, pool)], key=str)
        return f"{name} BETWEEN {sql_literal(low)} AND {sql_literal(high)}"
    if operator.endswith("LIKE"):
        text = str(_value(draw, column, pool))
        start = draw(st.integers(0, max(0, len(text) - 1)))
        piece = text[start : start + draw(st.integers(0, 6))]
        if draw(st.booleans()):
            piece = piece.swapcase()
        wildcard = draw(st.sampled_from(["%", "_", ""]))
        return f"{name} {operator} {sql_literal('%' + piece + wildcard + '%')}"
    return f"{name} {operator} {sql_literal(_value(draw, column, pool))}"


@st.composite
def queries(draw: Any, samples: dict[str, dict[str, list[Any]]], engine: Engine) -> tuple[str, bool]:
    name = draw(st.sampled_from(TABLES))
    table = engine.table(name)
    pools = samples[name]
    columns = [table.column(column_name) for column_name in pools]
    leaves = [_leaf(draw, column, pools[column.name]) for column in
              draw(st.lists(st.sampled_from(columns), min_size=1, max_size=3))]
    predicate = leaves[0]
    for leaf in leaves[1:]:
        connector = draw(st.sampled_from(["AND", "AND", "OR"]))
        predicate = f"({predicate}) {connector} {'NOT ' if draw(st.integers(0, 5)) == 0 else ''}({leaf})"
    key = ", ".join(table.primary_key)
    sortable = [c.name for c in table.columns if c.sortable]
    if sortable and draw(st.integers(0, 3)) == 0:
        column = draw(st.sampled_from(sortable))
        direction = draw(st.sampled_from(["", " DESC", " DESC NULLS FIRST"]))
        return f"SELECT {column} FROM {name} WHERE {predicate} ORDER BY {column}{direction} LIMIT 3", True
    return f"SELECT {key} FROM {name} WHERE {predicate}", False


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_random_predicates(data: Any, engine: Engine, reference: Engine, samples: Any) -> None:
    sql, ordered = data.draw(queries(samples, engine))
    expected = reference.execute(sql)
    try:
        actual = engine.execute(sql)
    except KeyNotFoundError:
        # a key the query names that does not exist (pull_request_id = 8 in a repository with 7)
        # is an error naming it; the same query without pushdown finds no row for it
        assert expected.rows == [] or expected.rows == [(0,)], sql
        return
    if ordered:
        assert [row[0] for row in actual.rows] == [row[0] for row in expected.rows], sql
    else:
        assert canonical(actual.rows) == canonical(expected.rows), sql


@st.composite
def join_queries(draw: Any, samples: dict[str, dict[str, list[Any]]], engine: Engine) -> str:
    """Pull requests joined to their comments with random join kinds and predicate placement."""
    kind = draw(st.sampled_from(["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"]))
    on = ["c.repository = p.repository", "c.pull_request_id = p.id"]
    where: list[str] = []
    for alias, name in (("p", "pull_requests"), ("c", "pull_request_comments")):
        table = engine.table(name)
        pools = samples[name]
        for column in draw(st.lists(st.sampled_from(sorted(pools)), max_size=2)):
            leaf = _leaf(draw, table.column(column), pools[column]).replace(f"{column} ", f"{alias}.{column} ", 1)
            (on if draw(st.booleans()) else where).append(leaf)
    if draw(st.booleans()):
        on.append("c.user_uuid = p.author_uuid")
    sql = f"SELECT p.repository, p.id, c.id FROM pull_requests p {kind} pull_request_comments c ON {' AND '.join(on)}"
    return sql + (f" WHERE {' AND '.join(where)}" if where else "")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_random_joins(data: Any, engine: Engine, reference: Engine, samples: Any) -> None:
    sql = data.draw(join_queries(samples, engine))
    expected = reference.execute(sql).rows
    try:
        actual = engine.execute(sql).rows
    except KeyNotFoundError:
        assert expected == [], sql  # a named key that does not exist: an error, where SQL finds nothing
        return
    assert canonical(actual) == canonical(expected), sql
