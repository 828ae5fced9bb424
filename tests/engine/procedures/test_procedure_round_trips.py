"""Every procedure against the emulator: CALL through SQL, read back through SQL, check over raw HTTP.

Each test runs on its own emulator (see conftest), so the pull requests and pipelines it changes
start in the generated state. What is checked over HTTP is what the real API would hold after
the action: states, merge commits, moved branches, activity entries, participants, new runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bitbucket_sql.api.errors import BitbucketError
from bitbucket_sql.engine import Engine

DEMO_UUID = "{d3a0d3a0-0000-4000-8000-00000000d3a0}"


def open_pull_request(api: httpx.Client, repository: str = "api") -> dict[str, Any]:
    """The newest open pull request of a repository, as the API returns it."""
    values = api.get(f"/repositories/acme/{repository}/pullrequests", params={"state": "OPEN"}).json()["values"]
    assert values, f"the tiny emulator data should have open pull requests in acme/{repository}"
    return max(values, key=lambda pr: pr["id"])


def one_row(engine: Engine, sql: str) -> dict[str, Any]:
    result = engine.execute(sql)
    assert len(result.rows) == 1, result.rows
    return dict(zip([c.name for c in result.columns], result.rows[0], strict=True))


def participant(pr: dict[str, Any], uuid: str = DEMO_UUID) -> dict[str, Any] | None:
    return next((p for p in pr["participants"] if p["user"]["uuid"] == uuid), None)


# ----------------------------------------------------------------------------- merge


def test_merge_pull_request_merges_moves_the_branch_and_records_the_activity(
    make_engine: Callable[..., Engine], api: httpx.Client
) -> None:
    engine = make_engine(CacheTTL=300)  # a cached read before the merge must not hide it
    pr = open_pull_request(api)
    where = f"repository = 'api' AND id = {pr['id']}"
    assert one_row(engine, f"SELECT state FROM pull_requests WHERE {where}")["state"] == "OPEN"

    row = one_row(engine, f"CALL merge_pull_request(repository => 'api', pull_request_id => {pr['id']}, "
                          f"merge_strategy => 'merge_commit', message => 'Ship it')")

    assert row["state"] == "MERGED" and row["id"] == pr["id"]
    assert row["merge_commit_hash"] and row["closed_by_uuid"] == DEMO_UUID
    read_back = one_row(engine, f"SELECT state, merge_commit_hash, closed_by_uuid FROM pull_requests WHERE {where}")
    assert read_back == {"state": "MERGED", "merge_commit_hash": row["merge_commit_hash"], "closed_by_uuid": DEMO_UUID}

    held = api.get(f"/repositories/acme/api/pullrequests/{pr['id']}").json()
    assert held["state"] == "MERGED" and held["closed_by"]["uuid"] == DEMO_UUID
    assert held["merge_commit"]["hash"] == row["merge_commit_hash"]
    destination = api.get(f"/repositories/acme/api/refs/branches/{pr['destination']['branch']['name']}").json()
    assert destination["target"]["hash"].startswith(row["merge_commit_hash"])
    assert destination["target"]["message"].startswith("Ship it")
    activity = api.get(f"/repositories/acme/api/pullrequests/{pr['id']}/activity").json()["values"]
    assert any((entry.get("update") or {}).get("state") == "MERGED" for entry in activity)


def test_merge_with_close_source_branch_deletes_the_branch(engine: Engine, api: httpx.Client) -> None:
    pr = open_pull_request(api)
    source = pr["source"]["branch"]["name"]
    assert api.get(f"/repositories/acme/api/refs/branches/{source}").status_code == 200

    row = one_row(engine, "CALL merge_pull_request('acme', 'api', ?, 'squash', NULL, TRUE)".replace("?", str(pr["id"])))

    assert row["state"] == "MERGED" and row["close_source_branch"] is True
    assert api.get(f"/repositories/acme/api/refs/branches/{source}").status_code == 404
    assert one_row(engine, f"SELECT count(*) AS n FROM branches WHERE repository = 'api' AND name = '{source}'")["n"] == 0


def test_async_merge_polls_the_task_status_until_done(
    engine: Engine, api: httpx.Client, writable_emulator: Any
) -> None:
    pr = open_pull_request(api)
    writable_emulator.reset_stats()

    row = one_row(engine, f"CALL merge_pull_request(repository => 'api', pull_request_id => {pr['id']}, "
                          f"async_merge => TRUE)")

    assert row["state"] == "MERGED" and row["merge_commit_hash"]
    routes = writable_emulator.stats()["routes"]
    polls = sum(count for route, count in routes.items() if "task-status" in route)
    assert polls >= 1, routes  # the 202 was followed, not mistaken for the result
    assert api.get(f"/repositories/acme/api/pullrequests/{pr['id']}").json()["state"] == "MERGED"


def test_merging_a_declined_pull_request_reports_the_api_conflict(engine: Engine, api: httpx.Client) -> None:
    pr = open_pull_request(api)
    engine.execute(f"CALL decline_pull_request(repository => 'api', pull_request_id => {pr['id']})")

    with pytest.raises(BitbucketError) as caught:
        engine.execute(f"CALL merge_pull_request(repository => 'api', pull_request_id => {pr['id']})")

    assert caught.value.status in (400, 409)
    assert "DECLINED" in str(caught.value)
    assert api.get(f"/repositories/acme/api/pullrequests/{pr['id']}").json()["state"] == "DECLINED"


# ----------------------------------------------------------------------------- decline


def test_decline_pull_request(engine: Engine, api: httpx.Client) -> None:
    pr = open_pull_request(api)

    row = one_row(engine, f"CALL decline_pull_request('acme', 'api', {pr['id']})")

    assert row["state"] == "DECLINED" and row["closed_by_uuid"] == DEMO_UUID and row["merge_commit_hash"] is None
    read_back = one_row(engine, f"SELECT state, closed_by_display_name FROM pull_requests "
                                f"WHERE repository = 'api' AND id = {pr['id']}")
    assert read_back == {"state": "DECLINED", "closed_by_display_name": row["closed_by_display_name"]}
    held = api.get(f"/repositories/acme/api/pullrequests/{pr['id']}").json()
    assert held["state"] == "DECLINED" and held["closed_by"]["uuid"] == DEMO_UUID
    activity = api.get(f"/repositories/acme/api/pullrequests/{pr['id']}/activity").json()["values"]
    assert any((entry.get("update") or {}).get("state") == "DECLINED" for entry in activity)


# ----------------------------------------------------------------------------- reviews


def test_approve_then_unapprove_pull_request(engine: Engine, api: httpx.Client) -> None:
    pr = open_pull_request(api)
    args = f"repository => 'api', pull_request_id => {pr['id']}"

    approved = one_row(engine, f"CALL approve_pull_request({args})")

    assert approved["user_uuid"] == DEMO_UUID and approved["approved"] is True and approved["state"] == "approved"
    entry = participant(api.get(f"/repositories/acme/api/pullrequests/{pr['id']}").json())
    assert entry is not None and entry["approved"] is True
    approvals = engine.execute(f"SELECT approval_user_uuid FROM pull_request_activity WHERE repository = 'api' "
                               f"AND pull_request_id = {pr['id']} AND approval_user_uuid IS NOT NULL").rows
    assert (DEMO_UUID,) in approvals

    withdrawn = one_row(engine, f"CALL unapprove_pull_request({args})")

    assert withdrawn == {"success": True,
                         "message": f"Approval of pull request {pr['id']} in acme/api withdrawn."}
    entry = participant(api.get(f"/repositories/acme/api/pullrequests/{pr['id']}").json())
    assert entry is not None and entry["approved"] is False
    participants = json.loads(one_row(engine, f"SELECT participants FROM pull_requests WHERE repository = 'api' "
                                              f"AND id = {pr['id']}")["participants"])
    assert [p["approved"] for p in participants if p["user"]["uuid"] == DEMO_UUID] == [False]


def test_request_changes_then_remove_the_request(engine: Engine, api: httpx.Client) -> None:
    pr = open_pull_request(api)
    args = f"repository => 'api', pull_request_id => {pr['id']}"

    requested = one_row(engine, f"CALL request_changes_pull_request({args})")

    assert requested["state"] == "changes_requested" and requested["approved"] is False
    entry = participant(api.get(f"/repositories/acme/api/pullrequests/{pr['id']}").json())
    assert entry is not None and entry["state"] == "changes_requested"
    requests = engine.execute(f"SELECT changes_requested_user_uuid FROM pull_request_activity WHERE repository = "
                              f"'api' AND pull_request_id = {pr['id']} AND changes_requested_user_uuid IS NOT NULL")
    assert (DEMO_UUID,) in requests.rows

    removed = one_row(engine, f"CALL remove_change_request_pull_request({args})")

    assert removed["success"] is True
    entry = participant(api.get(f"/repositories/acme/api/pullrequests/{pr['id']}").json())
    assert entry is not None and entry["state"] is None


# ----------------------------------------------------------------------------- comment threads


def test_resolve_then_reopen_a_comment_thread(engine: Engine, api: httpx.Client) -> None:
    found = engine.execute(
        "SELECT pull_request_id, id FROM pull_request_comments WHERE repository = 'api' AND parent_id IS NULL "
        "AND resolution_created_on IS NULL AND NOT deleted ORDER BY id LIMIT 1"
    ).rows
    assert found, "the tiny emulator data should have an unresolved top-level comment in acme/api"
    pr_id, comment_id = found[0]
    args = f"repository => 'api', pull_request_id => {pr_id}, comment_id => {comment_id}"

    resolved = one_row(engine, f"CALL resolve_pull_request_comment({args})")

    assert resolved["user_uuid"] == DEMO_UUID and resolved["created_on"] is not None
    held = api.get(f"/repositories/acme/api/pullrequests/{pr_id}/comments/{comment_id}").json()
    assert held["resolution"]["user"]["uuid"] == DEMO_UUID
    where = f"repository = 'api' AND pull_request_id = {pr_id} AND id = {comment_id}"
    assert one_row(engine, f"SELECT resolution_user_uuid FROM pull_request_comments WHERE {where}") == {
        "resolution_user_uuid": DEMO_UUID}

    reopened = one_row(engine, f"CALL reopen_pull_request_comment({args})")

    assert reopened["success"] is True
    assert not api.get(f"/repositories/acme/api/pullrequests/{pr_id}/comments/{comment_id}").json().get("resolution")
    assert one_row(engine, f"SELECT resolution_user_uuid FROM pull_request_comments WHERE {where}") == {
        "resolution_user_uuid": None}


# ----------------------------------------------------------------------------- commits


def test_approve_then_unapprove_a_commit(engine: Engine, api: httpx.Client) -> None:
    sha = api.get("/repositories/acme/api/commits", params={"pagelen": 1}).json()["values"][0]["hash"]

    approved = one_row(engine, f"CALL approve_commit(repository => 'api', commit => '{sha}')")

    assert approved["user_uuid"] == DEMO_UUID and approved["approved"] is True
    held = api.get(f"/repositories/acme/api/commit/{sha}").json()
    assert any(p["user"]["uuid"] == DEMO_UUID and p["approved"] for p in held.get("participants", []))

    withdrawn = one_row(engine, f"CALL unapprove_commit(repository => 'api', commit => '{sha}')")

    assert withdrawn["success"] is True
    held = api.get(f"/repositories/acme/api/commit/{sha}").json()
    assert not any(p["user"]["uuid"] == DEMO_UUID and p["approved"] for p in held.get("participants", []))


# ----------------------------------------------------------------------------- pipelines


def _pipelines(api: httpx.Client, repository: str = "api") -> list[dict[str, Any]]:
    return api.get(f"/repositories/acme/{repository}/pipelines", params={"pagelen": 100}).json()["values"]


def test_stop_pipeline(engine: Engine, api: httpx.Client) -> None:
    running = [p for p in _pipelines(api) if p["state"]["name"] != "COMPLETED"]
    assert running, "the tiny emulator data should have an unfinished pipeline in acme/api"
    uuid = running[0]["uuid"]

    row = one_row(engine, f"CALL stop_pipeline(repository => 'api', pipeline_uuid => '{uuid}')")

    assert row == {"success": True, "message": f"Pipeline {uuid} in acme/api signalled to stop."}
    held = api.get(f"/repositories/acme/api/pipelines/{uuid}").json()
    assert held["state"]["name"] == "COMPLETED" and held["state"]["result"]["name"] == "STOPPED"
    read_back = one_row(engine, f"SELECT state_name, state_result_name FROM pipelines WHERE repository = 'api' "
                                f"AND uuid = '{uuid}'")
    assert read_back == {"state_name": "COMPLETED", "state_result_name": "STOPPED"}


def test_stopping_a_completed_pipeline_is_the_apis_400(engine: Engine, api: httpx.Client) -> None:
    done = next(p for p in _pipelines(api) if p["state"]["name"] == "COMPLETED")

    with pytest.raises(BitbucketError) as caught:
        engine.execute(f"CALL stop_pipeline(repository => 'api', pipeline_uuid => '{done['uuid']}')")

    assert caught.value.status == 400 and "completed" in str(caught.value).lower()


def test_rerun_pipeline_starts_a_new_run_of_the_same_target(engine: Engine, api: httpx.Client) -> None:
    before = _pipelines(api)
    original = next(p for p in before if p["target"].get("ref_name") == "main")

    row = one_row(engine, f"CALL rerun_pipeline(repository => 'api', pipeline_uuid => '{original['uuid']}')")

    assert row["uuid"] != original["uuid"]
    assert row["build_number"] > max(p["build_number"] for p in before)
    assert (row["target_ref_type"], row["target_ref_name"]) == ("branch", "main")
    assert row["target_selector_pattern"] == original["target"]["selector"]["pattern"]
    held = api.get(f"/repositories/acme/api/pipelines/{row['uuid']}").json()
    assert held["target"]["ref_name"] == "main" and held["state"]["name"] in ("PENDING", "IN_PROGRESS")
    assert len(_pipelines(api)) == len(before) + 1
    read_back = one_row(engine, f"SELECT build_number, target_ref_name FROM pipelines WHERE repository = 'api' "
                                f"AND uuid = '{row['uuid']}'")
    assert read_back == {"build_number": row["build_number"], "target_ref_name": "main"}


def test_rerun_of_a_run_whose_branch_is_gone_reports_the_api_error(engine: Engine, api: httpx.Client) -> None:
    branches = {b["name"] for b in api.get("/repositories/acme/api/refs/branches",
                                           params={"pagelen": 100}).json()["values"]}
    orphan = next((p for p in _pipelines(api) if p["target"].get("ref_name") not in branches), None)
    if orphan is None:
        pytest.fail("the tiny emulator data should have a pipeline of a deleted branch in acme/api")
    count = len(_pipelines(api))

    with pytest.raises(BitbucketError) as caught:
        engine.execute(f"CALL rerun_pipeline(repository => 'api', pipeline_uuid => '{orphan['uuid']}')")

    assert caught.value.status == 400 and orphan["target"]["ref_name"] in str(caught.value)
    assert len(_pipelines(api)) == count


def test_delete_pipeline_caches(engine: Engine, api: httpx.Client) -> None:
    caches = api.get("/repositories/acme/api/pipelines-config/caches", params={"pagelen": 100}).json()["values"]
    assert caches, "the tiny emulator data should have pipeline caches in acme/api"
    name = caches[0]["name"]

    row = one_row(engine, f"CALL delete_pipeline_caches(repository => 'api', name => '{name}')")

    assert row == {"success": True, "message": f"Pipeline caches named {name!r} of acme/api deleted."}
    left = api.get("/repositories/acme/api/pipelines-config/caches", params={"pagelen": 100}).json()["values"]
    assert not [cache for cache in left if cache["name"] == name]
    assert len(left) == len([cache for cache in caches if cache["name"] != name])


def test_deleting_caches_that_do_not_exist_is_the_apis_404(engine: Engine) -> None:
    with pytest.raises(BitbucketError) as caught:
        engine.execute("CALL delete_pipeline_caches(repository => 'api', name => 'no-such-cache')")
    assert caught.value.status == 404
