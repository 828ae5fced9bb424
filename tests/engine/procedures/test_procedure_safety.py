"""What a CALL refuses before any request, and what EXPLAIN CALL shows without sending anything.

Every "before any request" claim is checked with the emulator's request counter (over HTTP), and
every refusal is checked to leave the emulator's state as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from _helpers_connect import demo_settings
from bitbucket_sql.api.errors import PermissionDeniedError
from bitbucket_sql.catalog.procedures import all_procedures
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import EngineError, ParameterError, SqlSyntaxError
from bitbucket_sql.engine.procedures import ProcedureArgumentError, UnknownProcedureError
from bitbucket_sql.engine.writes import ReadOnlyConnectionError, WriteScopeError

#: arguments that address a real object of the tiny emulator data, per parameter name
SAMPLE_ARGUMENTS = {
    "workspace": "'acme'", "repository": "'api'", "pull_request_id": "6", "comment_id": "19",
    "commit": "'0123abc'", "pipeline_uuid": "'{00000000-0000-4000-8000-000000000001}'", "name": "'node'",
    "merge_strategy": "'squash'", "message": "'Merged by SQL'", "close_source_branch": "TRUE",
    "async_merge": "FALSE",
}


def call_text(name: str, prefix: str = "") -> str:
    procedure = next(p for p in all_procedures() if p.name == name)
    arguments = ", ".join(f"{p.name} => {SAMPLE_ARGUMENTS[p.name]}" for p in procedure.params)
    return f"{prefix}CALL {name}({arguments})"


def pr_state(api: httpx.Client, pr_id: int = 6) -> tuple[str, list[Any]]:
    held = api.get(f"/repositories/acme/api/pullrequests/{pr_id}").json()
    return held["state"], held["participants"]


# ----------------------------------------------------------------------------- EXPLAIN


@pytest.mark.parametrize("name", [p.name for p in all_procedures()])
def test_explain_call_shows_the_exact_request_and_sends_nothing(
    name: str, engine: Engine, request_count: Callable[[], int], writable_emulator: Any
) -> None:
    procedure = next(p for p in all_procedures() if p.name == name)
    before = request_count()

    plan = [row[0] for row in engine.execute(call_text(name, "EXPLAIN ")).rows]

    assert request_count() == before, "EXPLAIN CALL must not send a request"
    text = "\n".join(plan)
    expected_path = procedure.path.format(
        workspace="acme", repository="api", pull_request_id=6, comment_id=19, commit="0123abc",
        pipeline_uuid="%7B00000000-0000-4000-8000-000000000001%7D",
    )
    assert f"{procedure.method} {writable_emulator.base_url}{expected_path}" in text
    assert procedure.scope in text and "none sent: EXPLAIN is a dry run" in text
    if name == "merge_pull_request":
        assert '"merge_strategy": "squash"' in text and '"type": "pullrequest_merge_parameters"' in text
        assert '"close_source_branch": true' in text and '"message": "Merged by SQL"' in text
    if name == "rerun_pipeline":
        assert "  1. GET " in text and "  2. POST " in text


def test_explain_call_under_read_only_still_answers_and_says_the_call_would_be_refused(
    make_engine: Callable[..., Engine], request_count: Callable[[], int]
) -> None:
    engine = make_engine(ReadOnly="true")
    before = request_count()

    plan = [row[0] for row in engine.execute(call_text("decline_pull_request", "EXPLAIN ")).rows]

    assert request_count() == before
    assert any("read-only" in line and "refused" in line for line in plan)


def test_engine_explain_of_a_call_is_a_dry_run(engine: Engine, request_count: Callable[[], int]) -> None:
    before = request_count()

    result = engine.explain(call_text("approve_pull_request"))

    assert result.columns[0].name == "plan" and request_count() == before


def test_describe_of_a_call_gives_its_result_columns_without_a_request(
    engine: Engine, request_count: Callable[[], int]
) -> None:
    before = request_count()

    columns = engine.describe(call_text("approve_pull_request"))

    assert [c.name for c in columns][:2] == ["user_display_name", "user_uuid"]
    assert request_count() == before


# ----------------------------------------------------------------------------- bad input


BAD_CALLS = [
    ("CALL merge_pul_request(repository => 'api', pull_request_id => 6)", UnknownProcedureError,
     ["'merge_pul_request'", "merge_pull_request", "sys_procedures"]),
    ("CALL merge_pull_request(repository => 'api', pull_request => 6)", ProcedureArgumentError,
     ["no parameter 'pull_request'", "pull_request_id"]),
    ("CALL merge_pull_request(repository => 'api')", ProcedureArgumentError,
     ["missing the required parameter 'pull_request_id'"]),
    ("CALL merge_pull_request(repository => 'api', pull_request_id => 'six')", ProcedureArgumentError,
     ["'pull_request_id' is BIGINT", "'six'", "pull_request_id => 3"]),
    ("CALL merge_pull_request(repository => 'api', pull_request_id => 6, close_source_branch => 'yes')",
     ProcedureArgumentError, ["'close_source_branch' is BOOLEAN", "TRUE"]),
    ("CALL merge_pull_request(repository => 'api', pull_request_id => 6, merge_strategy => 'octopus')",
     ProcedureArgumentError, ["'octopus'", "squash", "rebase_merge"]),
    ("CALL merge_pull_request(repository => 42, pull_request_id => 6)", ProcedureArgumentError,
     ["'repository' is VARCHAR"]),
    ("CALL merge_pull_request(repository => 'api/../web', pull_request_id => 6)", ProcedureArgumentError,
     ["repository", "URL"]),
    ("CALL merge_pull_request(repository => 'api', pull_request_id => 0)", ProcedureArgumentError,
     ["positive"]),
    ("CALL merge_pull_request(repository => title, pull_request_id => 6)", ProcedureArgumentError,
     ["constant", "'title'"]),
    ("CALL approve_pull_request('acme', 'api', 6, 7)", ProcedureArgumentError, ["at most 3 arguments"]),
    ("CALL approve_pull_request(workspace => 'acme', 'api', 6)", ProcedureArgumentError, ["follows a named one"]),
    ("CALL approve_pull_request('acme', 'api', 6, workspace => 'acme')", ProcedureArgumentError,
     ["'workspace' is given twice"]),
    ("CALL approve_pull_request('acme', 'api', 6", SqlSyntaxError, ["CALL procedure_name("]),
]


@pytest.mark.parametrize(("sql", "error", "words"), BAD_CALLS, ids=[case[0][5:45] for case in BAD_CALLS])
def test_bad_calls_are_refused_before_any_request_with_a_clear_error(
    sql: str, error: type[Exception], words: list[str], engine: Engine, request_count: Callable[[], int],
    api: httpx.Client,
) -> None:
    before = request_count()

    with pytest.raises(error) as caught:
        engine.execute(sql)

    assert request_count() == before
    message = str(caught.value)
    for word in words:
        assert word in message, message
    assert "Traceback" not in message and pr_state(api)[0] == "OPEN"


def test_wrong_parameter_count_of_question_marks_is_a_parameter_error(engine: Engine) -> None:
    with pytest.raises(ParameterError, match="placeholder"):
        engine.execute("CALL approve_pull_request(?, ?, ?)", ["acme", "api"])


def test_the_workspace_comes_from_the_schema_or_the_connection(
    make_engine: Callable[..., Engine], writable_emulator: Any, api: httpx.Client
) -> None:
    nameless = make_engine(Workspace=None)
    with pytest.raises(ProcedureArgumentError, match="needs a workspace"):
        nameless.execute("CALL approve_pull_request(repository => 'api', pull_request_id => 6)")

    row = nameless.execute("CALL acme.approve_pull_request(repository => 'api', pull_request_id => 6)").rows[0]

    assert row[3] == "PARTICIPANT" or row[3] == "REVIEWER"
    _, participants = pr_state(api)
    assert any(p["approved"] for p in participants)


def test_parameters_bind_as_values(engine: Engine, api: httpx.Client) -> None:
    row = engine.execute("CALL merge_pull_request(repository => ?, pull_request_id => ?, message => ?)",
                         ["api", 6, "it's ? not SQL'); DROP TABLE x; --"]).rows[0]

    assert row[2] == "MERGED"
    merge_hash = api.get("/repositories/acme/api/pullrequests/6").json()["merge_commit"]["hash"]
    commit = api.get(f"/repositories/acme/api/commit/{merge_hash}").json()
    assert commit["message"].startswith("it's ? not SQL'); DROP TABLE x; --")


# ----------------------------------------------------------------------------- read-only


def test_read_only_connection_refuses_every_call_before_any_request(
    make_engine: Callable[..., Engine], request_count: Callable[[], int], api: httpx.Client
) -> None:
    engine = make_engine(ReadOnly="true")
    before = request_count()

    for procedure in all_procedures():
        with pytest.raises(ReadOnlyConnectionError, match=f"CALL {procedure.name}"):
            engine.execute(call_text(procedure.name))

    assert request_count() == before
    assert pr_state(api)[0] == "OPEN"


def test_read_only_token_gets_an_error_naming_the_scope(
    writable_emulator: Any, api: httpx.Client
) -> None:
    settings = demo_settings(writable_emulator.base_url, AuthScheme="AccessToken", User=None, APIToken=None,
                             AccessToken="demo-readonly-token")
    with Engine(settings) as engine, pytest.raises(WriteScopeError) as caught:
        engine.execute("CALL decline_pull_request(repository => 'api', pull_request_id => 6)")

    message = str(caught.value)
    assert "'pullrequest:write'" in message and "write:pullrequest:bitbucket" in message
    assert caught.value.scope == "pullrequest:write"
    assert isinstance(caught.value.__cause__, PermissionDeniedError) and caught.value.__cause__.status == 403
    assert pr_state(api)[0] == "OPEN"


def test_a_procedure_error_is_an_engine_error_for_the_outlets(engine: Engine) -> None:
    with pytest.raises(EngineError):
        engine.execute("CALL no_such_thing()")


def test_explain_analyze_call_runs_it_and_reports_the_requests(engine: Engine, api: httpx.Client) -> None:
    plan = [row[0] for row in engine.execute(
        "EXPLAIN ANALYZE CALL approve_pull_request(repository => 'api', pull_request_id => 6)").rows]

    assert any(line.startswith("Actual: 1 request(s)") and "approved=True" in line for line in plan)
    assert not any("none sent" in line for line in plan) and any("1 request, sent" in line for line in plan)
    _, participants = pr_state(api)
    assert any(p["approved"] for p in participants)
