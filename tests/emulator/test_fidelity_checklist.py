"""The digest's emulator checklist (/work/shared/reference/bitbucket-api.md §10), item by item, for
the parts other test files do not already pin down: cursor ``next`` links, where the 50 limit on
``pagelen`` applies and where it does not, braced UUIDs and UTC timestamps in the forms recorded from live Bitbucket on
every answer (reads and writes), ``%7B..%7D`` path forms, and the deprecated listings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx
import pytest

from bitbucket_sql.emulator import run_emulator

DEMO = ("demo@example.com", "demo-api-token")
# The UTC forms recorded from live Bitbucket (tests/emulator/fidelity_manifest.json says which
# endpoint uses which): .ffffff+00:00, no fraction +00:00 (git dates), Z with 0-9 fractional digits
# (pipelines, deployments, webhooks), milliseconds without offset (/user/permissions/workspaces).
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6}\+00:00|\+00:00|(\.\d{1,9})?Z|\.\d{3})$")
LOOKS_LIKE_A_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T")
BRACED = re.compile(r"^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$")
DEMO_UUID = "%7Bd3a0d3a0-0000-4000-8000-00000000d3a0%7D"


@pytest.fixture(scope="module")
def client(emulator) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=emulator.base_url, auth=DEMO, timeout=30) as http:
        yield http


def wrong_times_and_uuids(document: Any, where: str = "") -> list[str]:
    """Every timestamp not in ``...T..:..:...ffffff+00:00`` form and every ``uuid`` without braces."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            path = f"{where}.{key}"
            if isinstance(value, str) and LOOKS_LIKE_A_TIME.match(value) and not TIMESTAMP.match(value):
                found.append(f"{path}={value}")
            if key == "uuid" and isinstance(value, str) and not BRACED.match(value):
                found.append(f"{path}={value}")
            found.extend(wrong_times_and_uuids(value, path))
    elif isinstance(document, list):
        for value in document:
            found.extend(wrong_times_and_uuids(value, f"{where}[]"))
    return found


# ----------------------------------------------------------------------------- paging (§2)


