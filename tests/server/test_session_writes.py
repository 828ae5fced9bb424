"""Writes through the SQL server's session: PostgreSQL command tags count the rows changed, and
RETURNING rows come back as the statement's rows (on a fresh emulator, checked over raw HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sql_session_helpers import settings_for

from _helpers_connect import DEMO_TOKEN, DEMO_USER
from bitbucket_sql.emulator import EmulatorHandle, run_emulator
from bitbucket_sql.engine import Engine
from bitbucket_sql.server.session import PgError, SqlSession


@pytest.fixture
def writable() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


def open_pull_request(emulator: EmulatorHandle, repository: str = "api") -> int:
    """The lowest id of an OPEN pull request of ``repository`` (the demo data decides which)."""
    with emulator.store.lock:
        pulls = emulator.store.repo_data("acme", repository).pullrequests
        return min(number for number, pull in pulls.items() if pull["state"] == "OPEN")


def test_command_tags_and_returning(writable: EmulatorHandle) -> None:
    engine = Engine(settings_for(writable.base_url))
    session = SqlSession("demo", "demo", engine, True)
    number = open_pull_request(writable)
    try:
        (updated,) = session.execute(
            "UPDATE pull_requests SET title = 'Named over the wire' WHERE repository = 'api' AND id = "
            f"{number} RETURNING id, title")
        assert updated.command_tag == "UPDATE 1" and updated.rows == [(number, "Named over the wire")]
        with httpx.Client(base_url=writable.base_url, auth=(DEMO_USER, DEMO_TOKEN)) as api:
            head = api.get("/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
            (inserted,) = session.execute(
                f"INSERT INTO tags (repository, name, target_hash) VALUES ('api', 'wire-1', '{head}'), "
                f"('api', 'wire-2', '{head}')")
            assert inserted.command_tag == "INSERT 0 2"
            (deleted,) = session.execute("DELETE FROM tags WHERE repository = 'api' AND name LIKE 'wire-%'")
            assert deleted.command_tag == "DELETE 2"
            assert api.get(f"/repositories/acme/api/pullrequests/{number}").json()["title"] == "Named over the wire"
            assert api.get("/repositories/acme/api/refs/tags/wire-1").status_code == 404
    finally:
        session.close()
        engine.close()


def test_call_runs_the_action_with_tag_call(writable: EmulatorHandle) -> None:
    engine = Engine(settings_for(writable.base_url))
    session = SqlSession("demo", "demo", engine, True)
    number = open_pull_request(writable)
    try:
        writable.reset_stats()
        (plan,) = session.execute(f"EXPLAIN CALL approve_pull_request(repository => 'api', pull_request_id => {number})")
        assert any("POST" in row[0] and f"/pullrequests/{number}/approve" in row[0] for row in plan.rows), plan.rows
        assert writable.write_requests() == {}
        (called,) = session.execute(f"CALL approve_pull_request(repository => 'api', pull_request_id => {number})")
        assert called.command_tag == "CALL"
        assert called.fields is not None and "approved" in [f.name for f in called.fields]
        assert len(called.rows) == 1 and True in called.rows[0]
        with httpx.Client(base_url=writable.base_url, auth=(DEMO_USER, DEMO_TOKEN)) as api:
            participants = api.get(f"/repositories/acme/api/pullrequests/{number}").json()["participants"]
        assert any(p["approved"] and p["user"]["account_id"] == called.rows[0][2] for p in participants)
    finally:
        session.close()
        engine.close()


def test_read_only_user_cannot_call_but_can_explain(writable: EmulatorHandle) -> None:
    engine = Engine(settings_for(writable.base_url))
    session = SqlSession("acme", "reader", engine, False)
    number = open_pull_request(writable)
    call = f"CALL decline_pull_request(repository => 'api', pull_request_id => {number})"
    try:
        writable.reset_stats()
        for text in (call, "EXPLAIN ANALYZE " + call):
            with pytest.raises(PgError) as refused:
                session.execute(text)
            assert refused.value.sqlstate == "42501"
            assert "read-only access to database 'acme'" in str(refused.value) and "CALL" in str(refused.value)
        (plan,) = session.execute("EXPLAIN " + call)
        assert any("/decline" in row[0] for row in plan.rows)
        assert writable.stats()["total"] == 0  # refused before any request, and EXPLAIN sends nothing
    finally:
        session.close()
        engine.close()


def test_rollback_after_writes_says_they_stay(writable: EmulatorHandle) -> None:
    engine = Engine(settings_for(writable.base_url))
    session = SqlSession("demo", "demo", engine, True)
    number = open_pull_request(writable)
    try:
        session.execute("BEGIN")
        session.execute(f"UPDATE pull_requests SET title = 'kept' WHERE repository = 'api' AND id = {number}")
        (rolled_back,) = session.execute("ROLLBACK")
        assert rolled_back.command_tag == "ROLLBACK"
        assert any("did not undo the 1 write" in notice for notice in rolled_back.notices), rolled_back.notices
        (read,) = session.execute(f"SELECT title FROM pull_requests WHERE repository = 'api' AND id = {number}")
        assert read.rows == [("kept",)]
    finally:
        session.close()
        engine.close()


def test_information_schema_says_what_the_api_can_write(writable: EmulatorHandle) -> None:
    engine = Engine(settings_for(writable.base_url))
    session = SqlSession("demo", "demo", engine, True)
    try:
        (tables,) = session.execute("SELECT table_name, is_insertable_into FROM information_schema.tables "
                                    "WHERE table_name IN ('branches', 'commits') ORDER BY 1")
        assert tables.rows == [("branches", "YES"), ("commits", "NO")]
        (columns,) = session.execute("SELECT column_name, is_updatable FROM information_schema.columns "
                                     "WHERE table_name = 'pull_requests' AND column_name IN ('title', 'created_on') "
                                     "ORDER BY 1")
        assert columns.rows == [("created_on", "NO"), ("title", "YES")]
        assert writable.stats()["total"] == 0  # the catalog answers, not Bitbucket
    finally:
        session.close()
        engine.close()


def test_table_privileges_follow_the_api_and_the_users_right(writable: EmulatorHandle) -> None:
    engine = Engine(settings_for(writable.base_url))
    sql = ("SELECT has_table_privilege('branches', 'INSERT'), has_table_privilege('acme.branches', 'UPDATE'), "
           "has_table_privilege('pull_requests', 'DELETE'), has_table_privilege('pull_requests', 'UPDATE'), "
           "has_table_privilege('commits', 'INSERT'), has_table_privilege('commits', 'SELECT')")
    try:
        for can_write, expected in ((True, (True, False, False, True, False, True)),
                                    (False, (False, False, False, False, False, True))):
            session = SqlSession("demo", "demo", engine, can_write)
            try:
                (answer,) = session.execute(sql)
                assert answer.rows == [expected], can_write
            finally:
                session.close()
    finally:
        engine.close()


def test_unqualified_writes_go_where_reads_go(writable: EmulatorHandle) -> None:
    """After SET search_path = globex, an unqualified INSERT targets globex, as a SELECT would."""
    engine = Engine(settings_for(writable.base_url))
    session = SqlSession("demo", "demo", engine, True)
    try:
        session.execute("SELECT SchemaName FROM sys_schemas")  # the session learns the workspaces
        session.execute("SET search_path = globex")
        (plan,) = session.execute("EXPLAIN INSERT INTO tags (repository, name, target_hash) VALUES ('api', 't', 'abc')")
        assert any("/repositories/globex/api/refs/tags" in row[0] for row in plan.rows), plan.rows
        with pytest.raises(PgError) as refused:  # the demo user may only read globex
            session.execute("INSERT INTO tags (repository, name, target_hash) VALUES ('api', 't', 'abc')")
        assert refused.value.sqlstate == "42501" and "globex/api" in str(refused.value)
    finally:
        session.close()
        engine.close()


def test_an_unqualified_call_acts_in_the_search_paths_workspace(writable: EmulatorHandle) -> None:
    engine = Engine(settings_for(writable.base_url))
    session = SqlSession("demo", "demo", engine, True)
    try:
        session.execute("SELECT SchemaName FROM sys_schemas")
        session.execute("SET search_path = globex")
        (plan,) = session.execute("EXPLAIN CALL approve_pull_request(repository => 'api', pull_request_id => 1)")
        assert any("/repositories/globex/api/pullrequests/1/approve" in row[0] for row in plan.rows), plan.rows
        (named,) = session.execute("EXPLAIN CALL acme.approve_pull_request(repository => 'api', pull_request_id => 1)")
        assert any("/repositories/acme/api/pullrequests/1/approve" in row[0] for row in named.rows), named.rows
    finally:
        session.close()
        engine.close()
