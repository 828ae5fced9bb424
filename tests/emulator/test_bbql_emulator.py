"""The emulator's BBQL: every operator, literal form, precedence rule, error kind and sort rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitbucket_sql.emulator.bbql import BBQLError, compile_query, filter_items, parse, sort_items

SCHEMA = {
    "id": "number",
    "title": "string",
    "state": "string",
    "draft": "boolean",
    "created_on": "datetime",
    "permission": "permission",
    "author": {"uuid": "string", "display_name": "string"},
    "reviewers": {"uuid": "string"},
    "merge_commit": {"hash": "string"},
}

ITEMS = [
    {
        "id": 1,
        "title": 'Fix "quoted" Unicode naïve',
        "state": "MERGED",
        "draft": False,
        "permission": "read",
        "created_on": "2025-01-10T12:00:00.000000+00:00",
        "author": {"uuid": "{a}", "display_name": "Ann"},
        "reviewers": [{"uuid": "{b}"}, {"uuid": "{c}"}],
        "merge_commit": {"hash": "abc"},
    },
    {
        "id": 2,
        "title": "Add CSV export",
        "state": "OPEN",
        "draft": True,
        "permission": "admin",
        "created_on": "2025-03-01T00:00:00.000000+00:00",
        "author": {"uuid": "{b}", "display_name": "Bob"},
        "reviewers": [],
        "merge_commit": None,
    },
    {
        "id": 3,
        "title": "back\\slash",
        "state": "DECLINED",
        "draft": False,
        "permission": "write",
        "created_on": "2025-06-15T08:30:00.000000+02:00",
        "author": {"uuid": "{c}", "display_name": "Chen"},
        "reviewers": [{"uuid": "{a}"}],
        "merge_commit": None,
    },
]


def ids(query: str) -> list[int]:
    return [item["id"] for item in filter_items(ITEMS, query, SCHEMA)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('state = "OPEN"', [2]),
        ('state != "OPEN"', [1, 3]),
        ('title ~ "csv"', [2]),
        ('title !~ "CSV"', [1, 3]),
        ("id > 1", [2, 3]),
        ("id >= 2", [2, 3]),
        ("id < 2", [1]),
        ("id <= 2", [1, 2]),
        ('state IN ("OPEN", "DECLINED")', [2, 3]),
        ('state NOT IN ("OPEN", "DECLINED")', [1]),
        ("draft = true", [2]),
        ("draft = false", [1, 3]),
        ("merge_commit.hash = null", [2, 3]),
        ("merge_commit.hash != null", [1]),
        ("id = 2.0", [2]),
        ("id > -10.5", [1, 2, 3]),
        ('permission > "read"', [2, 3]),
    ],
)
def test_operators(query: str, expected: list[int]) -> None:
    assert ids(query) == expected


def test_and_binds_tighter_than_or() -> None:
    # OPEN OR (DECLINED AND id = 1) -> only the OPEN one
    assert ids('state = "OPEN" OR state = "DECLINED" AND id = 1') == [2]
    assert ids('(state = "OPEN" OR state = "DECLINED") AND id = 3') == [3]


def test_keywords_are_case_insensitive() -> None:
    assert ids('state = "OPEN" or id = 1 and draft = false') == [1, 2]
    assert ids('state not in ("OPEN") AnD id in (1, 2)') == [1]


def test_string_escapes() -> None:
    assert ids(r'title ~ "\"quoted\""') == [1]
    assert ids(r'title = "back\\slash"') == [3]


def test_contains_is_case_insensitive_and_unicode_aware() -> None:
    assert ids('title ~ "NAÏVE"') == [1]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("created_on > 2025-02-01", [2, 3]),
        ("created_on >= 2025-01-10T12:00:00", [1, 2, 3]),
        ("created_on > 2025-01-10T12:00:00.5", [2, 3]),
        # 08:30+02:00 is 06:30 UTC
        ("created_on > 2025-06-15T07:00:00+00:00", []),
        ("created_on < 2025-06-15T08:00:00+01:00", [1, 2, 3]),
        ("created_on < 2025-06-15T07:00:00+01:00", [1, 2]),
        ('created_on < "2025-02-01"', [1]),
    ],
)
def test_datetimes(query: str, expected: list[int]) -> None:
    assert ids(query) == expected


def test_array_paths_match_any_element() -> None:
    assert ids('reviewers.uuid = "{a}"') == [3]
    assert ids('reviewers.uuid = "{c}"') == [1]
    assert ids('reviewers.uuid != "{c}"') == [2, 3]
    assert ids("reviewers.uuid = null") == [2]


@pytest.mark.parametrize(
    "query",
    [
        'state = "OPEN" AND',
        'state = "OPEN',
        "state OPEN",
        '(state = "OPEN"',
        "= 1",
        'state IN "OPEN"',
        "",
        "id = 1 id = 2",
        'state = "a" ; id = 1',
    ],
)
def test_unparsable_queries_are_rejected(query: str) -> None:
    with pytest.raises(BBQLError):
        compile_query(query, SCHEMA)


def test_unknown_field_is_named() -> None:
    with pytest.raises(BBQLError, match="'colour'"):
        compile_query('colour = "red"', SCHEMA)
    with pytest.raises(BBQLError, match="'author.email'"):
        compile_query('author.email = "x"', SCHEMA)


@pytest.mark.parametrize(
    "query",
    [
        'created_on > "yesterday"',
        'id = "2"',
        "state = 2",
        "draft = 1",
        "id ~ 2",
        "created_on > 42",
        "state = true",
        "id > null",
    ],
)
def test_type_mismatches_are_rejected(query: str) -> None:
    with pytest.raises(BBQLError):
        compile_query(query, SCHEMA)


def test_parse_builds_the_documented_tree() -> None:
    tree = parse("a = 1 OR b = 2 AND c = 3")
    assert tree.op == "OR"  # type: ignore[union-attr]
    assert tree.operands[1].op == "AND"  # type: ignore[union-attr]


def test_sort_ascending_puts_nulls_last_and_descending_first() -> None:
    items = [{"id": 1, "title": "b"}, {"id": 2, "title": None}, {"id": 3, "title": "a"}]
    assert [i["id"] for i in sort_items(items, "title", SCHEMA)] == [3, 1, 2]
    assert [i["id"] for i in sort_items(items, "-title", SCHEMA)] == [2, 1, 3]


def test_sort_by_datetime_compares_instants_not_text() -> None:
    assert [i["id"] for i in sort_items(ITEMS, "-created_on", SCHEMA)] == [3, 2, 1]


def test_natural_sort_for_names() -> None:
    items = [{"title": "v1.10.0"}, {"title": "v1.9.0"}, {"title": "v1.2.0"}]
    ordered = sort_items(items, "title", SCHEMA, natural=frozenset({"title"}))
    assert [i["title"] for i in ordered] == ["v1.2.0", "v1.9.0", "v1.10.0"]


def test_sort_rejects_unknown_and_compound_fields() -> None:
    with pytest.raises(BBQLError):
        sort_items(ITEMS, "colour", SCHEMA)
    with pytest.raises(BBQLError):
        sort_items(ITEMS, "id,title", SCHEMA)


# ----------------------------------------------------------------------------- robustness

FRAGMENTS = st.sampled_from(
    [
        "state",
        "id",
        "created_on",
        "reviewers.uuid",
        "title",
        "=",
        "!=",
        "~",
        ">",
        "<=",
        "IN",
        "NOT",
        "AND",
        "OR",
        "(",
        ")",
        ",",
        '"OPEN"',
        '"a\\"b"',
        "1",
        "-2.5",
        "true",
        "null",
        "2025-01-01",
        "2025-01-01T10:00:00+02:00",
        '"',
        "x.y",
        "!",
        "#",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FRAGMENTS, max_size=9))
def test_any_input_is_either_a_valid_query_or_a_bbql_error(parts: list[str]) -> None:
    """Whatever a client sends, the answer is a result or a clean 400 — never a crash."""
    try:
        predicate = compile_query(" ".join(parts), SCHEMA)
    except BBQLError as exc:
        assert exc.detail
        return
    for item in ITEMS:
        assert predicate(item) in (True, False)
