"""What keeps writes safe: bad input refused before any request, ReadOnly=true, missing scopes named,
failures part way reported row by row, POSTs never repeated blindly, EXPLAIN as a dry run, secrets
masked, MaxFanout, and reads that see the writes."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from _helpers_connect import DEMO_USER
from bitbucket_sql.api.errors import ServerError
from bitbucket_sql.emulator import EmulatorHandle
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.writes import (
    PartialWriteError,
    ReadOnlyConnectionError,
    WriteFanoutError,
    WriteScopeError,
    WriteValidationError,
)

REPO = "api"


def head(api: httpx.Client) -> str:
    return str(api.get(f"/repositories/acme/{REPO}/refs/branches/main").json()["target"]["hash"])


def branch_names(api: httpx.Client) -> set[str]:
    answer = api.get(f"/repositories/acme/{REPO}/refs/branches", params={"pagelen": 100})
    return {item["name"] for item in answer.json()["values"]}


def make_branches(engine: Engine, api: httpx.Client, names: list[str]) -> None:
    sha = head(api)
    engine.execute("INSERT INTO branches (repository, name, target_hash) VALUES "
                   + ", ".join(f"('{REPO}', '{name}', '{sha}')" for name in names))
    assert set(names) <= branch_names(api)


def api_requests(control: httpx.Client) -> int:
    return int(control.get("/stats").json()["total"])


@pytest.mark.parametrize(
    ("sql", "column", "words"),
    [
        ("INSERT INTO branches (repository, nmae, target_hash) VALUES ('api', 'x', 'abc')", "nmae", "Did you mean 'name'"),
        ("INSERT INTO branches (repository, name, target_hash, target_date) VALUES ('api', 'x', 'a', now())",
         "target_date", "read-only"),
        ("INSERT INTO branches (repository, name) VALUES ('api', 'x')", "target_hash", "required"),
        ("INSERT INTO branches (repository, name, target_hash) VALUES ('api', NULL, 'abc')", "name", "NULL"),
        ("INSERT INTO projects (key, name, is_private) VALUES ('K', 'N', 'yes')", "is_private", "BOOLEAN"),
        ("INSERT INTO branch_restrictions (repository, kind, value) VALUES ('api', 'push', 'two')", "value", "BIGINT"),
        ("INSERT INTO repository_webhooks (repository, url, events) VALUES ('api', 'https://x.example', '[oops')",
         "events", "not valid JSON"),
        ("INSERT INTO branches (repository, name, name, target_hash) VALUES ('api', 'x', 'y', 'a')", "name", "twice"),
        ("UPDATE pull_requests SET created_on = now() WHERE repository = 'api'", "created_on", "read-only"),
        ("UPDATE pull_requests SET titel = 'x' WHERE repository = 'api'", "titel", "no such column"),
    ],
)
def test_bad_input_is_refused_before_any_request(engine: Engine, control: httpx.Client, sql: str, column: str,
                                                 words: str) -> None:
    before = api_requests(control)
    with pytest.raises(WriteValidationError) as raised:
        engine.execute(sql)
    assert api_requests(control) == before
    message = str(raised.value)
    assert f"column {column!r}" in message and raised.value.column == column and words in message
    assert "Traceback" not in message


def test_a_wrong_number_of_values_names_the_table(engine: Engine, control: httpx.Client) -> None:
    before = api_requests(control)
    with pytest.raises(WriteValidationError, match="3 column.*2 value"):
        engine.execute("INSERT INTO branches (repository, name, target_hash) VALUES ('api', 'x')")
    assert api_requests(control) == before


def test_readonly_connection_refuses_before_any_request(make_engine: Callable[..., Engine], control: httpx.Client,
                                                        api: httpx.Client) -> None:
    engine = make_engine(ReadOnly="true")
    before = api_requests(control)
    for sql in ("INSERT INTO tags (repository, name, target_hash) VALUES ('api', 'ro', 'abc')",
                "DELETE FROM branches WHERE repository = 'api'",
                "UPDATE pull_requests SET title = 'x' WHERE repository = 'api'"):
        with pytest.raises(ReadOnlyConnectionError, match="ReadOnly=true"):
            engine.execute(sql)
    assert api_requests(control) == before
    assert engine.execute("SELECT count(*) FROM branches WHERE repository = 'api'").rows[0][0] > 0  # reads still work


def test_a_token_without_the_write_scope_gets_the_scope_named(
    writable_emulator: EmulatorHandle, make_engine: Callable[..., Engine], api: httpx.Client
) -> None:
    writable_emulator.credentials.add_api_token(DEMO_USER, "reader-token",
                                                frozenset({"account", "repository", "pullrequest", "project"}))
    engine = make_engine(APIToken="reader-token")
    before = branch_names(api)
    with pytest.raises(WriteScopeError) as raised:
        engine.execute("INSERT INTO branches (repository, name, target_hash) VALUES (?, 'denied', ?)",
                       [REPO, head(api)])
    message = str(raised.value)
    assert raised.value.scope == "repository:write"
    assert "'repository:write' (API tokens: read:repository:bitbucket, write:repository:bitbucket)" in message and "403" in message
    assert branch_names(api) == before
    with pytest.raises(WriteScopeError, match="pullrequest:write"):
        engine.execute("UPDATE pull_requests SET title = 'x' WHERE repository = ? AND id = 6", [REPO])


def test_a_failure_part_way_reports_exactly_the_rows_written(
    make_engine: Callable[..., Engine], api: httpx.Client, control: httpx.Client
) -> None:
    engine = make_engine(MaxConcurrency=1, MaxRetries=2)  # one request at a time: which one fails is fixed
    names = [f"doomed/{index}" for index in range(4)]
    make_branches(engine, api, names)
    # the 3rd DELETE fails, and so do its retries (a DELETE is retried: it is idempotent)
    armed = control.post("/faults", json={"outcome": "500", "nth": 3, "times": 3, "methods": ["DELETE"]})
    assert armed.status_code == 200, armed.text
    with pytest.raises(PartialWriteError) as raised:
        engine.execute(f"DELETE FROM branches WHERE repository = '{REPO}' AND name LIKE 'doomed/%'")
    error = raised.value
    remaining = branch_names(api)
    written = {outcome.row.split("name=")[1] for outcome in error.written}
    failed = {outcome.row.split("name=")[1] for outcome in error.failed}
    skipped = {outcome.row.split("name=")[1] for outcome in error.not_attempted}
    assert len(written) == 2 and len(failed) == 1 and len(skipped) == 1
    assert written | failed | skipped == set(names)
    assert not written & remaining and (failed | skipped) <= remaining  # the report is the emulator's truth
    message = str(error)
    assert "2 of 4 row(s) were written" in message and "500" in message and "no transactions" in message
    for name in written | failed | skipped:
        assert name in message


def test_a_post_whose_answer_was_lost_is_not_repeated_and_is_reported_as_maybe_written(
    make_engine: Callable[..., Engine], api: httpx.Client, control: httpx.Client
) -> None:
    engine = make_engine(MaxRetries=3, Timeout=5)
    control.post("/faults", json={"outcome": "drop", "after_apply": True, "methods": ["POST"],
                                  "path_contains": "/refs/tags"})
    control.post("/stats/reset")
    with pytest.raises(PartialWriteError) as raised:
        engine.execute("INSERT INTO tags (repository, name, target_hash) VALUES (?, 'lost-answer', ?)",
                       [REPO, head(api)])
    routes = control.get("/stats").json()["routes"]
    assert sum(n for route, n in routes.items() if route.startswith("POST")) == 1  # sent once, never repeated
    assert [outcome.row for outcome in raised.value.uncertain] == ["repository=api, name=lost-answer"]
    assert "maybe written" in str(raised.value)
    assert api.get(f"/repositories/acme/{REPO}/refs/tags/lost-answer").status_code == 200  # it did apply


def test_a_server_error_on_a_single_write_is_raised_as_is(
    make_engine: Callable[..., Engine], api: httpx.Client, control: httpx.Client
) -> None:
    engine = make_engine(MaxRetries=3)
    control.post("/faults", json={"outcome": "503", "methods": ["POST"]})
    with pytest.raises(ServerError, match="503"):
        engine.execute("INSERT INTO tags (repository, name, target_hash) VALUES (?, 'not-now', ?)", [REPO, head(api)])
    assert api.get(f"/repositories/acme/{REPO}/refs/tags/not-now").status_code == 404


def test_explain_shows_the_exact_requests_and_sends_no_write(
    engine: Engine, api: httpx.Client, write_count: Callable[[], int]
) -> None:
    make_branches(engine, api, ["plan/a", "plan/b"])
    before = write_count()
    plan = [row[0] for row in engine.execute(
        f"EXPLAIN DELETE FROM branches WHERE repository = '{REPO}' AND name LIKE 'plan/%'").rows]
    text = "\n".join(plan)
    assert f"DELETE /repositories/acme/{REPO}/refs/branches/plan/a" in text
    assert f"DELETE /repositories/acme/{REPO}/refs/branches/plan/b" in text
    assert "none sent" in text and "Scan 1: acme.branches" in text and "q: name ~" in text
    update = "\n".join(row[0] for row in engine.explain(
        f"UPDATE pull_requests SET title = 'New title' WHERE repository = '{REPO}' AND id = 6").rows)
    assert f'PUT /repositories/acme/{REPO}/pullrequests/6   body: {{"title": "New title"}}' in update
    hook = "\n".join(row[0] for row in engine.execute(
        "EXPLAIN INSERT INTO repository_webhooks (repository, url, events, secret) VALUES "
        "('api', 'https://h.example.com', '[\"repo:push\"]', 'top-secret-value')").rows)
    assert '"secret": "********"' in hook and "top-secret-value" not in hook
    assert write_count() == before
    assert {"plan/a", "plan/b"} <= branch_names(api)


def test_secrets_never_reach_errors_or_logs(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Exception) as raised:  # noqa: PT011 - the emulator's 400 for a bad URL, whatever its class
        engine.execute("INSERT INTO repository_webhooks (repository, url, events, secret) VALUES "
                       "('api', 'not a url', '[\"repo:push\"]', 'leaky-secret-42')")
    assert "leaky-secret-42" not in str(raised.value) and "leaky-secret-42" not in repr(raised.value)
    assert "leaky-secret-42" not in caplog.text
    with pytest.raises(WriteValidationError) as bad_type:
        engine.execute("INSERT INTO pipeline_variables (repository, key, value) VALUES ('api', 'K', 12345678)")
    assert "12345678" not in str(bad_type.value)


def test_max_fanout_bounds_the_write_requests(make_engine: Callable[..., Engine], api: httpx.Client,
                                              write_count: Callable[[], int]) -> None:
    make_branches(make_engine(), api, ["wide/1", "wide/2", "wide/3"])
    engine = make_engine(MaxFanout=2)
    before = write_count()
    with pytest.raises(WriteFanoutError, match="3 write requests.*MaxFanout=2"):
        engine.execute(f"DELETE FROM branches WHERE repository = '{REPO}' AND name LIKE 'wide/%'")
    assert write_count() == before


def test_reads_after_a_write_see_it_despite_the_cache(make_engine: Callable[..., Engine], api: httpx.Client) -> None:
    engine = make_engine(CacheTTL=300)
    query = f"SELECT name FROM branches WHERE repository = '{REPO}' AND name LIKE 'cached/%' ORDER BY name"
    assert engine.execute(query).rows == []
    assert engine.execute(query).stats.requests == 0  # answered from the cache
    engine.execute("INSERT INTO branches (repository, name, target_hash) VALUES (?, 'cached/new', ?)",
                   [REPO, head(api)])
    assert engine.execute(query).rows == [("cached/new",)]
    engine.execute(f"DELETE FROM branches WHERE repository = '{REPO}' AND name = 'cached/new'")
    assert engine.execute(query).rows == []


def test_update_with_any_where_finds_targets_with_pushdown(engine: Engine, api: httpx.Client) -> None:
    before = {pr["id"]: pr["title"] for pr in api.get(
        f"/repositories/acme/{REPO}/pullrequests", params={"state": "OPEN", "pagelen": 50}).json()["values"]}
    result = engine.execute(
        f"UPDATE pull_requests SET title = '[triaged] ' || title WHERE repository = '{REPO}' AND state = 'OPEN' "
        f"AND id IN (SELECT id FROM pull_requests WHERE repository = '{REPO}' AND state = 'OPEN' ORDER BY id LIMIT 2) "
        f"RETURNING id, title")
    assert result.affected_rows == 2
    changed = dict(result.rows)
    assert set(changed) == set(sorted(before)[:2])
    for pr_id, title in changed.items():
        assert title == "[triaged] " + before[pr_id]
        assert api.get(f"/repositories/acme/{REPO}/pullrequests/{pr_id}").json()["title"] == title


def test_insert_select_and_a_batch_are_sent_concurrently(
    writable_emulator: EmulatorHandle, make_engine: Callable[..., Engine], api: httpx.Client, control: httpx.Client
) -> None:
    engine = make_engine(MaxConcurrency=4)
    writable_emulator.set_latency(60)
    control.post("/stats/reset")
    result = engine.execute(
        "INSERT INTO tags (repository, name, target_hash, message) "
        f"SELECT repository, 'snapshot/' || name, target_hash, 'tagged from SQL' FROM branches "
        f"WHERE repository = '{REPO}' AND name LIKE '%/%'")
    writable_emulator.set_latency(0)
    branches = [name for name in branch_names(api) if "/" in name]
    assert result.affected_rows == len(branches) >= 3
    tags = api.get(f"/repositories/acme/{REPO}/refs/tags", params={"pagelen": 100, "q": 'name ~ "snapshot/"'})
    assert {tag["name"] for tag in tags.json()["values"]} == {f"snapshot/{name}" for name in branches}
    assert 2 <= writable_emulator.peak_in_flight() <= 4  # concurrent, within MaxConcurrency


def test_returning_star_gives_whole_rows(engine: Engine, api: httpx.Client) -> None:
    result = engine.execute("INSERT INTO tags AS t (repository, name, target_hash) VALUES (?, 'whole', ?) "
                            "RETURNING t.*", [REPO, head(api)])
    columns = [column.name for column in result.columns]
    assert columns == [column.name for column in engine.table("tags").columns]
    row = dict(zip(columns, result.rows[0], strict=True))
    assert row["workspace"] == "acme" and row["repository"] == REPO and row["name"] == "whole"


def test_json_columns_take_json_text(engine: Engine, api: httpx.Client) -> None:
    created = engine.execute(
        "INSERT INTO repository_webhooks (repository, url, events) VALUES "
        "('api', 'https://hooks.example.com/j', '[\"repo:push\", \"pullrequest:created\"]') RETURNING uuid, events")
    uuid, events = created.rows[0]
    assert sorted(json.loads(events)) == ["pullrequest:created", "repo:push"]
    held: dict[str, Any] = api.get(f"/repositories/acme/{REPO}/hooks/{uuid}").json()
    assert sorted(held["events"]) == ["pullrequest:created", "repo:push"]


def test_pipeline_run_variables_and_deploy_keys_are_masked_in_explain(engine: Engine,
                                                                     write_count: Callable[[], int]) -> None:
    before = write_count()
    run = "\n".join(row[0] for row in engine.execute(
        "EXPLAIN INSERT INTO pipelines (repository, target_ref_name, variables) VALUES "
        "('api', 'main', '[{\"key\": \"TOKEN\", \"value\": \"run-secret-987\", \"secured\": true}]')").rows)
    assert "run-secret-987" not in run and '"variables": "********"' in run and '"ref_name": "main"' in run
    key = "\n".join(row[0] for row in engine.execute(
        "EXPLAIN INSERT INTO deploy_keys (repository, key, label) VALUES "
        "('api', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDeployKeyMaterial0000 ci', 'ci')").rows)
    assert "AAAAC3Nza" not in key and '"key": "********"' in key and '"label": "ci"' in key
    assert write_count() == before


def test_concurrent_failures_are_reported_exactly(make_engine: Callable[..., Engine], api: httpx.Client,
                                                  control: httpx.Client) -> None:
    names = [f"many/{index}" for index in range(8)]
    make_branches(make_engine(), api, names)
    engine = make_engine(MaxConcurrency=4, MaxRetries=0)
    control.post("/faults", json={"outcome": "502", "nth": 3, "times": 2, "methods": ["DELETE"]})
    with pytest.raises(PartialWriteError) as raised:
        engine.execute(f"DELETE FROM branches WHERE repository = '{REPO}' AND name LIKE 'many/%'")
    error = raised.value
    remaining = branch_names(api)

    def names_of(outcomes: list[Any]) -> set[str]:
        return {outcome.row.split("name=")[1] for outcome in outcomes}

    written, failed, skipped = names_of(error.written), names_of(error.failed), names_of(error.not_attempted)
    assert written | failed | skipped == set(names) and not error.uncertain
    assert 1 <= len(failed) <= 2 and all("502" in outcome.error for outcome in error.failed)
    assert not written & remaining and (failed | skipped) <= remaining
