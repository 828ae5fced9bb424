"""Partial responses (``fields``): only-listed, +, -, wildcards, envelope paths, default omissions."""

from __future__ import annotations

import copy

from bitbucket_sql.emulator.fields import apply_fields

PAGE = {
    "pagelen": 2,
    "next": "http://x/next",
    "values": [
        {
            "id": 1,
            "title": "a",
            "links": {"self": {"href": "s1"}, "html": {"href": "h1"}},
            "author": {"display_name": "Ann", "uuid": "{a}"},
            "reviewers": [{"uuid": "{b}"}],
        },
        {
            "id": 2,
            "title": "b",
            "links": {"self": {"href": "s2"}, "html": {"href": "h2"}},
            "author": {"display_name": "Bob", "uuid": "{b}"},
            "reviewers": [],
        },
    ],
}
OMITTED = ("values.reviewers",)


def test_no_fields_gives_the_default_view() -> None:
    result = apply_fields(PAGE, None, OMITTED)
    assert "reviewers" not in result["values"][0]
    assert result["values"][0]["title"] == "a"


def test_only_listed_fields() -> None:
    assert apply_fields(PAGE, "values.id,next", OMITTED) == {
        "values": [{"id": 1}, {"id": 2}],
        "next": "http://x/next",
    }


def test_nested_only_fields() -> None:
    result = apply_fields(PAGE, "values.author.display_name", OMITTED)
    assert result == {"values": [{"author": {"display_name": "Ann"}}, {"author": {"display_name": "Bob"}}]}


def test_plus_adds_default_omissions_and_keeps_defaults() -> None:
    result = apply_fields(PAGE, "+values.reviewers", OMITTED)
    assert result["values"][0]["reviewers"] == [{"uuid": "{b}"}]
    assert result["values"][0]["title"] == "a" and result["pagelen"] == 2


def test_minus_removes_fields() -> None:
    result = apply_fields(PAGE, "-values.links,-next", OMITTED)
    assert "links" not in result["values"][1] and "next" not in result
    assert result["values"][1]["id"] == 2


def test_minus_wildcard_leaves_an_empty_object() -> None:
    assert apply_fields(PAGE, "-values.links.*", OMITTED)["values"][0]["links"] == {}


def test_star_reveals_everything_including_omissions() -> None:
    assert apply_fields(PAGE, "*", OMITTED) == PAGE


def test_clear_root_then_add() -> None:
    assert apply_fields(PAGE, "-*,+pagelen", OMITTED) == {"pagelen": 2}


def test_wildcard_inside_a_path() -> None:
    result = apply_fields(PAGE, "values.links.*.href", OMITTED)
    assert result["values"][0] == {"links": {"self": {"href": "s1"}, "html": {"href": "h1"}}}


def test_single_objects_use_plain_paths() -> None:
    obj = PAGE["values"][0]
    assert apply_fields(obj, "id,author.uuid") == {"id": 1, "author": {"uuid": "{a}"}}


def test_the_source_object_is_never_modified() -> None:
    before = copy.deepcopy(PAGE)
    apply_fields(PAGE, "-values.links.*,-values.author,+values.reviewers", OMITTED)
    apply_fields(PAGE, None, OMITTED)
    assert before == PAGE
