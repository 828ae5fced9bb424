"""Every write endpoint over real HTTP: status codes, Location, bodies, and visibility to later GETs.

Runs against a private emulator (module scope) so the shared session fixture stays pristine.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from bitbucket_sql.emulator import EmulatorHandle, run_emulator

API_TOKEN = ("demo@example.com", "demo-api-token")
REPO = "/repositories/acme/api"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture()
def client(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, auth=API_TOKEN, timeout=30) as session:
        yield session


def _follow(client: httpx.Client, answer: httpx.Response) -> httpx.Response:
    """GET the ``Location`` of a creation answer."""
    location = answer.headers["location"]
    assert location.startswith(str(client.base_url).rstrip("/")), location
    return client.get(location)


def _head(emu: EmulatorHandle, branch: str = "main") -> str:
    with emu.store.lock:
        return str(emu.store.repo_data("acme", "api").branches[branch]["target"]["hash"])


def _assert_error(answer: httpx.Response, status: int) -> dict[str, object]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["type"] == "error" and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- projects


def test_project_lifecycle(client: httpx.Client) -> None:
    created = client.post("/workspaces/acme/projects", json={"key": "NEWP", "name": "New project"})
    assert created.status_code == 201
    assert _follow(client, created).json()["name"] == "New project"
    duplicate = client.post("/workspaces/acme/projects", json={"key": "NEWP", "name": "Again"})
    assert "key" in _assert_error(duplicate, 400)["fields"]  # type: ignore[operator]
    updated = client.put("/workspaces/acme/projects/NEWP", json={"name": "Renamed", "description": "d"})
    assert updated.status_code == 200
    assert updated.json()["updated_on"] > created.json()["updated_on"]
    assert client.get("/workspaces/acme/projects/NEWP").json()["name"] == "Renamed"
    made_by_put = client.put("/workspaces/acme/projects/PUTP", json={"name": "Made by PUT"})
    assert made_by_put.status_code == 201
    deleted = client.delete("/workspaces/acme/projects/NEWP")
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get("/workspaces/acme/projects/NEWP").status_code == 404


def test_project_without_name_is_a_field_error(client: httpx.Client) -> None:
    error = _assert_error(client.post("/workspaces/acme/projects", json={"key": "NONAME"}), 400)
    assert error["fields"] == {"name": ["This field is required."]}


def test_project_holding_repositories_cannot_be_deleted(client: httpx.Client) -> None:
    key = client.get(f"{REPO}").json()["project"]["key"]
    _assert_error(client.delete(f"/workspaces/acme/projects/{key}"), 400)


# ----------------------------------------------------------------------------- repositories


def test_repository_lifecycle_is_visible_to_listing_and_bbql(client: httpx.Client) -> None:
    created = client.post(
        "/repositories/acme/brand-new",
        json={"scm": "git", "is_private": True, "description": "fresh", "project": {"key": "API"}},
    )
    assert created.status_code == 200  # the spec's answer for POST; PUT creating answers 201
    assert created.headers["location"].endswith("/repositories/acme/brand-new")
    assert created.json()["project"]["key"] == "API"
    found = client.get("/repositories/acme", params={"q": 'slug = "brand-new"'}).json()["values"]
    assert [repo["slug"] for repo in found] == ["brand-new"]
    updated = client.put("/repositories/acme/brand-new", json={"description": "changed"})
    assert updated.status_code == 200
    assert updated.json()["updated_on"] > created.json()["updated_on"]
    found = client.get("/repositories/acme", params={"q": 'description ~ "changed"'}).json()["values"]
    assert [repo["slug"] for repo in found] == ["brand-new"]
    _assert_error(client.post("/repositories/acme/brand-new", json={}), 400)
    assert client.put("/repositories/acme/made-by-put", json={"description": "x"}).status_code == 201
    deleted = client.delete("/repositories/acme/brand-new")
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get("/repositories/acme/brand-new").status_code == 404


def test_repository_with_unknown_project_is_a_field_error(client: httpx.Client) -> None:
    error = _assert_error(client.post("/repositories/acme/orphan", json={"project": {"key": "NOPE"}}), 400)
    assert "project" in error["fields"]  # type: ignore[operator]


# ----------------------------------------------------------------------------- refs


def test_branch_and_tag_lifecycle(emu: EmulatorHandle, client: httpx.Client) -> None:
    head = _head(emu)
    branch = client.post(
        f"{REPO}/refs/branches", json={"name": "feature/written", "target": {"hash": head[:10]}}
    )
    assert branch.status_code == 201
    assert _follow(client, branch).json()["target"]["hash"] == head
    _assert_error(
        client.post(f"{REPO}/refs/branches", json={"name": "feature/written", "target": {"hash": head}}), 400
    )
    bad_target = client.post(f"{REPO}/refs/branches", json={"name": "x", "target": {"hash": "ffffffffffff"}})
    assert "target" in _assert_error(bad_target, 400)["fields"]  # type: ignore[operator]
    assert client.delete(f"{REPO}/refs/branches/feature/written").status_code == 204
    assert client.get(f"{REPO}/refs/branches/feature/written").status_code == 404
    _assert_error(client.delete(f"{REPO}/refs/branches/main"), 400)

    tag = client.post(
        f"{REPO}/refs/tags", json={"name": "v9.9.9", "target": {"hash": head}, "message": "rel"}
    )
    assert tag.status_code == 201
    assert _follow(client, tag).json()["name"] == "v9.9.9"
    assert client.delete(f"{REPO}/refs/tags/v9.9.9").status_code == 204
    assert client.get(f"{REPO}/refs/tags/v9.9.9").status_code == 404


# ----------------------------------------------------------------------------- pull requests


def _new_branch(emu: EmulatorHandle, client: httpx.Client, name: str) -> None:
    answer = client.post(f"{REPO}/refs/branches", json={"name": name, "target": {"hash": _head(emu)}})
    assert answer.status_code == 201, answer.text


def _new_pr(emu: EmulatorHandle, client: httpx.Client, branch: str, title: str) -> dict[str, object]:
    _new_branch(emu, client, branch)
    answer = client.post(
        f"{REPO}/pullrequests",
        json={
            "title": title,
            "source": {"branch": {"name": branch}},
            "destination": {"branch": {"name": "main"}},
        },
    )
    assert answer.status_code == 201, answer.text
    assert _follow(client, answer).json()["title"] == title
    return answer.json()  # type: ignore[no-any-return]


def test_pull_request_create_update_review_and_merge(emu: EmulatorHandle, client: httpx.Client) -> None:
    pr = _new_pr(emu, client, "feature/to-merge", "Written by a test")
    assert pr["state"] == "OPEN"
    one = f"{REPO}/pullrequests/{pr['id']}"
    listed = client.get(f"{REPO}/pullrequests", params={"q": 'title = "Written by a test"'}).json()["values"]
    assert [item["id"] for item in listed] == [pr["id"]]

    updated = client.put(one, json={"title": "Retitled by a test"})
    assert updated.status_code == 200
    assert updated.json()["updated_on"] > pr["updated_on"]  # type: ignore[operator]

    watermark = client.get(one).json()["updated_on"]
    approval = client.post(f"{one}/approve")
    assert approval.status_code == 200 and approval.json()["approved"] is True
    changed = client.get(f"{REPO}/pullrequests", params={"q": f'updated_on > "{watermark}"'}).json()["values"]
    assert [item["id"] for item in changed] == [pr["id"]]  # incremental sync sees the approval
    demo_uuid = emu.store.user_by_email("demo@example.com")["uuid"]
    participants = client.get(one).json()["participants"]
    assert any(p["user"]["uuid"] == demo_uuid and p["approved"] for p in participants)
    assert client.delete(f"{one}/approve").status_code == 204
    changes = client.post(f"{one}/request-changes")
    assert changes.status_code == 200 and changes.json()["state"] == "changes_requested"
    assert client.delete(f"{one}/request-changes").status_code == 204

    before = _head(emu)
    merged = client.post(f"{one}/merge", json={"merge_strategy": "merge_commit"})
    assert merged.status_code == 200
    assert merged.json()["state"] == "MERGED"
    assert client.get(one).json()["state"] == "MERGED"
    assert _head(emu) != before  # the merge commit moved the destination branch
    assert client.get(f"{REPO}/commit/{_head(emu)}").json()["parents"][0]["hash"] == before
    _assert_error(client.post(f"{one}/merge", json={}), 409)  # the merge operation's documented conflict
    _assert_error(client.put(one, json={"title": "too late"}), 400)  # the spec lists 400 for PUT


def test_declined_pull_request_cannot_be_merged(emu: EmulatorHandle, client: httpx.Client) -> None:
    pr = _new_pr(emu, client, "feature/to-decline", "Will be declined")
    one = f"{REPO}/pullrequests/{pr['id']}"
    declined = client.post(f"{one}/decline")
    assert declined.status_code == 200 and declined.json()["state"] == "DECLINED"
    declined_ids = [
        item["id"]
        for item in client.get(f"{REPO}/pullrequests", params={"state": "DECLINED", "pagelen": 50}).json()[
            "values"
        ]
    ]
    assert pr["id"] in declined_ids
    _assert_error(client.post(f"{one}/merge", json={}), 409)


def test_pull_request_body_errors_name_the_field(emu: EmulatorHandle, client: httpx.Client) -> None:
    no_source = client.post(f"{REPO}/pullrequests", json={"title": "x"})
    error = _assert_error(no_source, 400)
    assert "source" in error["fields"]  # type: ignore[operator]
    assert error["detail"] == "You must specify a valid source branch when creating a pull request."
    _assert_error(client.post(f"{REPO}/pullrequests", json={"source": {"branch": {"name": "main"}}}), 400)
    _assert_error(client.post(f"{REPO}/pullrequests/999999/approve"), 404)
    invalid_json = client.post(
        f"{REPO}/pullrequests", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    _assert_error(invalid_json, 400)


def test_comments_and_tasks(emu: EmulatorHandle, client: httpx.Client) -> None:
    pr = _new_pr(emu, client, "feature/discussed", "Discussed")
    one = f"{REPO}/pullrequests/{pr['id']}"
    comment = client.post(f"{one}/comments", json={"content": {"raw": "Looks good"}})
    assert comment.status_code == 201
    assert _follow(client, comment).json()["content"]["raw"] == "Looks good"
    assert client.get(one).json()["comment_count"] == 1
    comment_id = comment.json()["id"]
    edited = client.put(f"{one}/comments/{comment_id}", json={"content": {"raw": "Looks great"}})
    assert edited.status_code == 200 and edited.json()["content"]["raw"] == "Looks great"
    _assert_error(client.post(f"{one}/comments", json={"content": {}}), 400)

    task = client.post(f"{one}/tasks", json={"content": {"raw": "Add tests"}, "comment": {"id": comment_id}})
    assert task.status_code == 201
    assert _follow(client, task).json()["state"] == "UNRESOLVED"
    resolved = client.put(f"{one}/tasks/{task.json()['id']}", json={"state": "RESOLVED"})
    assert resolved.status_code == 200
    assert resolved.json()["resolved_by"]["uuid"] == emu.store.user_by_email("demo@example.com")["uuid"]
    assert client.get(one).json()["task_count"] == 1
    assert client.delete(f"{one}/tasks/{task.json()['id']}").status_code == 204
    assert client.get(one).json()["task_count"] == 0

    assert client.delete(f"{one}/comments/{comment_id}").status_code == 204
    assert client.get(one).json()["comment_count"] == 0


def test_comments_resolve_once_and_reopen(emu: EmulatorHandle, client: httpx.Client) -> None:
    pr = _new_pr(emu, client, "feature/resolving", "Resolving")
    comments = f"{REPO}/pullrequests/{pr['id']}/comments"
    inline = client.post(
        comments, json={"content": {"raw": "Typo here"}, "inline": {"path": "README.md", "to": 3}}
    )
    assert inline.status_code == 201
    resolve = f"{comments}/{inline.json()['id']}/resolve"
    resolved = client.post(resolve)
    assert resolved.status_code == 200 and resolved.json()["type"] == "comment_resolution"
    assert client.get(f"{comments}/{inline.json()['id']}").json()["resolution"]["created_on"]
    _assert_error(client.post(resolve), 409)
    assert client.delete(resolve).status_code == 204
    assert "resolution" not in client.get(f"{comments}/{inline.json()['id']}").json()


# ----------------------------------------------------------------------------- commit statuses


def test_commit_status_post_overwrites_by_key(emu: EmulatorHandle, client: httpx.Client) -> None:
    head = _head(emu)
    base = f"{REPO}/commit/{head}/statuses/build"
    first = client.post(
        base, json={"key": "written-ci", "state": "INPROGRESS", "url": "https://ci.example/1"}
    )
    assert first.status_code == 201
    assert _follow(client, first).json()["state"] == "INPROGRESS"
    second = client.post(
        base, json={"key": "written-ci", "state": "SUCCESSFUL", "url": "https://ci.example/1"}
    )
    assert second.status_code == 201
    assert second.json()["created_on"] == first.json()["created_on"]
    assert second.json()["updated_on"] > first.json()["updated_on"]
    statuses = client.get(f"{REPO}/commit/{head}/statuses", params={"pagelen": 100}).json()["values"]
    mine = [status for status in statuses if status["key"] == "written-ci"]
    assert len(mine) == 1 and mine[0]["state"] == "SUCCESSFUL"
    put = client.put(f"{base}/written-ci", json={"state": "FAILED"})
    assert put.status_code == 200 and put.json()["state"] == "FAILED"
    _assert_error(client.put(f"{base}/no-such-key", json={"state": "FAILED"}), 404)
    error = _assert_error(client.post(base, json={"key": "k", "state": "GREEN", "url": "https://x"}), 400)
    assert "state" in error["fields"]  # type: ignore[operator]
    _assert_error(client.post(f"{REPO}/commit/0000000000000000/statuses/build", json={"key": "k"}), 404)


# ----------------------------------------------------------------------------- webhooks


@pytest.mark.parametrize("base", [f"{REPO}/hooks", "/workspaces/acme/hooks"])
def test_webhook_lifecycle(client: httpx.Client, base: str) -> None:
    created = client.post(
        base, json={"url": "https://hooks.example/x", "events": ["repo:push"], "description": "t"}
    )
    assert created.status_code == 201
    hook = _follow(client, created).json()
    assert hook["url"] == "https://hooks.example/x" and hook["active"] is True
    uid = quote(hook["uuid"], safe="")
    updated = client.put(
        f"{base}/{uid}", json={"events": ["repo:push", "pullrequest:created"], "active": False}
    )
    assert updated.status_code == 200 and updated.json()["active"] is False
    assert client.delete(f"{base}/{uid}").status_code == 204
    assert client.get(f"{base}/{uid}").status_code == 404
    error = _assert_error(client.post(base, json={"url": "not a url", "events": ["repo:push"]}), 400)
    assert "url" in error["fields"]  # type: ignore[operator]


# ----------------------------------------------------------------------------- pipelines


@pytest.mark.parametrize(
    "base", [f"{REPO}/pipelines_config/variables", "/workspaces/acme/pipelines-config/variables"]
)
def test_pipeline_variables_conflict_on_duplicate_keys(client: httpx.Client, base: str) -> None:
    created = client.post(base, json={"key": "WRITTEN_SECRET", "value": "hunter2", "secured": True})
    assert created.status_code == 201
    assert "value" not in created.json()
    fetched = _follow(client, created)
    assert fetched.status_code == 200 and "hunter2" not in fetched.text
    _assert_error(client.post(base, json={"key": "WRITTEN_SECRET", "value": "again"}), 409)
    uid = quote(created.json()["uuid"], safe="")
    updated = client.put(f"{base}/{uid}", json={"value": "visible", "secured": False})
    assert updated.status_code == 200 and updated.json()["value"] == "visible"
    assert client.delete(f"{base}/{uid}").status_code == 204
    assert client.get(f"{base}/{uid}").status_code == 404
    _assert_error(client.post(base, json={"key": "1BAD", "value": "x"}), 400)


def test_environments_conflict_on_duplicate_names(client: httpx.Client) -> None:
    body = {"name": "Canary", "environment_type": {"name": "Staging"}}
    created = client.post(f"{REPO}/environments", json=body)
    assert created.status_code == 201
    assert _follow(client, created).json()["name"] == "Canary"
    _assert_error(client.post(f"{REPO}/environments", json=body), 409)
    uid = quote(created.json()["uuid"], safe="")
    assert client.delete(f"{REPO}/environments/{uid}").status_code == 204
    assert client.get(f"{REPO}/environments/{uid}").status_code == 404


def test_pipeline_trigger_and_stop(client: httpx.Client) -> None:
    target = {"type": "pipeline_ref_target", "ref_type": "branch", "ref_name": "main"}
    triggered = client.post(f"{REPO}/pipelines/", json={"target": target})
    assert triggered.status_code == 201
    pipeline = _follow(client, triggered).json()
    assert pipeline["state"]["name"] == "PENDING"
    assert pipeline["target"]["ref_name"] == "main"
    uid = quote(pipeline["uuid"], safe="")
    stopped = client.post(f"{REPO}/pipelines/{uid}/stopPipeline")
    assert stopped.status_code == 204
    state = client.get(f"{REPO}/pipelines/{uid}").json()["state"]
    assert state["name"] == "COMPLETED" and state["result"]["name"] == "STOPPED"
    _assert_error(client.post(f"{REPO}/pipelines/{uid}/stopPipeline"), 400)
    bad = client.post(f"{REPO}/pipelines/", json={"target": {**target, "ref_name": "no-such-branch"}})
    assert "target" in _assert_error(bad, 400)["fields"]  # type: ignore[operator]


# ----------------------------------------------------------------------------- protocol details


def test_body_less_post_without_content_length_is_411(emu: EmulatorHandle, client: httpx.Client) -> None:
    pr = _new_pr(emu, client, "feature/length", "Length")
    request = client.build_request("POST", f"{REPO}/pullrequests/{pr['id']}/approve")
    request.headers.pop("Content-Length", None)
    _assert_error(client.send(request), 411)


def test_writes_to_another_workspace_are_refused(client: httpx.Client) -> None:
    answer = client.post(
        "/repositories/initech/tps-reports/refs/branches", json={"name": "x", "target": {"hash": "main"}}
    )
    assert answer.status_code in (403, 404)
