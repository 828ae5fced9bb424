"""The natural UPDATE: ``UPDATE pull_requests SET state = 'MERGED' | 'DECLINED'`` runs the action.

Only the transitions the API has exist (OPEN -> MERGED, OPEN -> DECLINED); every other value, or
a pull request that is no longer open, is refused naming what works, before any write is sent.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.procedure_update import ProcedureCall, procedure_for_update
from bitbucket_sql.engine.procedures import ProcedureArgumentError
from bitbucket_sql.engine.writes import ReadOnlyConnectionError

ROW = {"workspace": "acme", "repository": "api", "id": 6, "state": "OPEN"}


def writes_sent(emulator: Any) -> int:
    return sum(count for route, count in emulator.stats()["routes"].items() if not route.startswith("GET "))


# ----------------------------------------------------------------------------- the mapping


def test_merged_and_declined_map_to_their_procedures() -> None:
    assert procedure_for_update("pull_requests", {"state": "MERGED"}, ROW) == (
        ProcedureCall("merge_pull_request", {"workspace": "acme", "repository": "api", "pull_request_id": 6}), {})
    assert procedure_for_update("pull_requests", {"STATE": "declined"}, ROW)[0] == ProcedureCall(
        "decline_pull_request", {"workspace": "acme", "repository": "api", "pull_request_id": 6})


def test_close_source_branch_goes_with_the_merge() -> None:
    call, rest = procedure_for_update("pull_requests", {"state": "MERGED", "close_source_branch": True}, ROW)
    assert call is not None and call.arguments["close_source_branch"] is True and rest == {}


def test_no_state_or_the_same_state_is_a_plain_update() -> None:
    assert procedure_for_update("pull_requests", {"title": "x"}, ROW) == (None, {"title": "x"})
    assert procedure_for_update("pull_requests", {"state": "OPEN", "title": "x"}, ROW) == (None, {"title": "x"})
    assert procedure_for_update("repositories", {"state": "MERGED"}, ROW) == (None, {"state": "MERGED"})


@pytest.mark.parametrize(("assignments", "row", "words"), [
    ({"state": "OPEN"}, {**ROW, "state": "DECLINED"}, ["cannot reopen", "'MERGED' and 'DECLINED'"]),
    ({"state": "SUPERSEDED"}, ROW, ["has no Bitbucket action", "CALL merge_pull_request"]),
    ({"state": None}, ROW, ["has no Bitbucket action"]),
    ({"state": "MERGED"}, {**ROW, "state": "DECLINED"}, ["is DECLINED", "only OPEN rows", "state IN ('OPEN')"]),
    ({"state": "DECLINED", "title": "x"}, ROW, ["cannot also change title", "separate UPDATE"]),
])
def test_other_transitions_are_refused_naming_what_works(
    assignments: dict[str, Any], row: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(ProcedureArgumentError) as caught:
        procedure_for_update("pull_requests", assignments, row)
    for word in words:
        assert word in str(caught.value)


# ----------------------------------------------------------------------------- through the engine


def test_update_set_state_declined_declines(engine: Engine, api: httpx.Client, writable_emulator: Any) -> None:
    writable_emulator.reset_stats()

    result = engine.execute("UPDATE pull_requests SET state = 'DECLINED' WHERE repository = 'api' AND id = 5")

    assert result.affected_rows == 1
    assert writable_emulator.stats()["routes"].get(
        "POST /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/decline") == 1
    held = api.get("/repositories/acme/api/pullrequests/5").json()
    assert held["state"] == "DECLINED" and held["closed_by"] is not None
    assert engine.execute("SELECT state FROM pull_requests WHERE repository = 'api' AND id = 5").rows == [("DECLINED",)]


def test_update_set_state_merged_merges_and_closes_the_branch(engine: Engine, api: httpx.Client) -> None:
    source = api.get("/repositories/acme/api/pullrequests/6").json()["source"]["branch"]["name"]

    result = engine.execute("UPDATE pull_requests SET state = 'MERGED', close_source_branch = TRUE "
                            "WHERE repository = 'api' AND id = 6")

    assert result.affected_rows == 1
    held = api.get("/repositories/acme/api/pullrequests/6").json()
    assert held["state"] == "MERGED" and held["merge_commit"]["hash"]
    assert api.get(f"/repositories/acme/api/refs/branches/{source}").status_code == 404


def test_update_of_many_rows_runs_one_action_each(engine: Engine, api: httpx.Client) -> None:
    result = engine.execute("UPDATE pull_requests SET state = 'DECLINED' WHERE repository = 'api' AND state = 'OPEN'")

    assert result.affected_rows == 3
    states = {pr["id"]: pr["state"] for pr in api.get("/repositories/acme/api/pullrequests",
                                                       params={"state": "DECLINED", "pagelen": 50}).json()["values"]}
    assert {4, 5, 6} <= {pr_id for pr_id, state in states.items() if state == "DECLINED"}


def test_a_refused_transition_sends_no_write(engine: Engine, api: httpx.Client, writable_emulator: Any) -> None:
    engine.execute("UPDATE pull_requests SET state = 'DECLINED' WHERE repository = 'api' AND id = 5")
    writable_emulator.reset_stats()

    with pytest.raises(ProcedureArgumentError, match="is DECLINED"):
        engine.execute("UPDATE pull_requests SET state = 'MERGED' WHERE repository = 'api' AND id IN (5, 6)")

    assert writes_sent(writable_emulator) == 0  # the target rows were read, nothing was written
    assert api.get("/repositories/acme/api/pullrequests/6").json()["state"] == "OPEN"


def test_explain_update_state_shows_the_action_request_and_sends_no_write(
    engine: Engine, writable_emulator: Any
) -> None:
    writable_emulator.reset_stats()

    plan = [row[0] for row in engine.execute(
        "EXPLAIN UPDATE pull_requests SET state = 'MERGED' WHERE repository = 'api' AND id = 6").rows]

    assert any(line.strip().startswith("POST /repositories/acme/api/pullrequests/6/merge") and
               '"type": "pullrequest_merge_parameters"' in line for line in plan)
    assert writes_sent(writable_emulator) == 0


def test_read_only_refuses_the_natural_update(make_engine: Any, writable_emulator: Any) -> None:
    engine = make_engine(ReadOnly="true")
    writable_emulator.reset_stats()

    with pytest.raises(ReadOnlyConnectionError, match="read-only"):
        engine.execute("UPDATE pull_requests SET state = 'DECLINED' WHERE repository = 'api' AND id = 5")

    assert writable_emulator.stats()["total"] == 0