@pytest.mark.parametrize(
    ("url", "cursor_name"),
    [
        ("/repositories/acme/api/commits?include=main&exclude=release%2F1.x&pagelen=2", "page"),
        ("/repositories/acme/api/commits/main?path=README.md&pagelen=1", "page"),
        ("/repositories/acme/api/pullrequests/1/activity?pagelen=1&fields=-values.pull_request", "ctx"),
    ],
)
def test_cursor_next_repeats_the_query_and_adds_an_opaque_token(
    client: httpx.Client, url: str, cursor_name: str
) -> None:
    page = client.get(url).json()
    assert set(page) == {"pagelen", "values", "next"}
    query = urlsplit(page["next"]).query
    assert query.startswith(urlsplit(url).query + "&"), query
    token = dict(parse_qsl(query))[cursor_name]
    assert not token.isdigit()
    assert client.get(page["next"]).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/repositories/acme/api/pullrequests?pagelen=51",
        "/repositories/acme/api/pullrequests/activity?pagelen=51",
        "/repositories/acme/api/pullrequests/4/activity?pagelen=51",
        f"/workspaces/acme/pullrequests/{DEMO_UUID}?pagelen=51",
    ],
)
def test_pull_request_lists_and_activity_refuse_pagelen_51(client: httpx.Client, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "Invalid pagelen"


@pytest.mark.parametrize(
    "path",
    [
        "/repositories/acme",
        "/repositories/acme/api/pullrequests/4/comments",
        "/repositories/acme/api/pullrequests/4/tasks",
        "/repositories/acme/api/commits",
        "/repositories/acme/api/pipelines",
        "/repositories/acme/api/refs",
        "/user/workspaces",
        "/workspaces",
    ],
)
def test_elsewhere_pagelen_100_is_accepted_and_101_refused(client: httpx.Client, path: str) -> None:
    accepted = client.get(f"{path}?pagelen=100")
    assert accepted.status_code == 200 and accepted.json()["pagelen"] == 100
    refused = client.get(f"{path}?pagelen=101")
    assert refused.status_code == 400
    assert refused.json() == {
        "type": "error",
        "error": {"message": "Invalid pagelen", "detail": refused.json()["error"]["detail"]},
    }


# ----------------------------------------------------------------------------- PR list rules (§5.9, §4)


def test_workspace_user_pull_request_list_follows_the_same_rules(client: httpx.Client) -> None:
    url = f"/workspaces/acme/pullrequests/{DEMO_UUID}"
    default = client.get(f"{url}?pagelen=50").json()["values"]
    assert default and {pr["state"] for pr in default} == {"OPEN"}
    assert all("reviewers" not in pr and "participants" not in pr for pr in default)
    everything = client.get(f"{url}?state=OPEN&state=MERGED&state=DECLINED&state=SUPERSEDED&pagelen=50")
    assert len(everything.json()["values"]) > len(default)
    closed = sorted({pr["state"] for pr in everything.json()["values"]} - {"OPEN"})[0]  # one the user has
    with_q = client.get(f'{url}?state=OPEN&q=state="{closed}"&pagelen=50').json()["values"]
    assert {pr["state"] for pr in with_q} == {closed}
    asked = client.get(f"{url}?fields=%2Bvalues.participants").json()["values"][0]
    assert "participants" in asked and "reviewers" not in asked


# ----------------------------------------------------------------------------- identifiers and times (§1)


def test_braced_uuid_path_forms(client: httpx.Client) -> None:
    workspace = client.get("/workspaces/acme").json()
    repo = client.get("/repositories/acme/api").json()
    ws_uuid, repo_uuid = quote(workspace["uuid"], safe=""), quote(repo["uuid"], safe="")
    assert client.get(f"/workspaces/{ws_uuid}").json()["slug"] == "acme"
    assert (
        client.get(f"/repositories/{ws_uuid}").json()["size"]
        == client.get("/repositories/acme").json()["size"]
    )
    assert client.get(f"/repositories/{ws_uuid}/{repo_uuid}").json()["full_name"] == "acme/api"
    assert client.get(f"/repositories/%7B%7D/{repo_uuid}").json()["full_name"] == "acme/api"
    assert client.get(f"/repositories/%7b%7d/{repo_uuid.lower()}").json()["full_name"] == "acme/api"
    pipeline = client.get("/repositories/acme/api/pipelines?pagelen=1").json()["values"][0]
    by_uuid = client.get(f"/repositories/acme/api/pipelines/{quote(pipeline['uuid'], safe='')}")
    assert by_uuid.json()["build_number"] == pipeline["build_number"]
    assert client.get(f"/workspaces/acme/members/{DEMO_UUID}").json()["user"]["nickname"] == "demo"


READ_URLS = [
    "/user",
    "/user/workspaces",
    "/workspaces",
    "/user/permissions/workspaces",
    "/user/permissions/repositories",
    "/workspaces/acme",
    "/workspaces/acme/members",
    "/workspaces/acme/projects",
    "/workspaces/acme/hooks",
    "/repositories/acme",
    "/repositories/acme/api/pullrequests?state=MERGED&fields=%2Bvalues.participants,%2Bvalues.reviewers",
    "/repositories/acme/api/pullrequests/1/comments",
    "/repositories/acme/api/pullrequests/1/tasks",
    "/repositories/acme/api/pullrequests/1/activity",
    "/repositories/acme/api/commits",
    "/repositories/acme/api/refs",
    "/repositories/acme/api/pipelines",
    "/repositories/acme/api/environments",
    "/repositories/acme/api/deployments",
    "/repositories/acme/api/hooks",
    "/repositories/acme/api/downloads",
    "/repositories/acme/api/deploy-keys",
    "/repositories/acme/api/pipelines_config/schedules",
]


@pytest.mark.parametrize("url", READ_URLS)
def test_read_answers_use_braced_uuids_and_recorded_utc_time_forms(client: httpx.Client, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    assert wrong_times_and_uuids(answer.json()) == []


def test_write_answers_use_braced_uuids_and_recorded_utc_time_forms() -> None:
    with run_emulator(scale="tiny", seed=1) as emu, httpx.Client(base_url=emu.base_url, auth=DEMO) as http:
        repo = "/repositories/acme/api"
        head = http.get(f"{repo}/refs/branches/main").json()["target"]["hash"]
        answers = [
            http.post(f"{repo}/refs/branches", json={"name": "feature/fidelity", "target": {"hash": head}}),
            http.post(
                f"{repo}/pullrequests",
                json={"title": "t", "source": {"branch": {"name": "feature/fidelity"}}},
            ),
            http.post(f"{repo}/hooks", json={"url": "https://ci.example/h", "events": ["repo:push"]}),
            http.post(f"{repo}/pipelines_config/variables", json={"key": "FIDELITY", "value": "v"}),
            http.post(f"{repo}/environments", json={"name": "QA", "environment_type": {"name": "Test"}}),
            http.post(
                f"{repo}/commit/{head}/statuses/build",
                json={"key": "k", "state": "SUCCESSFUL", "url": "https://ci"},
            ),
            http.put("/repositories/acme/fidelity", json={"scm": "git"}),
        ]
        pr_id = answers[1].json()["id"]
        answers.append(http.post(f"{repo}/pullrequests/{pr_id}/comments", json={"content": {"raw": "hi"}}))
        answers.append(http.post(f"{repo}/pullrequests/{pr_id}/approve"))
        answers.append(http.post(f"{repo}/pullrequests/{pr_id}/merge", json={}))
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert wrong_times_and_uuids(answer.json()) == [], answer.request.url


# ----------------------------------------------------------------------------- deprecated listings (§5.2)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/workspaces?role=owner", {"acme"}),
        ('/workspaces?q=slug="globex"', {"globex"}),
        ('/user/permissions/workspaces?q=permission="owner"', {"acme"}),
        ("/user/permissions/workspaces?sort=workspace.slug", {"acme", "globex"}),
    ],
)
def test_deprecated_workspace_listings_still_answer(
    client: httpx.Client, url: str, expected: set[str]
) -> None:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    slugs = {value.get("slug") or value["workspace"]["slug"] for value in answer.json()["values"]}
    assert slugs == expected


