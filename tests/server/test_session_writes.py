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
from bitbucket_sql.server.session import SqlSession


@pytest.fixture
def writable() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


def test_command_tags_and_returning(writable: EmulatorHandle) -> None:
    engine = Engine(settings_for(writable.base_url))
    session = SqlSession("demo", "demo", engine, True)
    try:
        (updated,) = session.execute(
            "UPDATE pull_requests SET title = 'Named over the wire' WHERE repository = 'api' AND id = 6 "
            "RETURNING id, title")
        assert updated.command_tag == "UPDATE 1" and updated.rows == [(6, "Named over the wire")]
        with httpx.Client(base_url=writable.base_url, auth=(DEMO_USER, DEMO_TOKEN)) as api:
            head = api.get("/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
            (inserted,) = session.execute(
                f"INSERT INTO tags (repository, name, target_hash) VALUES ('api', 'wire-1', '{head}'), "
                f"('api', 'wire-2', '{head}')")
            assert inserted.command_tag == "INSERT 0 2"
            (deleted,) = session.execute("DELETE FROM tags WHERE repository = 'api' AND name LIKE 'wire-%'")
            assert deleted.command_tag == "DELETE 2"
            assert api.get("/repositories/acme/api/pullrequests/6").json()["title"] == "Named over the wire"
            assert api.get("/repositories/acme/api/refs/tags/wire-1").status_code == 404
    finally:
        session.close()
        engine.close()
