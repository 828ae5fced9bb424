"""The BBQL syntax tree and its one renderer: precedence, quoting, numbers, timestamps, NOT.

The round-trip tests read the rendered text back with the emulator's BBQL parser (an
independent implementation of the documented grammar) and check that it means what the tree
means, for tricky strings and for AND/OR nesting in every shape.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitbucket_sql.emulator import bbql as emulator_bbql
from bitbucket_sql.engine import bbql
from bitbucket_sql.engine.bbql import (
    And,
    Comparison,
    Not,
    Or,
    compare,
    conjunction,
    disjunction,
    member,
    render,
)

STATE_OPEN = compare("state", "=", "OPEN")
AT_LEAST_2 = compare("comment_count", ">=", 2)
AT_MOST_3 = compare("comment_count", "<=", 3)


def test_or_of_and_is_parenthesised() -> None:
    tree = disjunction(STATE_OPEN, conjunction(AT_LEAST_2, AT_MOST_3))
    assert tree is not None
    assert render(tree) == 'state = "OPEN" OR (comment_count >= 2 AND comment_count <= 3)'


def test_and_of_or_is_parenthesised() -> None:
    tree = conjunction(disjunction(STATE_OPEN, AT_LEAST_2), AT_MOST_3)
    assert tree is not None
    assert render(tree) == '(state = "OPEN" OR comment_count >= 2) AND comment_count <= 3'


def test_nested_same_operator_is_flattened_and_none_skipped() -> None:
    tree = conjunction(None, conjunction(STATE_OPEN, AT_LEAST_2), AT_MOST_3, None)
    assert isinstance(tree, And) and len(tree.operands) == 3
    assert conjunction(None, None) is None
    assert disjunction(STATE_OPEN, compare("state", "=", "OPEN")) == STATE_OPEN  # a repeat is said once
    assert render(disjunction(compare("x", "=", True), compare("x", "=", 1))) == "x = true OR x = 1"  # type: ignore[arg-type]
    assert disjunction(STATE_OPEN) == STATE_OPEN
    # hand-built nesting (not flattened) is parenthesised too: the renderer never relies on precedence
    assert render(And((STATE_OPEN, And((AT_LEAST_2, AT_MOST_3))))) == (
        'state = "OPEN" AND (comment_count >= 2 AND comment_count <= 3)'
    )


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ('x" OR title ~ "', '"x\\" OR title ~ \\""'),
        ("tab\tnew\nline  ", '"tab\tnew\nline  "'),
        ("emoji 🎉 İstanbul ß ς", '"emoji 🎉 İstanbul ß ς"'),
        ("", '""'),
    ],
)
def test_strings_are_quoted_and_escaped(text: str, rendered: str) -> None:
    assert bbql.render_literal(text) == rendered


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (Decimal("1E-5"), "0.00001"),
        (1e-05, "0.00001"),
        (Decimal("-0.000001"), "-0.000001"),
        (-2.5, "-2.5"),
        (1e22, "10000000000000000000000"),
        (Decimal("1E+30"), "1000000000000000000000000000000"),
        (2**70 + 1, "1180591620717411303425"),
        (-(2**64), "-18446744073709551616"),
        (Decimal("12345678901234567890.5"), "12345678901234567890.5"),
        (0.1, "0.1"),
        (Decimal("2.50"), "2.5"),
        (Decimal("-0"), "0"),
        (7, "7"),
    ],
)
def test_numbers_render_in_plain_notation(value: Any, rendered: str) -> None:
    assert bbql.render_literal(value) == rendered
    assert "e" not in rendered.lower()


def test_other_literals() -> None:
    assert bbql.render_literal(None) == "null"
    assert bbql.render_literal(True) == "true" and bbql.render_literal(False) == "false"
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    assert bbql.render_literal(datetime.datetime(2026, 1, 1, 2, 0, tzinfo=plus_two)) == "2026-01-01T00:00:00+00:00"
    assert bbql.render_literal(datetime.datetime(2026, 1, 1, 2, 0)) == "2026-01-01T02:00:00+00:00"  # naive is UTC
    assert bbql.render_literal(datetime.date(2026, 3, 4)) == "2026-03-04"
    assert render(member("state", ["A", "B"], negated=True)) == 'state NOT IN ("A", "B")'
    assert render(compare("merge_commit.hash", "!=", None)) == "merge_commit.hash != null"


@pytest.mark.parametrize(
    "build",
    [
        lambda: bbql.Literal(float("nan")),
        lambda: bbql.Literal(float("inf")),
        lambda: bbql.Literal(Decimal("NaN")),
        lambda: bbql.Literal(object()),  # type: ignore[arg-type]
        lambda: compare("title) OR (x", "=", "a"),  # field names are dotted identifiers only
        lambda: compare("title", "LIKE", "a"),
        lambda: compare("title", "<", None),
        lambda: Comparison("state", "IN", ()),
        lambda: Comparison("state", "=", (bbql.Literal(1), bbql.Literal(2))),
    ],
)
def test_values_without_bbql_form_are_refused_when_built(build: Any) -> None:
    with pytest.raises(bbql.BBQLValueError):
        build()


def test_not_is_rendered_with_documented_operators_only() -> None:
    assert render(Not(STATE_OPEN)) == 'state != "OPEN"'
    assert render(Not(compare("title", "~", "x"))) == 'title !~ "x"'
    assert render(Not(member("state", ["A"]))) == 'state NOT IN ("A")'
    assert render(Not(compare("comment_count", ">", 3))) == "comment_count <= 3 OR comment_count = null"
    tree = Not(disjunction(STATE_OPEN, conjunction(AT_LEAST_2, AT_MOST_3)))  # type: ignore[arg-type]
    assert render(tree) == 'state != "OPEN" AND (comment_count < 2 OR comment_count = null OR comment_count > 3)'
    assert render(Not(Not(STATE_OPEN))) == 'state = "OPEN"'
    assert "NOT (" not in render(tree)


# --- round trip through the emulator's parser --------------------------------------------------

SCHEMA = {"state": "string", "title": "string", "comment_count": "number", "merge_commit": {"hash": "string"}}

TRICKY = ["", " ", 'a"b', "a\\b", "\\", '\\"', "tab\there", "new\nline", "trailing  ", "%_", "İstanbul", "ς", "ß",
          "🎉", "OPEN", "x AND y", "a OR b", ")", "("]

OBJECTS: list[dict[str, Any]] = [
    {"state": state, "title": title, "comment_count": count, "merge_commit": merge}
    for state in ("OPEN", "MERGED")
    for title in ("İstanbul", 'a"b', "x AND y", "plain")
    for count in (0, 2, 3, 5)
    for merge in (None, {"hash": "abc"})
]


def _holds(node: bbql.Node, obj: dict[str, Any]) -> bool:
    """What ``node`` means (BBQL's two-valued logic, scalar fields), evaluated directly."""
    if isinstance(node, And):
        return all(_holds(operand, obj) for operand in node.operands)
    if isinstance(node, Or):
        return any(_holds(operand, obj) for operand in node.operands)
    if isinstance(node, Not):
        return not _holds(node.operand, obj)
    value: Any = obj
    for part in node.field.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    wanted = [literal.value for literal in node.values]
    if node.op in ("=", "IN"):
        return value in wanted if wanted != [None] else value is None
    if node.op in ("!=", "NOT IN"):
        return value not in wanted if wanted != [None] else value is not None
    if value is None:
        return False
    if node.op == "~":
        return str(wanted[0]).lower() in value.lower()
    if node.op == "!~":
        return str(wanted[0]).lower() not in value.lower()
    return bool({"<": value < wanted[0], "<=": value <= wanted[0], ">": value > wanted[0], ">=": value >= wanted[0]}[
        node.op
    ])


def _comparisons() -> st.SearchStrategy[bbql.Node]:
    text = st.sampled_from(TRICKY)
    return st.one_of(
        st.builds(compare, st.just("state"), st.sampled_from(["=", "!="]), st.sampled_from(["OPEN", "MERGED", *TRICKY])),
        st.builds(compare, st.just("title"), st.sampled_from(["=", "!=", "~", "!~"]), text),
        st.builds(compare, st.just("comment_count"), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
                  st.sampled_from([0, 2, 3, -1, Decimal("2.5"), 2.75])),
        st.builds(compare, st.just("merge_commit.hash"), st.sampled_from(["=", "!="]), st.sampled_from([None, "abc"])),
        st.builds(member, st.just("title"), st.lists(text, min_size=1, max_size=3), negated=st.booleans()),
    )


def _trees() -> st.SearchStrategy[bbql.Node]:
    def extend(children: st.SearchStrategy[bbql.Node]) -> st.SearchStrategy[bbql.Node]:
        pairs = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.one_of(pairs.map(And), pairs.map(Or), children.map(Not))

    return st.recursive(_comparisons(), extend, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(_trees())
def test_rendered_text_means_what_the_tree_means(tree: bbql.Node) -> None:
    predicate = emulator_bbql.compile_query(render(tree), SCHEMA)
    for obj in OBJECTS:
        assert predicate(obj) == _holds(tree, obj), (render(tree), obj)
