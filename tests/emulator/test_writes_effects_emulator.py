"""Side effects of writes, seen through later GETs over raw HTTP, as a client would see them.

A merge creates the merge commit, moves the destination branch and shows in the activity; an
asynchronous merge answers 202 and lands when polled (or when the emulator clock says so);
triggered pipelines run through their states by the emulator clock; approvals, forks, grants,
reviewers, restrictions and keys show in the listings; secrets are never echoed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bitbucket_sql.emulator import EmulatorHandle, run_emulator

API_TOKEN = ("demo@example.com", "demo-api-token")
REPO = "/repositories/acme/api"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEIQczXkVx9q effects@test"


@pytest.fixture()
def emu() -> Iterator[EmulatorHandle]:
    """A fresh emulator per test: these tests change data, timing and merge modes."""
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture()
def client(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, auth=API_TOKEN, timeout=30) as session:
        yield session


def _error(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["type"] == "error" and body["error"]["message"], body
    return body["error"]  # type: ignore[no-any-return]


def _demo_uuid(emu: EmulatorHandle) -> str:
    return str(emu.store.user_by_email("demo@example.com")["uuid"])


def _open_pr(client: httpx.Client) -> dict[str, Any]:
    """A generated open, non-draft pull request whose source branch is ahead of main."""
    values = client.get(f"{REPO}/pullrequests", params={"state": "OPEN", "pagelen": 50}).json()["values"]
    pr = next(item for item in sorted(values, key=lambda v: v["id"]) if not item["draft"])
    return client.get(f"{REPO}/pullrequests/{pr['id']}").json()  # type: ignore[no-any-return]


def _branch_head(client: httpx.Client, name: str) -> str:
    return str(client.get(f"{REPO}/refs/branches/{name}").json()["target"]["hash"])


def _activity(client: httpx.Client, pr_id: int) -> list[dict[str, Any]]:
    return client.get(f"{REPO}/pullrequests/{pr_id}/activity", params={"pagelen": 50}).json()["values"]  # type: ignore[no-any-return]


# ----------------------------------------------------------------------------- merges


def test_merge_creates_the_commit_moves_the_branch_and_closes_the_pr(
    emu: EmulatorHandle, client: httpx.Client
) -> None:
    pr = _open_pr(client)
    source = pr["source"]["branch"]["name"]
    main_before = _branch_head(client, "main")
    source_head = _branch_head(client, source)
    merged = client.post(
        f"{REPO}/pullrequests/{pr['id']}/merge",
        json={"merge_strategy": "merge_commit", "message": "Ship it", "close_source_branch": True},
    )
    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["state"] == "MERGED" and body["updated_on"] > pr["updated_on"]
    assert body["closed_by"]["uuid"] == _demo_uuid(emu)

    main_after = _branch_head(client, "main")
    assert main_after.startswith(body["merge_commit"]["hash"]) and main_after != main_before
    commit = client.get(f"{REPO}/commit/{main_after}").json()
    assert [parent["hash"] for parent in commit["parents"]] == [main_before, source_head]
    assert commit["message"] == "Ship it"
    assert client.get(f"{REPO}/commits/main").json()["values"][0]["hash"] == main_after
    assert client.get(f"{REPO}/refs/branches/{source}").status_code == 404  # close_source_branch

    again = client.get(f"{REPO}/pullrequests/{pr['id']}").json()
    assert again["state"] == "MERGED" and again["merge_commit"] == body["merge_commit"]
    merged_ids = client.get(f"{REPO}/pullrequests", params={"q": 'state = "MERGED"', "pagelen": 50}).json()
    assert pr["id"] in [item["id"] for item in merged_ids["values"]]
    updates = [entry["update"] for entry in _activity(client, pr["id"]) if "update" in entry]
    assert "MERGED" in [update["state"] for update in updates]


def test_squash_merge_has_one_parent(client: httpx.Client) -> None:
    pr = _open_pr(client)
    main_before = _branch_head(client, "main")
    merged = client.post(f"{REPO}/pullrequests/{pr['id']}/merge", json={"merge_strategy": "squash"})
    assert merged.status_code == 200, merged.text
    commit = client.get(f"{REPO}/commit/{_branch_head(client, 'main')}").json()
    assert [parent["hash"] for parent in commit["parents"]] == [main_before]


def test_merge_strategy_outside_the_spec_enum_is_a_field_error(client: httpx.Client) -> None:
    pr = _open_pr(client)
    error = _error(
        client.post(f"{REPO}/pullrequests/{pr['id']}/merge", json={"merge_strategy": "octopus"}), 400
    )
    assert "merge_strategy" in error["fields"]
    assert client.get(f"{REPO}/pullrequests/{pr['id']}").json()["state"] == "OPEN"


def test_async_merge_answers_202_and_lands_when_polled(emu: EmulatorHandle, client: httpx.Client) -> None:
    emu.set_merge_mode(pending_polls=2)
    pr = _open_pr(client)
    one = f"{REPO}/pullrequests/{pr['id']}"
    queued = client.post(f"{one}/merge", params={"async": "true"}, json={})
    assert queued.status_code == 202 and queued.content == b""
    location = queued.headers["location"]
    assert location.startswith(f"{emu.base_url}{one}/merge/task-status/")
    assert client.get(one).json()["state"] == "OPEN"  # not merged yet
    _error(client.post(f"{one}/merge", json={}), 409)  # one merge at a time
    statuses = [client.get(location).json() for _ in range(3)]
    assert [status["task_status"] for status in statuses] == ["PENDING", "PENDING", "SUCCESS"]
    assert statuses[0]["links"]["self"]["href"] == location
    assert "merge_result" not in statuses[0]
    assert statuses[2]["merge_result"]["state"] == "MERGED"
    assert client.get(one).json()["state"] == "MERGED"
    assert client.get(location).json()["task_status"] == "SUCCESS"  # stays answered
    other = f"{REPO}/pullrequests/{pr['id'] + 1}/merge/task-status/{location.rsplit('/', 1)[-1]}"
    _error(client.get(other), 400)  # a task id of another pull request


def test_merge_mode_always_makes_every_merge_async_and_the_clock_completes_it(
    emu: EmulatorHandle, client: httpx.Client
) -> None:
    emu.set_merge_mode("always", complete_after_seconds=30)
    pr = _open_pr(client)
    one = f"{REPO}/pullrequests/{pr['id']}"
    assert client.post(f"{one}/merge", json={}).status_code == 202
    assert client.get(one).json()["state"] == "OPEN"
    emu.advance_time(31)  # a client that never polls still sees the merge land
    assert client.get(one).json()["state"] == "MERGED"


def test_declined_pull_request_cannot_be_merged_or_reviewed(
    emu: EmulatorHandle, client: httpx.Client
) -> None:
    pr = _open_pr(client)
    one = f"{REPO}/pullrequests/{pr['id']}"
    declined = client.post(f"{one}/decline", json={"reason": "not now"})
    assert declined.status_code == 200
    assert declined.json()["state"] == "DECLINED"
    assert declined.json()["closed_by"]["uuid"] == _demo_uuid(emu)
    error = _error(client.post(f"{one}/merge", json={}), 409)
    assert "DECLINED" in error["detail"]
    _error(client.post(f"{one}/approve"), 400)
    _error(client.post(f"{one}/decline"), 400)
    updates = [entry["update"]["state"] for entry in _activity(client, pr["id"]) if "update" in entry]
    assert "DECLINED" in updates


# ----------------------------------------------------------------------------- reviews and refs


def test_approvals_and_change_requests_show_in_participants_and_activity(
    emu: EmulatorHandle, client: httpx.Client
) -> None:
    pr = _open_pr(client)
    one = f"{REPO}/pullrequests/{pr['id']}"
    demo = _demo_uuid(emu)
    assert client.post(f"{one}/approve").json()["approved"] is True
    participant = next(p for p in client.get(one).json()["participants"] if p["user"]["uuid"] == demo)
    assert participant["approved"] is True and participant["state"] == "approved"
    approvals = [entry["approval"] for entry in _activity(client, pr["id"]) if "approval" in entry]
    assert demo in [approval["user"]["uuid"] for approval in approvals]
    assert client.delete(f"{one}/approve").status_code == 204
    participant = next(p for p in client.get(one).json()["participants"] if p["user"]["uuid"] == demo)
    assert participant["approved"] is False
    assert client.post(f"{one}/request-changes").json()["state"] == "changes_requested"
    kinds = [key for entry in _activity(client, pr["id"]) for key in entry if key != "pull_request"]
    assert "changes_requested" in kinds


def test_new_branch_shows_in_branches_and_refs_and_deleting_removes_it(client: httpx.Client) -> None:
    head = _branch_head(client, "main")
    created = client.post(f"{REPO}/refs/branches", json={"name": "effects/new", "target": {"hash": "main"}})
    assert created.status_code == 201 and created.json()["target"]["hash"] == head

    def names(path: str) -> list[str]:
        return [ref["name"] for ref in client.get(f"{REPO}/{path}", params={"pagelen": 100}).json()["values"]]

    assert "effects/new" in names("refs/branches") and "effects/new" in names("refs")
    duplicate = _error(
        client.post(f"{REPO}/refs/branches", json={"name": "effects/new", "target": {"hash": head}}), 400
    )
    assert "name" in duplicate["fields"]
    assert client.delete(f"{REPO}/refs/branches/effects/new").status_code == 204
    assert "effects/new" not in names("refs/branches") and "effects/new" not in names("refs")


def test_pull_request_needs_an_existing_source_and_defaults_to_the_main_branch(client: httpx.Client) -> None:
    error = _error(
        client.post(f"{REPO}/pullrequests", json={"title": "x", "source": {"branch": {"name": "nope"}}}), 400
    )
    assert error["fields"]["source"] and "source branch" in error["detail"]
    assert (
        client.post(
            f"{REPO}/refs/branches", json={"name": "effects/pr", "target": {"hash": "main"}}
        ).status_code
        == 201
    )
    created = client.post(
        f"{REPO}/pullrequests", json={"title": "Defaults", "source": {"branch": {"name": "effects/pr"}}}
    )
    assert created.status_code == 201
    assert created.json()["destination"]["branch"]["name"] == "main"


# ----------------------------------------------------------------------------- pipelines


def _pipeline(client: httpx.Client, uuid: str) -> dict[str, Any]:
    return client.get(f"{REPO}/pipelines/{quote(uuid, safe='')}").json()  # type: ignore[no-any-return]


def _steps(client: httpx.Client, uuid: str) -> list[dict[str, Any]]:
    return client.get(f"{REPO}/pipelines/{quote(uuid, safe='')}/steps").json()["values"]  # type: ignore[no-any-return]


def test_triggered_pipeline_runs_through_its_states_by_the_clock(
    emu: EmulatorHandle, client: httpx.Client
) -> None:
    emu.set_pipeline_timing(pending_seconds=10, running_seconds=60, result="FAILED")
    target = {
        "type": "pipeline_ref_target",
        "ref_type": "branch",
        "ref_name": "main",
        "selector": {"type": "custom", "pattern": "deploy"},
    }
    body = {
        "target": target,
        "variables": [{"key": "ENV", "value": "prod"}, {"key": "TOKEN", "value": "t0p", "secured": True}],
    }
    triggered = client.post(f"{REPO}/pipelines", json=body)
    assert triggered.status_code == 201 and "t0p" not in triggered.text
    uuid = triggered.json()["uuid"]
    assert triggered.json()["state"]["name"] == "PENDING"
    assert triggered.json()["target"]["selector"] == {"type": "custom", "pattern": "deploy"}
    assert triggered.json()["has_variables"] is True
    emu.advance_time(10)
    running = _pipeline(client, uuid)
    assert running["state"]["name"] == "IN_PROGRESS"
    assert [step["state"]["name"] for step in _steps(client, uuid)] == ["IN_PROGRESS"]
    emu.advance_time(60)
    done = _pipeline(client, uuid)
    assert done["state"]["name"] == "COMPLETED" and done["state"]["result"]["name"] == "FAILED"
    assert done["completed_on"] and done["build_seconds_used"] == 60
    assert _steps(client, uuid)[0]["state"]["result"]["name"] == "FAILED"
    listed = client.get(f"{REPO}/pipelines", params={"sort": "-created_on"}).json()["values"]
    assert listed[0]["uuid"] == uuid and listed[0]["state"]["name"] == "COMPLETED"
    _error(client.post(f"{REPO}/pipelines/{quote(uuid, safe='')}/stopPipeline"), 400)


def test_stopping_a_running_pipeline_keeps_it_stopped(emu: EmulatorHandle, client: httpx.Client) -> None:
    emu.set_pipeline_timing(pending_seconds=0, running_seconds=100)
    target = {"type": "pipeline_commit_target", "commit": {"hash": _branch_head(client, "main")[:12]}}
    uuid = client.post(f"{REPO}/pipelines", json={"target": target}).json()["uuid"]
    assert _pipeline(client, uuid)["state"]["name"] == "IN_PROGRESS"
    assert client.post(f"{REPO}/pipelines/{quote(uuid, safe='')}/stopPipeline").status_code == 204
    emu.advance_time(500)
    state = _pipeline(client, uuid)["state"]
    assert state["name"] == "COMPLETED" and state["result"]["name"] == "STOPPED"


# ----------------------------------------------------------------------------- secrets


def test_secured_variables_never_return_their_value(client: httpx.Client) -> None:
    base = f"{REPO}/pipelines_config/variables"
    created = client.post(base, json={"key": "DEPLOY_TOKEN", "value": "very-secret", "secured": True})
    assert created.status_code == 201 and "value" not in created.json()
    one = f"{base}/{quote(created.json()['uuid'], safe='')}"
    listing = client.get(base, params={"pagelen": 100})
    assert "very-secret" not in listing.text and "very-secret" not in client.get(one).text
    updated = client.put(one, json={"key": "DEPLOY_TOKEN", "value": "newer-secret"})
    assert updated.status_code == 200 and "value" not in updated.json() and updated.json()["secured"] is True


def test_webhook_secret_is_never_echoed(client: httpx.Client) -> None:
    created = client.post(
        f"{REPO}/hooks",
        json={"url": "https://hooks.example/s", "events": ["repo:push"], "secret": "hmac-key-123"},
    )
    assert created.status_code == 201 and created.json()["secret_set"] is True
    one = f"{REPO}/hooks/{quote(created.json()['uuid'], safe='')}"
    assert "hmac-key-123" not in created.text and "hmac-key-123" not in client.get(one).text
    assert client.put(one, json={"description": "kept"}).json()["secret_set"] is True
    assert client.put(one, json={"secret": None}).json()["secret_set"] is False
    error = _error(
        client.post(f"{REPO}/hooks", json={"url": "https://h.example", "events": ["repo:nope"]}), 400
    )
    assert "repo:nope" in error["fields"]["events"][0]


# ----------------------------------------------------------------------------- forks and settings


def test_fork_shows_in_forks_and_repository_listings(client: httpx.Client) -> None:
    forked = client.post(f"{REPO}/forks", json={"name": "api fork", "workspace": {"slug": "acme"}})
    assert forked.status_code == 201, forked.text
    fork = forked.json()
    assert fork["full_name"] == "acme/api_fork" and fork["parent"]["full_name"] == "acme/api"
    assert forked.headers["location"].endswith("/repositories/acme/api_fork")
    assert "acme/api_fork" in [repo["full_name"] for repo in client.get(f"{REPO}/forks").json()["values"]]
    listed = client.get("/repositories/acme", params={"q": 'slug = "api_fork"'}).json()["values"]
    assert [repo["slug"] for repo in listed] == ["api_fork"]
    assert client.get("/repositories/acme/api_fork/refs/branches/main").json()["target"][
        "hash"
    ] == _branch_head(client, "main")
    assert "name" in _error(client.post(f"{REPO}/forks", json={"name": "api fork"}), 400)["fields"]
    _error(client.post(f"{REPO}/forks", json={"workspace": {"slug": "globex"}}), 403)  # only a member there


def test_grants_reviewers_restrictions_keys_and_schedules_show_in_reads(
    emu: EmulatorHandle, client: httpx.Client
) -> None:
    demo = _demo_uuid(emu)
    member = next(uuid for uuid in sorted(emu.store.workspaces["acme"].members) if uuid != demo)
    encoded_member = quote(member, safe="")

    grant = client.put(f"{REPO}/permissions-config/users/{encoded_member}", json={"permission": "admin"})
    assert grant.status_code == 200 and grant.json()["permission"] == "admin"
    assert client.get(f"{REPO}/permissions-config/users/{encoded_member}").json()["permission"] == "admin"
    assert "fields" in _error(
        client.put(f"{REPO}/permissions-config/users/{encoded_member}", json={"permission": "owner"}), 400
    )
    assert client.delete(f"{REPO}/permissions-config/users/{encoded_member}").status_code == 204
    assert client.get(f"{REPO}/permissions-config/users/{encoded_member}").status_code == 404
    project_key = client.get(REPO).json()["project"]["key"]
    project_grant = f"/workspaces/acme/projects/{project_key}/permissions-config/groups/developers"
    assert client.put(project_grant, json={"permission": "create-repo"}).json()["permission"] == "create-repo"
    assert client.get(project_grant).json()["permission"] == "create-repo"

    assert client.put(f"{REPO}/default-reviewers/{encoded_member}").json()["uuid"] == member
    effective = client.get(f"{REPO}/effective-default-reviewers", params={"pagelen": 100}).json()["values"]
    assert member in [entry["user"]["uuid"] for entry in effective]
    assert client.delete(f"{REPO}/default-reviewers/{encoded_member}").status_code == 204
    assert client.get(f"{REPO}/default-reviewers/{encoded_member}").status_code == 404

    body = {
        "kind": "require_approvals_to_merge",
        "branch_match_kind": "glob",
        "pattern": "effects/*",
        "value": 2,
    }
    created = client.post(f"{REPO}/branch-restrictions", json=body)
    assert created.status_code == 201
    assert "kind" in _error(client.post(f"{REPO}/branch-restrictions", json=body), 400)["fields"]
    restriction = f"{REPO}/branch-restrictions/{created.json()['id']}"
    assert client.put(restriction, json={"value": 3}).json()["pattern"] == "effects/*"  # absent fields kept
    assert client.get(restriction).json()["value"] == 3

    key = client.post(f"{REPO}/deploy-keys", json={"key": SSH_KEY, "label": "effects"})
    assert key.status_code == 200 and key.json()["comment"] == "effects@test"
    assert key.json()["id"] in [item["id"] for item in client.get(f"{REPO}/deploy-keys").json()["values"]]
    assert "key" in _error(client.post(f"{REPO}/deploy-keys", json={"key": "not a key"}), 400)["fields"]

    schedules = f"{REPO}/pipelines_config/schedules"
    bad = {
        "target": {"ref_type": "branch", "ref_name": "main", "selector": {"type": "branches"}},
        "cron_pattern": "* *",
    }
    assert "cron_pattern" in _error(client.post(schedules, json=bad), 400)["fields"]
    made = client.post(schedules, json={**bad, "cron_pattern": "0 30 2 * * ? *"})
    assert made.status_code == 201
    assert made.json()["uuid"] in [item["uuid"] for item in client.get(schedules).json()["values"]]


def test_write_requests_are_counted_per_method_and_route(emu: EmulatorHandle, client: httpx.Client) -> None:
    emu.reset_stats()
    client.get(f"{REPO}/refs/branches")
    reads_only = emu.stats()["routes"]
    assert all(key.startswith("GET ") for key in reads_only)
    client.post(f"{REPO}/refs/branches", json={"name": "effects/counted", "target": {"hash": "main"}})
    client.delete(f"{REPO}/refs/branches/effects/counted")
    routes = emu.stats()["routes"]
    assert routes["POST /2.0/repositories/{workspace}/{repo_slug}/refs/branches"] == 1
    assert routes["DELETE /2.0/repositories/{workspace}/{repo_slug}/refs/branches/{name:path}"] == 1


def test_renaming_a_repository_moves_its_url(client: httpx.Client) -> None:
    assert client.post("/repositories/acme/to-rename", json={"project": {"key": "API"}}).status_code == 200
    renamed = client.put("/repositories/acme/to-rename", json={"name": "Renamed Repo"})
    assert renamed.status_code == 200
    assert renamed.json()["full_name"] == "acme/renamed-repo"
    assert renamed.headers["location"].endswith("/repositories/acme/renamed-repo")
    assert client.get("/repositories/acme/renamed-repo").json()["name"] == "Renamed Repo"
    assert client.get("/repositories/acme/to-rename").status_code == 404
    taken = client.put("/repositories/acme/renamed-repo", json={"name": "api"})
    assert "name" in _error(taken, 400)["fields"]


def test_changing_a_project_key_moves_the_project_and_its_repositories(client: httpx.Client) -> None:
    project_uuid = client.post("/workspaces/acme/projects", json={"key": "OLDK", "name": "Old"}).json()[
        "uuid"
    ]
    made = client.post("/repositories/acme/in-oldk", json={"project": {"key": project_uuid}})
    assert made.json()["project"]["key"] == "OLDK"  # the spec allows the project UUID as key
    moved = client.put("/workspaces/acme/projects/OLDK", json={"key": "NEWK", "name": "New"})
    assert moved.status_code == 200 and moved.headers["location"].endswith("/workspaces/acme/projects/NEWK")
    assert moved.json()["uuid"] == project_uuid
    assert client.get("/workspaces/acme/projects/OLDK").status_code == 404
    assert client.get("/repositories/acme/in-oldk").json()["project"]["key"] == "NEWK"


def test_environment_changes_are_accepted_with_202(client: httpx.Client) -> None:
    created = client.post(
        f"{REPO}/environments", json={"name": "Canary", "environment_type": {"name": "Test"}}
    )
    one = f"{REPO}/environments/{quote(created.json()['uuid'], safe='')}"
    changed = client.post(f"{one}/changes", json={"change": {"name": "Canary 2", "hidden": True}})
    assert changed.status_code == 202 and changed.content == b""
    assert client.get(one).json()["name"] == "Canary 2"
    assert "rank" in _error(client.post(f"{one}/changes", json={"change": {"rank": 9}}), 400)["fields"]


def test_the_author_cannot_review_their_own_pull_request(emu: EmulatorHandle, client: httpx.Client) -> None:
    assert (
        client.post(
            f"{REPO}/refs/branches", json={"name": "effects/self", "target": {"hash": "main"}}
        ).status_code
        == 201
    )
    body = {
        "title": "Self",
        "source": {"branch": {"name": "effects/self"}},
        "reviewers": [{"uuid": _demo_uuid(emu)}],
    }
    assert "reviewers" in _error(client.post(f"{REPO}/pullrequests", json=body), 400)["fields"]


def test_commit_approval_shows_on_the_commit(emu: EmulatorHandle, client: httpx.Client) -> None:
    head = _branch_head(client, "main")
    approved = client.post(f"{REPO}/commit/{head[:12]}/approve")
    assert approved.status_code == 200 and approved.json()["approved"] is True
    participants = client.get(f"{REPO}/commit/{head}").json()["participants"]
    assert [p["user"]["uuid"] for p in participants] == [_demo_uuid(emu)]
    assert client.delete(f"{REPO}/commit/{head}/approve").status_code == 204
    assert client.get(f"{REPO}/commit/{head}").json()["participants"] == []
    _error(client.delete(f"{REPO}/commit/{head}/approve"), 404)


def test_downloads_upload_replace_and_delete(client: httpx.Client) -> None:
    def listed() -> dict[str, int]:
        values = client.get(f"{REPO}/downloads", params={"pagelen": 100}).json()["values"]
        return {item["name"]: item["size"] for item in values}

    upload = client.post(f"{REPO}/downloads", files=[("files", ("notes.txt", b"12345", "text/plain"))])
    assert upload.status_code == 201 and upload.headers["location"].endswith("/downloads/notes.txt")
    assert listed()["notes.txt"] == 5
    client.post(f"{REPO}/downloads", files=[("files", ("notes.txt", b"1234567890", "text/plain"))])
    assert listed()["notes.txt"] == 10  # the same name is replaced
    _error(client.post(f"{REPO}/downloads", json={"files": "notes.txt"}), 406)
    assert client.delete(f"{REPO}/downloads/notes.txt").status_code == 204
    assert "notes.txt" not in listed()


def test_a_webhook_needs_the_scope_of_its_events(emu: EmulatorHandle) -> None:
    emu.credentials.add_access_token("hooks-only-token", "acme", frozenset({"webhook", "repository"}))
    headers = {"Authorization": "Bearer hooks-only-token"}
    hooks = f"{emu.base_url}{REPO}/hooks"
    pushes = httpx.post(hooks, headers=headers, json={"url": "https://h.example/1", "events": ["repo:push"]})
    assert pushes.status_code == 201
    body = {"url": "https://h.example/2", "events": ["repo:push", "pullrequest:created"]}
    refused = httpx.post(hooks, headers=headers, json=body)
    assert refused.status_code == 403 and refused.json()["error"]["data"]["missing"] == ["pullrequest"]


def test_write_requests_lists_only_writes(emu: EmulatorHandle, client: httpx.Client) -> None:
    emu.reset_stats()
    client.get(REPO)
    assert emu.write_requests() == {}
    client.post(f"{REPO}/refs/tags", json={"name": "counted", "target": {"hash": "main"}})
    assert emu.write_requests() == {"POST /2.0/repositories/{workspace}/{repo_slug}/refs/tags": 1}


def test_a_rejected_pull_request_update_changes_nothing(emu: EmulatorHandle, client: httpx.Client) -> None:
    pr = _open_pr(client)
    one = f"{REPO}/pullrequests/{pr['id']}"
    body = {"title": "Should not stick", "reviewers": [{"uuid": pr["author"]["uuid"]}]}
    assert "reviewers" in _error(client.put(one, json=body), 400)["fields"]
    after = client.get(one).json()
    assert after["title"] == pr["title"] and after["updated_on"] == pr["updated_on"]


def test_sending_the_unchanged_name_does_not_move_a_repository(client: httpx.Client) -> None:
    repo = client.get("/repositories/acme/data-pipeline").json()
    updated = client.put(
        "/repositories/acme/data-pipeline", json={"name": repo["name"], "description": "same name"}
    )
    assert updated.status_code == 200 and updated.json()["slug"] == "data-pipeline"
    assert "location" not in updated.headers
