"""Every procedure: the read-only token gets the scope it lacks named, and a request that fails
(an injected fault) raises an error saying so, with Bitbucket's state unchanged (raw HTTP).

EXPLAIN CALL and ReadOnly=true per procedure: test_procedure_safety.py; round trips:
test_procedure_round_trips.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bitbucket_sql.api.errors import BitbucketError
from bitbucket_sql.catalog.procedures import all_procedures
from bitbucket_sql.emulator.principal import READ_SCOPES
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import EngineError
from bitbucket_sql.engine.writes import UncertainCallError, WriteScopeError

PROCEDURES = {procedure.name: procedure for procedure in all_procedures()}
#: procedures whose scope the read-only token lacks (Bitbucket lets ``pullrequest`` resolve a
#: comment and ``pipeline`` rerun a pipeline)
SCOPED = sorted(name for name, procedure in PROCEDURES.items() if procedure.scope not in READ_SCOPES)


def arguments(api: httpx.Client) -> dict[str, str]:
    """SQL literals addressing real objects of a fresh tiny emulator (an open pull request of api,
    one of its top-level comments, main's head commit, a pipeline, a cache name)."""
    pulls = api.get("/repositories/acme/api/pullrequests", params={"state": "OPEN"}).json()["values"]
    number = min(pull["id"] for pull in pulls)
    comments: list[dict[str, Any]] = []
    for pull in sorted(pulls, key=lambda p: p["id"]):
        comments = [c for c in api.get(f"/repositories/acme/api/pullrequests/{pull['id']}/comments").json()["values"]
                    if "parent" not in c]
        if comments:
            number = pull["id"]
            break
    head = api.get("/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    pipeline = api.get("/repositories/acme/api/pipelines", params={"sort": "-created_on"}).json()["values"][0]
    return {
        "workspace": "'acme'", "repository": "'api'", "pull_request_id": str(number),
        "comment_id": str(comments[0]["id"] if comments else 1), "commit": f"'{head}'",
        "pipeline_uuid": f"'{pipeline['uuid']}'", "name": "'node'", "merge_strategy": "'squash'",
        "message": "'Merged by SQL'", "close_source_branch": "FALSE", "async_merge": "FALSE",
    }


def call(name: str, values: dict[str, str]) -> str:
    given = ", ".join(f"{p.name} => {values[p.name]}" for p in PROCEDURES[name].params if p.name in values)
    return f"CALL {name}({given})"


def snapshot(api: httpx.Client, values: dict[str, str]) -> tuple[Any, ...]:
    """What the actions change, read over raw HTTP: the pull request, the commit, the pipeline."""
    pull = api.get(f"/repositories/acme/api/pullrequests/{values['pull_request_id']}").json()
    commit = api.get(f"/repositories/acme/api/commit/{values['commit'].strip(chr(39))}").json()
    pipeline = api.get(f"/repositories/acme/api/pipelines/{values['pipeline_uuid'].strip(chr(39))}").json()
    comment = api.get(f"/repositories/acme/api/pullrequests/{values['pull_request_id']}/comments/"
                      f"{values['comment_id']}").json()
    return (pull["state"], [(p["user"]["uuid"], p["approved"], p.get("state")) for p in pull["participants"]],
            [(p["user"]["uuid"], p["approved"]) for p in commit.get("participants", [])],
            pipeline["state"], comment.get("resolution"))


def test_most_procedures_need_a_write_scope() -> None:
    assert {"merge_pull_request", "decline_pull_request", "approve_pull_request", "stop_pipeline"} <= set(SCOPED)


@pytest.mark.parametrize("name", SCOPED)
def test_the_read_only_token_gets_the_scope_named(
    name: str, make_engine: Callable[..., Engine], api: httpx.Client
) -> None:
    values = arguments(api)
    before = snapshot(api, values)
    engine = make_engine(AuthScheme="AccessToken", User=None, APIToken=None, AccessToken="demo-readonly-token")
    with pytest.raises(WriteScopeError) as raised:
        engine.execute(call(name, values))
    assert raised.value.scope == PROCEDURES[name].scope and PROCEDURES[name].scope in str(raised.value)
    assert snapshot(api, values) == before


@pytest.mark.parametrize("name", sorted(PROCEDURES))
def test_a_failed_request_raises_and_changes_nothing(
    name: str, make_engine: Callable[..., Engine], api: httpx.Client, writable_emulator: Any
) -> None:
    procedure = PROCEDURES[name]
    values = arguments(api)
    before = snapshot(api, values)
    engine = make_engine(MaxRetries=1, RetryBaseDelay=0.01)
    writable_emulator.fail_requests("503", times=5, methods=[procedure.method])
    with pytest.raises((BitbucketError, EngineError)) as raised:
        engine.execute(call(name, values))
    message = str(raised.value)
    assert "503" in message and "Traceback" not in message, message
    writable_emulator.clear_faults()
    assert snapshot(api, values) == before


@pytest.mark.parametrize("name", sorted(n for n, p in PROCEDURES.items() if p.method == "POST"))
def test_a_post_whose_answer_was_lost_is_reported_maybe_applied_and_not_repeated(
    name: str, make_engine: Callable[..., Engine], api: httpx.Client, writable_emulator: Any
) -> None:
    values = arguments(api)
    engine = make_engine(MaxRetries=3, RetryBaseDelay=0.01)
    writable_emulator.fail_requests("drop", times=1, methods=["POST"], after_apply=True)
    writable_emulator.reset_stats()
    with pytest.raises(UncertainCallError) as raised:
        engine.execute(call(name, values))
    message = str(raised.value)
    assert f"CALL {name}" in message and "may or may not have been applied" in message and "SELECT" in message
    posts = {route: n for route, n in writable_emulator.stats()["routes"].items() if route.startswith("POST ")}
    assert list(posts.values()) == [1], posts  # sent once, never repeated
