"""Filling path templates: placeholders found in order, values encoded the way Bitbucket expects."""

from __future__ import annotations

import pytest

from bitbucket_sql.catalog.registry import get_table
from bitbucket_sql.catalog.templates import fill, placeholders


def test_placeholders_are_listed_in_order() -> None:
    assert placeholders(get_table("pull_request_comments").path) == (
        "workspace",
        "repo_slug",
        "pull_request_id",
    )
    assert placeholders("/user") == ()


def test_fill_keeps_branch_slashes_and_encodes_uuid_braces() -> None:
    branch = fill(
        get_table("branches").get_path, {"workspace": "acme", "repo_slug": "api", "name": "feature/x y"}
    )
    assert branch == "/repositories/acme/api/refs/branches/feature/x%20y"
    step = fill(
        get_table("pipeline_steps").path,
        {"workspace": "acme", "repo_slug": "api", "pipeline_uuid": "{0b1c}"},
    )
    assert step == "/repositories/acme/api/pipelines/%7B0b1c%7D/steps"


def test_fill_names_a_missing_placeholder() -> None:
    with pytest.raises(KeyError, match="repo_slug"):
        fill(get_table("pull_requests").path, {"workspace": "acme"})
    with pytest.raises(KeyError, match="pull_request_id"):
        fill(
            get_table("pull_request_tasks").path,
            {"workspace": "acme", "repo_slug": "api", "pull_request_id": None},
        )


def test_fill_accepts_numbers() -> None:
    assert fill(get_table("pull_requests").get_path, {"workspace": "a", "repo_slug": "b", "id": 7}).endswith(
        "/pullrequests/7"
    )


def test_fill_encodes_reserved_characters_inside_segments() -> None:
    path = fill(get_table("branch_commits").path, {"workspace": "acme", "repo_slug": "api", "revision": "a#b?c%d/e"})
    assert path == "/repositories/acme/api/commits/a%23b%3Fc%25d/e"


def test_only_a_final_placeholder_keeps_slashes() -> None:
    path = fill(get_table("pull_requests").path, {"workspace": "acme", "repo_slug": "api/pullrequests/5"})
    assert path == "/repositories/acme/api%2Fpullrequests%2F5/pullrequests"


@pytest.mark.parametrize("value", ["", ".", "..", "feature/../main", "feature//x", "x/"])
def test_fill_refuses_values_no_url_addresses(value: str) -> None:
    with pytest.raises(ValueError, match="cannot be"):
        fill(get_table("branch_commits").path, {"workspace": "acme", "repo_slug": "api", "revision": value})


@pytest.mark.parametrize(
    ("table", "template", "values"),
    [
        ("repositories", "path", {"workspace": "acme/api/refs/branches"}),
        ("repositories", "get_path", {"workspace": "acme", "slug": "api/refs/branches"}),
        ("pull_requests", "get_path", {"workspace": "acme", "repo_slug": "api", "id": "5/comments"}),
        ("workspace_members", "get_path", {"workspace": "acme", "user_uuid": "x/../y"}),
    ],
)
def test_a_final_identifier_never_keeps_slashes(table: str, template: str, values: dict[str, str]) -> None:
    # only git names (branches, tags, revisions) may carry raw slashes; a slash in a workspace,
    # slug, id or uuid would address another resource (a schema "acme/api/refs/branches"
    # listed the branches of acme/api as repositories)
    path = fill(getattr(get_table(table), template), values)
    final = path.rsplit("/", 1)[-1]
    assert "%2F" in final
    assert path.count("/") == getattr(get_table(table), template).count("/")
