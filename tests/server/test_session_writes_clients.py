"""Writes and CALL through `bbsql serve` with real clients: psql (simple Query) and psycopg 3
(extended protocol, parameters bound server-side), on a fresh emulator checked over raw HTTP."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pg_server_helpers import PASSWORD, RunningServer, require_client, require_module, running_server

from _helpers_connect import DEMO_TOKEN, DEMO_USER
from bitbucket_sql.emulator import EmulatorHandle, run_emulator

psycopg = require_module("psycopg", "psycopg[binary]")


@pytest.fixture(scope="module")
def fresh() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture(scope="module")
def server(fresh: EmulatorHandle) -> Iterator[RunningServer]:
    with running_server(fresh) as running:
        yield running


@pytest.fixture
def api(fresh: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh.base_url, auth=(DEMO_USER, DEMO_TOKEN)) as client:
        yield client


def open_pull_requests(emulator: EmulatorHandle, repository: str) -> list[int]:
    with emulator.store.lock:
        pulls = emulator.store.repo_data("acme", repository).pullrequests
        return sorted(number for number, pull in pulls.items() if pull["state"] == "OPEN")


def psql(server: RunningServer, user: str, sql: str) -> subprocess.CompletedProcess[str]:
    program = require_client("psql", "postgresql-client")
    env = {**os.environ, "PGPASSWORD": PASSWORD, "PGCONNECT_TIMEOUT": "10", "PSQLRC": os.devnull}
    command = [program, "-X", "-v", "ON_ERROR_STOP=1", "-h", server.host, "-p", str(server.port), "-U", user,
               "acme", "-c", sql]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_psql_update_returning_and_call(server: RunningServer, fresh: EmulatorHandle, api: httpx.Client) -> None:
    number = open_pull_requests(fresh, "web")[0]
    updated = psql(server, "writer", f"UPDATE pull_requests SET title = 'From psql' WHERE repository = 'web' "
                                     f"AND id = {number} RETURNING id, title")
    assert updated.returncode == 0, updated.stderr
    assert "From psql" in updated.stdout and "UPDATE 1" in updated.stdout
    assert api.get(f"/repositories/acme/web/pullrequests/{number}").json()["title"] == "From psql"
    called = psql(server, "writer", f"CALL approve_pull_request(repository => 'web', pull_request_id => {number})")
    assert called.returncode == 0, called.stderr
    assert "approved" in called.stdout and "(1 row)" in called.stdout
    participants = api.get(f"/repositories/acme/web/pullrequests/{number}").json()["participants"]
    assert any(p["approved"] for p in participants)


def test_psql_read_only_user_is_refused_before_any_request(server: RunningServer, fresh: EmulatorHandle) -> None:
    number = open_pull_requests(fresh, "web")[-1]
    fresh.reset_stats()
    for sql in (f"CALL decline_pull_request('acme', 'web', {number})",
                f"DELETE FROM pull_request_comments WHERE repository = 'web' AND pull_request_id = {number}"):
        refused = psql(server, "reader", sql)
        assert refused.returncode != 0
        assert "permission denied: user 'reader' has read-only access to database 'acme'" in refused.stderr
    explained = psql(server, "reader", f"EXPLAIN CALL decline_pull_request('acme', 'web', {number})")
    assert explained.returncode == 0, explained.stderr
    assert f"/pullrequests/{number}/decline" in explained.stdout
    assert fresh.write_requests() == {}


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_psycopg_parameterised_writes(
    server: RunningServer, fresh: EmulatorHandle, api: httpx.Client, binary: bool
) -> None:
    number = open_pull_requests(fresh, "mobile-app")[0]
    body = f"psycopg {'binary' if binary else 'text'}"
    with psycopg.connect(server.dsn(user="writer"), autocommit=True) as connection:
        cursor = connection.cursor(binary=binary)
        cursor.execute(
            "INSERT INTO pull_request_comments (repository, pull_request_id, content_raw) VALUES (%s, %s, %s) "
            "RETURNING id, content_raw", ["mobile-app", number, body])
        assert [column.name for column in cursor.description] == ["id", "content_raw"]
        (comment_id, content), = cursor.fetchall()
        assert content == body and cursor.rowcount == 1
        raw = api.get(f"/repositories/acme/mobile-app/pullrequests/{number}/comments/{comment_id}").json()
        assert raw["content"]["raw"] == body
        cursor.execute("UPDATE pull_request_comments SET content_raw = %s WHERE repository = %s "
                       "AND pull_request_id = %s AND id = %s", [body + " (edited)", "mobile-app", number, comment_id])
        assert cursor.rowcount == 1 and cursor.description is None
        assert api.get(f"/repositories/acme/mobile-app/pullrequests/{number}/comments/{comment_id}"
                       ).json()["content"]["raw"] == body + " (edited)"
        cursor.execute("DELETE FROM pull_request_comments WHERE repository = %s AND pull_request_id = %s "
                       "AND id = %s RETURNING id", ["mobile-app", number, comment_id])
        assert cursor.fetchall() == [(comment_id,)] and cursor.rowcount == 1
        deleted = api.get(f"/repositories/acme/mobile-app/pullrequests/{number}/comments/{comment_id}").json()
        assert deleted.get("deleted") is True or deleted.get("type") == "error"


def test_psycopg_call_with_parameters_and_prepared(
    server: RunningServer, fresh: EmulatorHandle, api: httpx.Client
) -> None:
    first, second = open_pull_requests(fresh, "infra")[:2]
    with psycopg.connect(server.dsn(user="writer"), autocommit=True, prepare_threshold=0) as connection:
        cursor = connection.cursor()
        for number in (first, second):  # the second runs the prepared statement again
            cursor.execute("CALL approve_pull_request(repository => %s, pull_request_id => %s)", ["infra", number])
            assert cursor.statusmessage == "CALL"
            names = [column.name for column in cursor.description]
            row = dict(zip(names, cursor.fetchone(), strict=True))
            assert row["approved"] is True and row["state"] == "approved"
        cursor.execute("CALL unapprove_pull_request('acme', %s, %s)", ["infra", second])
        assert cursor.statusmessage == "CALL"
    me = row["user_account_id"]
    approved = {number: any(p["approved"] and p["user"]["account_id"] == me
                            for p in api.get(f"/repositories/acme/infra/pullrequests/{number}").json()["participants"])
                for number in (first, second)}
    assert approved == {first: True, second: False}


def test_psycopg_errors_name_the_problem(server: RunningServer, fresh: EmulatorHandle) -> None:
    number = open_pull_requests(fresh, "data-pipeline")[0]
    fresh.reset_stats()
    with psycopg.connect(server.dsn(user="writer"), autocommit=True) as connection:
        with pytest.raises(psycopg.errors.UndefinedColumn, match="no_such_column"):
            connection.execute("UPDATE pull_requests SET no_such_column = %s WHERE repository = %s AND id = %s",
                               ["x", "data-pipeline", number])
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="merge_strategy"):
            connection.execute("CALL merge_pull_request(repository => %s, pull_request_id => %s, "
                               "merge_strategy => %s)", ["data-pipeline", number, "sideways"])
        with pytest.raises(psycopg.errors.UndefinedFunction, match="merge_pul_request"):
            connection.execute("CALL merge_pul_request(repository => %s, pull_request_id => %s)",
                               ["data-pipeline", number])
        with pytest.raises(psycopg.errors.NotNullViolation, match="source_branch_name"):
            connection.execute("INSERT INTO pull_requests (repository, title) VALUES (%s, %s)", ["data-pipeline", "x"])
        with pytest.raises(psycopg.errors.FeatureNotSupported, match="DELETE is not supported on table 'pull_requests'"):
            connection.execute("DELETE FROM pull_requests WHERE repository = %s AND id = %s", ["data-pipeline", number])
    with (psycopg.connect(server.dsn(user="reader"), autocommit=True) as connection,
          pytest.raises(psycopg.errors.InsufficientPrivilege, match="read-only")):
        connection.execute("CALL approve_pull_request(repository => %s, pull_request_id => %s)",
                           ["data-pipeline", number])
    assert fresh.write_requests() == {}


def test_psycopg_transaction_commit_and_rollback_warn(
    server: RunningServer, fresh: EmulatorHandle, api: httpx.Client
) -> None:
    number = open_pull_requests(fresh, "api")[0]
    notices: list[str] = []
    with psycopg.connect(server.dsn(user="writer")) as connection:  # psycopg opens a transaction block
        connection.add_notice_handler(lambda notice: notices.append(str(notice.message_primary)))
        connection.execute("UPDATE pull_requests SET title = %s WHERE repository = 'api' AND id = %s",
                           ["applied at once", number])
        connection.rollback()
    assert any("did not undo the 1 write(s)" in notice for notice in notices), notices
    assert api.get(f"/repositories/acme/api/pullrequests/{number}").json()["title"] == "applied at once"


def test_the_access_log_never_shows_a_written_secret(server: RunningServer, api: httpx.Client) -> None:
    import json
    import logging

    entries: list[dict[str, object]] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            entries.append(json.loads(record.getMessage()))

    access = logging.getLogger("bitbucket_sql.server.access")
    handler, previous = Capture(), access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        inserted = psql(server, "writer", "INSERT INTO repository_webhooks (repository, url, events, secret) VALUES "
                                          "('api', 'https://hooks.example.com/logged', '[\"repo:push\"]', "
                                          "'hush-hush-4711') RETURNING uuid, secret_set")
        assert inserted.returncode == 0, inserted.stderr
        assert "hush-hush-4711" not in inserted.stdout and "| t" in inserted.stdout  # secret_set, never the secret
        with psycopg.connect(server.dsn(user="writer"), autocommit=True) as connection:
            connection.execute("UPDATE repository_webhooks SET secret = %s WHERE repository = 'api' AND url = %s",
                               ["bound-secret-0815", "https://hooks.example.com/logged"])
    finally:
        access.removeHandler(handler)
        access.setLevel(previous)
    statements = [str(entry["statement"]) for entry in entries if entry.get("event") == "statement"]
    assert any("INSERT INTO repository_webhooks" in text for text in statements), statements
    assert not any("hush-hush-4711" in text or "bound-secret-0815" in text for text in statements), statements
    hooks = api.get("/repositories/acme/api/hooks").json()["values"]
    assert any(hook["url"] == "https://hooks.example.com/logged" and hook["secret_set"] for hook in hooks)


def test_psycopg_executemany_sends_every_row(server: RunningServer, fresh: EmulatorHandle, api: httpx.Client) -> None:
    number = open_pull_requests(fresh, "web")[0]
    insert = "INSERT INTO pull_request_comments (repository, pull_request_id, content_raw) VALUES (%s, %s, %s)"
    with psycopg.connect(server.dsn(user="writer"), autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.executemany(insert, [("web", number, f"batch {index}") for index in range(3)])
        assert cursor.rowcount == 3
        cursor.executemany(insert + " RETURNING id", [("web", number, "returned 1"), ("web", number, "returned 2")],
                           returning=True)
        ids = [cursor.fetchone()[0]]
        while cursor.nextset():
            ids.append(cursor.fetchone()[0])
    comments = api.get(f"/repositories/acme/web/pullrequests/{number}/comments", params={"pagelen": 100}).json()
    texts = {comment["id"]: comment["content"]["raw"] for comment in comments["values"]}
    assert {"batch 0", "batch 1", "batch 2"} <= set(texts.values())
    assert [texts[i] for i in ids] == ["returned 1", "returned 2"]


def test_asyncpg_binds_typed_parameters_of_writes_and_calls(
    server: RunningServer, fresh: EmulatorHandle, api: httpx.Client
) -> None:
    import asyncio

    asyncpg = require_module("asyncpg", "asyncpg")
    first, second = open_pull_requests(fresh, "mobile-app")[:2]

    async def run() -> tuple[list[Any], Any, str]:
        connection = await asyncpg.connect(host=server.host, port=server.port, user="writer", password=PASSWORD,
                                           database="acme")
        try:
            updated = await connection.fetch("UPDATE pull_requests SET title = $1 WHERE repository = $2 AND id = $3 "
                                             "RETURNING id, title", "From asyncpg", "mobile-app", first)
            # asyncpg binds by the types the server describes: pull_request_id must be described as bigint
            called = await connection.fetchrow("CALL approve_pull_request(repository => $1, pull_request_id => $2)",
                                               "mobile-app", second)
            status = await connection.execute("UPDATE pull_requests SET title = $1 WHERE repository = $2 AND id = $3",
                                              "Again", "mobile-app", second)
            # INSERT ... VALUES ($n): each parameter is described with its column's type (bigint here)
            comment = await connection.fetchrow(
                "INSERT INTO pull_request_comments (repository, pull_request_id, content_raw) VALUES ($1, $2, $3) "
                "RETURNING id, content_raw", "mobile-app", first, "typed by asyncpg")
            assert comment["content_raw"] == "typed by asyncpg" and isinstance(comment["id"], int)
            return list(updated), called, status
        finally:
            await connection.close()

    updated, called, status = asyncio.run(run())
    assert [tuple(row) for row in updated] == [(first, "From asyncpg")]
    assert called["approved"] is True and status == "UPDATE 1"
    assert api.get(f"/repositories/acme/mobile-app/pullrequests/{first}").json()["title"] == "From asyncpg"
    assert api.get(f"/repositories/acme/mobile-app/pullrequests/{second}").json()["title"] == "Again"
