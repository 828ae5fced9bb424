"""The paging envelope in both styles, over HTTP against the shared tiny emulator."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DEMO = ("demo@example.com", "demo-api-token")


@pytest.fixture(scope="module")
def client(emulator) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=emulator.base_url, auth=DEMO, timeout=30) as http:
        yield http


def walk(client: httpx.Client, url: str) -> tuple[list[dict], list[dict]]:
    """Follow ``next`` verbatim; return the pages and all values."""
    pages = []
    values: list[dict] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        values.extend(page["values"])
        url = page.get("next")
    return pages, values


def test_list_style_visits_every_item_once(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    data = emulator.store.repo_data("acme", "api")
    pages, values = walk(client, "/repositories/acme/api/refs/branches?pagelen=2")
    assert [v["name"] for v in values] == sorted(data.branches)
    assert all(page["size"] == len(data.branches) and page["pagelen"] == 2 for page in pages)
    assert [page["page"] for page in pages] == list(range(1, len(pages) + 1))
    assert "previous" not in pages[0] and all("previous" in page for page in pages[1:])


def test_next_repeats_every_query_parameter_verbatim(client: httpx.Client) -> None:
    url = "/repositories/acme/api/pullrequests?state=MERGED&state=DECLINED&sort=-updated_on&pagelen=1&fields=%2Bvalues.reviewers,next,values.id"
    first = client.get(url).json()
    assert first["next"].startswith(str(client.base_url).rstrip("/") + "/repositories/acme/api/pullrequests?")
    query = urlsplit(first["next"]).query
    assert query.startswith(
        "state=MERGED&state=DECLINED&sort=-updated_on&pagelen=1&fields=%2Bvalues.reviewers,next,values.id&"
    )
    assert dict(parse_qsl(query))["page"] == "2"


def test_page_number_can_be_requested_directly(client: httpx.Client) -> None:
    everything = client.get("/repositories/acme?pagelen=100").json()["values"]
    second = client.get("/repositories/acme?pagelen=2&page=2").json()
    assert [r["slug"] for r in second["values"]] == [r["slug"] for r in everything[2:4]]
    beyond = client.get("/repositories/acme?pagelen=2&page=99").json()
    assert beyond["values"] == [] and "next" not in beyond


def test_commits_use_cursor_paging(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    pages, values = walk(client, "/repositories/acme/api/commits?pagelen=7")
    for page in pages:
        assert set(page) <= {"pagelen", "values", "next"}
    hashes = [c["hash"] for c in values]
    assert len(hashes) == len(set(hashes))
    dates = [c["date"] for c in values]
    assert dates == sorted(dates, reverse=True)
    token = dict(parse_qsl(urlsplit(pages[0]["next"]).query))["page"]
    assert not token.isdigit()  # opaque


def test_activity_uses_ctx_cursor_and_max_50(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    data = emulator.store.repo_data("acme", "api")
    total = sum(len(entries) for entries in data.pr_activity.values())
    pages, values = walk(client, "/repositories/acme/api/pullrequests/activity?pagelen=3")
    assert len(values) == total
    assert "ctx=" in pages[0]["next"] and "size" not in pages[0]
    assert client.get("/repositories/acme/api/pullrequests/activity?pagelen=51").status_code == 400


@pytest.mark.parametrize(
    ("url", "maximum"),
    [
        ("/repositories/acme?pagelen=101", 100),
        ("/repositories/acme/api/pullrequests?pagelen=51", 50),
        ("/repositories/acme/api/pullrequests/1/activity?pagelen=51", 50),
        ("/repositories/acme/api/commits?pagelen=101", 100),
        ("/repositories/acme?pagelen=0", 100),
        ("/repositories/acme?pagelen=ten", 100),
    ],
)
def test_invalid_pagelen(client: httpx.Client, url: str, maximum: int) -> None:
    response = client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["message"] == "Invalid pagelen"
    assert str(maximum) in body["error"]["detail"]


def test_maximum_pagelen_is_accepted(client: httpx.Client) -> None:
    assert client.get("/repositories/acme/api/pullrequests?pagelen=50").json()["pagelen"] == 50
    assert client.get("/repositories/acme?pagelen=100").json()["pagelen"] == 100


def test_bad_cursor_is_a_clear_400(client: httpx.Client) -> None:
    response = client.get("/repositories/acme/api/commits?page=%%%")
    assert response.status_code == 400
    assert "next" in response.json()["error"]["detail"]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pagelen=st.integers(min_value=1, max_value=50), cursor=st.booleans())
def test_every_item_exactly_once_for_any_pagelen(
    client: httpx.Client, emulator, pagelen: int, cursor: bool
) -> None:  # type: ignore[no-untyped-def]
    data = emulator.store.repo_data("acme", "data-pipeline")
    if cursor:
        _, values = walk(client, f"/repositories/acme/data-pipeline/commits?pagelen={pagelen}")
        heads = [ref["target"]["hash"] for ref in [*data.branches.values(), *data.tags.values()]]
        reachable: set[str] = set()
        while heads:
            sha = heads.pop()
            if sha not in reachable:
                reachable.add(sha)
                heads.extend(parent["hash"] for parent in data.commits[sha]["parents"])
        assert [c["hash"] for c in values] == [sha for sha in data.commit_order if sha in reachable]
    else:
        url = (
            f"/repositories/acme/data-pipeline/pullrequests?state=MERGED&state=OPEN&sort=id&pagelen={pagelen}"
        )
        _, values = walk(client, url)
        expected = sorted(pid for pid, pr in data.pullrequests.items() if pr["state"] in ("MERGED", "OPEN"))
        assert [pr["id"] for pr in values] == expected