def test_deprecated_repository_permissions_still_answer(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(
        '/user/permissions/repositories?q=permission="admin"&sort=repository.full_name&pagelen=100'
    )
    assert answer.status_code == 200, answer.text
    values = answer.json()["values"]
    names = [value["repository"]["full_name"] for value in values]
    assert names == sorted(names) and {value["permission"] for value in values} == {"admin"}
    assert {name.split("/")[0] for name in names} == {"acme"}  # the demo user owns acme only


# ----------------------------------------------------------------------------- writes (§5.6)


def test_a_tag_created_without_a_message_gets_bitbuckets_default_message() -> None:
    with run_emulator(scale="tiny", seed=1) as emu, httpx.Client(base_url=emu.base_url, auth=DEMO) as http:
        head = http.get("/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
        plain = http.post(
            "/repositories/acme/api/refs/tags", json={"name": "v7.0.0", "target": {"hash": head}}
        )
        given = http.post(
            "/repositories/acme/api/refs/tags",
            json={"name": "v7.0.1", "target": {"hash": head[:7]}, "message": "Release 7.0.1"},
        )
    assert plain.status_code == 201 and given.status_code == 201
    assert plain.json()["message"] == f"Added tag v7.0.0 for changeset {head[:12]}"
    assert given.json()["message"] == "Release 7.0.1"


# ----------------------------------------------------------------------------- links lead somewhere (§1, §5.1)


def test_a_users_self_link_answers_by_uuid_and_by_account_id(client: httpx.Client) -> None:
    me = client.get("/user").json()
    by_link = client.get(me["links"]["self"]["href"])
    assert by_link.status_code == 200 and by_link.json()["uuid"] == me["uuid"]
    assert client.get(f"/users/{me['account_id']}").json()["nickname"] == "demo"
    assert httpx.get(me["links"]["self"]["href"]).status_code == 200  # public profile, no credentials
    missing = client.get("/users/%7B00000000-0000-4000-8000-00000000beef%7D")
    assert missing.status_code == 404 and missing.json()["type"] == "error"
