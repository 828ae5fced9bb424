"""Hostile input gets the answer Bitbucket gives (400/404 in the error envelope), never a 500:
BBQL nested hundreds deep, request bodies nested thousands deep, ``%2F`` smuggled into a path
segment (issue 9)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.emulator.bbql import MAX_NESTING
from bitbucket_sql.emulator.middleware.encoded_slash import encoded_slash_outside_tail
from bitbucket_sql.emulator.routes_write.base import MAX_BODY_DEPTH

DEMO = ("demo@example.com", "demo-api-token")


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """An emulator of its own: these tests post bodies (all rejected, but still writes)."""
    with (
        run_emulator(scale="tiny", seed=1) as emu,
        httpx.Client(base_url=emu.base_url, auth=DEMO, timeout=30) as http,
    ):
        yield http


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["type"] == "error", body
    return body["error"]


def nested_query(depth: int) -> str:
    return "(" * depth + 'state = "OPEN"' + ")" * depth


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 330, 5000])
def test_bbql_nested_too_deep_is_a_400_naming_the_problem(client: httpx.Client, depth: int) -> None:
    response = client.get("/repositories/acme/api/pullrequests", params={"q": nested_query(depth)})
    assert response.status_code == 400
    assert "nest" in error_of(response)["detail"]


def test_bbql_nested_within_the_limit_still_answers(client: httpx.Client) -> None:
    nested = client.get("/repositories/acme/api/pullrequests", params={"q": nested_query(MAX_NESTING)})
    flat = client.get("/repositories/acme/api/pullrequests", params={"q": nested_query(0)})
    assert nested.status_code == 200
    assert nested.json()["values"] == flat.json()["values"]


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,
        '{"title":' * 2_000 + '"x"' + "}" * 2_000,
        '{"title": "x", "reviewers": ' + "[" * (MAX_BODY_DEPTH + 1) + "]" * (MAX_BODY_DEPTH + 1) + "}",
    ],
    ids=["deep-list", "deep-object", "just-over-the-limit"],
)
def test_deeply_nested_json_body_is_a_400(client: httpx.Client, body: str) -> None:
    response = client.post(
        "/repositories/acme/api/pullrequests", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert str(MAX_BODY_DEPTH) in error_of(response)["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(client: httpx.Client) -> None:
    title = "[" * (MAX_BODY_DEPTH * 2) + ' \\" {{{'
    head = client.get("/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    response = client.post(
        f"/repositories/acme/api/commit/{head}/statuses/build",
        json={"key": "deep-title", "state": "SUCCESSFUL", "url": "https://ci.example/1", "name": title},
    )
    assert response.status_code in (200, 201), response.text
    assert response.json()["name"] == title


@pytest.mark.parametrize(
    "path",
    [
        "/repositories/acme%2Fapi/pullrequests",
        "/repositories/acme/api%2Fpullrequests",
        "/repositories/acme%2fapi%2frefs/branches",
        "/workspaces/acme%2Fprojects",
        "/repositories/acme/api%5Cpullrequests",
    ],
)
def test_encoded_slash_in_an_identifier_segment_is_a_404(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "encoded" in error_of(response)["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/repositories/acme/api/refs/branches/release%2F1.x",
        "/repositories/acme/api/commits/release%2F1.x",
        "/repositories/acme/api/src/main/src%2F",
    ],
)
def test_encoded_slash_inside_a_ref_name_or_file_path_still_works(client: httpx.Client, path: str) -> None:
    assert client.get(path).status_code == 200


def test_only_segments_before_a_value_tail_are_checked() -> None:
    assert encoded_slash_outside_tail("/2.0/repositories/a%2Fb/x")
    assert not encoded_slash_outside_tail("/2.0/repositories/a/b/refs/tags/v1%2Fbeta")
    assert not encoded_slash_outside_tail("/2.0/repositories/a/b/diffstat/x%2Fy..z")
    assert encoded_slash_outside_tail("/2.0/repositories/a/b/pullrequests/1%2F2")
