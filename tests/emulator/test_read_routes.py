"""Read routes end to end (shared tiny emulator): shapes, PR state rules, visibility, filters."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

DEMO = ("demo@example.com", "demo-api-token")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$")
BRACED = re.compile(r"^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$")


@pytest.fixture(scope="module")
def client(emulator) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=emulator.base_url, auth=DEMO, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def anonymous(emulator) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=emulator.base_url, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def globex_token(emulator) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    headers = {"Authorization": "Bearer globex-access-token"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30) as http:
        yield http


def all_values(client: httpx.Client, url: str) -> list[dict]:
    values: list[dict] = []
    while url:
        page = client.get(url).json()
        values.extend(page["values"])
        url = page.get("next")
    return values


# ----------------------------------------------------------------------------- shapes


def test_repository_shape(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    repo = client.get("/repositories/acme/api").json()
    assert repo["type"] == "repository" and repo["full_name"] == "acme/api"
    assert BRACED.match(repo["uuid"]) and TIMESTAMP.match(repo["created_on"])
    assert repo["links"]["self"]["href"] == f"{emulator.base_url}/repositories/acme/api"
    assert {link["name"] for link in repo["links"]["clone"]} == {"https", "ssh"}
    assert repo["mainbranch"] == {"type": "branch", "name": "main"}
    assert set(repo["project"]) == {"type", "key", "uuid", "name", "links"}


def test_repository_by_braced_uuid(client: httpx.Client) -> None:
    repo = client.get("/repositories/acme/api").json()
    by_uuid = client.get(f"/repositories/acme/{repo['uuid'].replace('{', '%7B').replace('}', '%7D')}")
    assert by_uuid.status_code == 200 and by_uuid.json()["full_name"] == "acme/api"


def test_pull_request_shape(client: httpx.Client) -> None:
    pr = client.get("/repositories/acme/api/pullrequests/1").json()
    assert pr["type"] == "pullrequest" and pr["id"] == 1
    assert set(pr["summary"]) == {"raw", "markup", "html", "type"} and pr["summary"]["type"] == "rendered"
    assert len(pr["source"]["commit"]["hash"]) == 12
    assert pr["reviewers"] and pr["participants"]
    assert {p["role"] for p in pr["participants"]} <= {"REVIEWER", "PARTICIPANT"}


def test_fork_has_parent(client: httpx.Client) -> None:
    fork = client.get("/repositories/globex/api").json()
    assert fork["parent"]["full_name"] == "acme/api"
    forks = client.get("/repositories/acme/api/forks").json()["values"]
    assert [f["full_name"] for f in forks] == ["globex/api"]


def test_unknown_resources_are_404_envelopes(client: httpx.Client) -> None:
    for url in [
        "/repositories/nope",
        "/repositories/acme/nope",
        "/repositories/acme/api/pullrequests/9999",
        "/repositories/acme/api/commit/ffffffffffff",
        "/workspaces/nope",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json()["type"] == "error" and response.json()["error"]["message"]


# ----------------------------------------------------------------------------- pull request state rules


def states(client: httpx.Client, url: str) -> set[str]:
    return {pr["state"] for pr in all_values(client, url)}


def test_pull_requests_default_to_open(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    open_ids = {
        pid
        for pid, pr in emulator.store.repo_data("acme", "api").pullrequests.items()
        if pr["state"] == "OPEN"
    }
    values = all_values(client, "/repositories/acme/api/pullrequests")
    assert {pr["id"] for pr in values} == open_ids


def test_repeated_state_parameter(client: httpx.Client) -> None:
    assert states(client, "/repositories/acme/api/pullrequests?state=MERGED&state=DECLINED") == {
        "MERGED",
        "DECLINED",
    }
    assert states(client, "/repositories/acme/api/pullrequests?state=superseded") == {"SUPERSEDED"}


def test_state_inside_q_replaces_the_default(client: httpx.Client) -> None:
    assert states(client, '/repositories/acme/api/pullrequests?q=state="MERGED" OR state="DECLINED"') == {
        "MERGED",
        "DECLINED",
    }


def test_state_parameter_is_ignored_when_q_is_present(client: httpx.Client) -> None:
    assert states(client, "/repositories/acme/api/pullrequests?state=MERGED&q=id > 0") == {"OPEN"}


def test_pr_list_hides_reviewers_unless_asked(client: httpx.Client) -> None:
    plain = client.get("/repositories/acme/api/pullrequests?state=MERGED").json()["values"][0]
    assert "reviewers" not in plain and "participants" not in plain
    asked = client.get("/repositories/acme/api/pullrequests?state=MERGED&fields=%2Bvalues.reviewers").json()[
        "values"
    ][0]
    assert asked["reviewers"] and "participants" not in asked


def test_pr_filter_by_reviewer_and_sort(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    prs = emulator.store.repo_data("acme", "api").pullrequests.values()
    reviewer = next(pr["reviewers"][0]["uuid"] for pr in prs if pr["reviewers"])
    expected = sorted(
        (pr["updated_on"], pr["id"]) for pr in prs if reviewer in {r["uuid"] for r in pr["reviewers"]}
    )
    values = all_values(
        client,
        f'/repositories/acme/api/pullrequests?q=reviewers.uuid="{reviewer}" AND state != "x"&sort=updated_on',
    )
    assert [pr["id"] for pr in values] == [pid for _, pid in expected]


def test_bad_query_is_400_invalid_query(client: httpx.Client) -> None:
    for q in ['nonsense = "x"', 'created_on > "soon"', "state = "]:
        response = client.get("/repositories/acme/api/pullrequests", params={"q": q})
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "Invalid query" and response.json()["error"]["detail"]


def test_workspace_pull_requests_by_author(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    store = emulator.store
    author = store.repo_data("acme", "api").pullrequests[1]["author"]["uuid"]
    expected = sum(
        1
        for _, repo in store.repositories()
        if repo["full_name"].startswith("acme/")
        for pr in store.repo_data("acme", repo["slug"]).pullrequests.values()
        if pr["author"]["uuid"] == author
    )
    values = all_values(
        client,
        f"/workspaces/acme/pullrequests/{author}?state=OPEN&state=MERGED&state=DECLINED&state=SUPERSEDED",
    )
    assert len(values) == expected and {pr["author"]["uuid"] for pr in values} == {author}


# ----------------------------------------------------------------------------- visibility


def test_anonymous_sees_public_repositories_only(anonymous: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    listed = [r["full_name"] for r in all_values(anonymous, "/repositories/acme")]
    public = [
        r["full_name"] for ws, r in emulator.store.repositories() if ws == "acme" and not r["is_private"]
    ]
    assert listed == sorted(public) and listed
    assert anonymous.get("/repositories/acme/api").status_code == 404
    assert anonymous.get("/repositories/acme/web").status_code == 200
    assert anonymous.get("/user").status_code == 401


def test_authenticated_without_access_gets_403(client: httpx.Client) -> None:
    response = client.get("/repositories/initech/tps-reports")
    assert response.status_code == 403 and response.json()["type"] == "error"
    assert client.get("/repositories/initech/open-tools").status_code == 200


def test_workspace_access_token_is_confined(globex_token: httpx.Client) -> None:
    slugs = [w["workspace"]["slug"] for w in globex_token.get("/user/workspaces").json()["values"]]
    assert slugs == ["globex"]
    assert globex_token.get("/repositories/acme/api").status_code == 403
    assert globex_token.get("/repositories/acme/web").status_code == 200
    assert globex_token.get("/repositories/globex/portal/pullrequests").status_code == 200


def test_user_workspaces_lists_memberships(client: httpx.Client) -> None:
    values = client.get("/user/workspaces?sort=slug").json()["values"]
    assert [(v["workspace"]["slug"], v["administrator"]) for v in values] == [
        ("acme", True),
        ("globex", False),
    ]
    admins = client.get("/user/workspaces?administrator=true").json()["values"]
    assert [v["workspace"]["slug"] for v in admins] == ["acme"]
    assert [
        v["workspace"]["slug"] for v in client.get('/user/workspaces?q=slug="globex"').json()["values"]
    ] == ["globex"]


def test_repository_role_filter(client: httpx.Client) -> None:
    assert len(client.get("/repositories/initech?role=member").json()["values"]) == 0
    assert len(client.get("/repositories/initech").json()["values"]) == 1  # the public one
    assert len(client.get("/repositories/acme?role=admin").json()["values"]) == 5


def test_members_email_filter(client: httpx.Client) -> None:
    everyone = client.get("/workspaces/acme/members").json()
    assert everyone["size"] >= 3 and all("email" not in m["user"] for m in everyone["values"])
    found = client.get(
        '/workspaces/acme/members?q=user.email="demo@example.com"&fields=%2Bvalues.user.email'
    ).json()
    assert [m["user"]["email"] for m in found["values"]] == ["demo@example.com"]
    assert client.get('/workspaces/acme/members?q=user.display_name="x"').status_code == 400
    assert client.get('/workspaces/acme/members?q=user.email="x" OR permission="owner"').status_code == 400


# ----------------------------------------------------------------------------- source


def test_branch_names_with_slashes(client: httpx.Client) -> None:
    branch = client.get("/repositories/acme/api/refs/branches/release/1.x").json()
    assert branch["name"] == "release/1.x" and branch["target"]["type"] == "commit"


def test_tags_sort_naturally_by_name(client: httpx.Client) -> None:
    names = [t["name"] for t in all_values(client, "/repositories/acme/web/refs/tags?sort=name")]
    assert names == sorted(names, key=lambda n: [int(x) for x in n[1:].split(".")])
    assert "v1.10.0" in names or len(names) < 11


def test_commits_include_exclude(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    data = emulator.store.repo_data("acme", "api")
    main = all_values(client, "/repositories/acme/api/commits/main?pagelen=100")
    release = all_values(client, "/repositories/acme/api/commits?include=release/1.x&pagelen=100")
    only_main = all_values(
        client, "/repositories/acme/api/commits?include=main&exclude=release/1.x&pagelen=100"
    )
    assert {c["hash"] for c in only_main} == {c["hash"] for c in main} - {c["hash"] for c in release}
    assert main[0]["hash"] == data.branches["main"]["target"]["hash"]
    # Every parent of a listed commit is older than the commit (a real graph).
    dates = {c["hash"]: datetime.fromisoformat(c["date"]) for c in main}
    for c in main:
        for parent in c["parents"]:
            assert dates[parent["hash"]] <= dates[c["hash"]]


def test_commits_path_filter(client: httpx.Client) -> None:
    readme = all_values(client, "/repositories/acme/api/commits?path=README.md&pagelen=100")
    everything = all_values(client, "/repositories/acme/api/commits?pagelen=100")
    assert 0 < len(readme) < len(everything)


def test_pr_diffstat_redirects_to_repository_diffstat(client: httpx.Client) -> None:
    response = client.get("/repositories/acme/api/pullrequests/1/diffstat")
    assert response.status_code == 302
    followed = client.get(response.headers["location"])
    assert followed.status_code == 200
    entries = followed.json()["values"]
    assert entries and all(v["type"] == "diffstat" for v in entries)
    path = (entries[0]["new"] or entries[0]["old"])["path"]
    directory = path.rsplit("/", 1)[0] if "/" in path else path
    narrowed = client.get(response.headers["location"], params={"path": directory}).json()["values"]
    assert narrowed and all(
        ((v["new"] or v["old"])["path"] + "/").startswith(directory + "/") for v in narrowed
    )


def test_commit_statuses_filter(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    data = emulator.store.repo_data("acme", "api")
    sha = next(s for s, st in data.commit_statuses.items() if st)
    expected = sorted(k for k, st in data.commit_statuses[sha].items() if st["state"] == "SUCCESSFUL")
    values = client.get(f'/repositories/acme/api/commit/{sha}/statuses?q=state="SUCCESSFUL"').json()["values"]
    assert sorted(v["key"] for v in values) == expected


# ----------------------------------------------------------------------------- pipelines and settings


def test_pipeline_filters_and_sort(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    pipelines = list(emulator.store.repo_data("acme", "api").pipelines.values())
    on_main = sorted(
        (p["build_number"] for p in pipelines if p["target"]["ref_name"] == "main"), reverse=True
    )
    values = all_values(client, "/repositories/acme/api/pipelines?target.ref_name=main&sort=-created_on")
    assert [p["build_number"] for p in values] == on_main
    assert client.get("/repositories/acme/api/pipelines?sort=colour").status_code == 400


def test_settings_need_admin(globex_token: httpx.Client, client: httpx.Client) -> None:
    assert client.get("/repositories/acme/api/branch-restrictions").json()["values"]
    assert (
        client.get("/repositories/acme/api/branch-restrictions?kind=push").json()["values"][0]["kind"]
        == "push"
    )
    assert client.get("/repositories/globex/portal/hooks").status_code == 403


def test_repository_permission_listings_need_admin(client: httpx.Client, emulator) -> None:  # type: ignore[no-untyped-def]
    grants = all_values(client, "/workspaces/acme/permissions/repositories")
    expected = sum(
        len(per_repo) for per_repo in emulator.store.workspaces["acme"].repo_user_permissions.values()
    )
    assert len(grants) == expected and {g["type"] for g in grants} == {"repository_permission"}
    assert client.get("/workspaces/globex/permissions/repositories").status_code == 403
    assert client.get("/workspaces/globex/permissions/repositories/portal").status_code == 403


def test_weak_etag_and_conditional_get(client: httpx.Client) -> None:
    first = client.get("/repositories/acme/api")
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert client.get("/repositories/acme/api", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/repositories/acme/web", headers={"If-None-Match": etag}).status_code == 200
