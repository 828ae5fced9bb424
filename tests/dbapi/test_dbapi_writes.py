"""Writes through the DB-API: rowcount, RETURNING as the result set, executemany as one batch,
autocommit (commit harmless, rollback after writes refused), errors in PEP 249's classes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import bitbucket_sql
from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for
from bitbucket_sql import dbapi
from bitbucket_sql.emulator import EmulatorHandle, run_emulator


@pytest.fixture
def writable() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture
def api(writable: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=writable.base_url, auth=(DEMO_USER, DEMO_TOKEN), timeout=30) as client:
        yield client


@pytest.fixture
def conn(writable: EmulatorHandle) -> Iterator[Any]:
    connection = bitbucket_sql.connect(connection_string_for(writable, RetryBaseDelay="0.01"))
    yield connection
    connection.close()


def tag_names(api: httpx.Client) -> set[str]:
    answer = api.get("/repositories/acme/api/refs/tags", params={"pagelen": 100})
    return {tag["name"] for tag in answer.json()["values"]}


def test_rowcount_returning_and_executemany(conn: Any, api: httpx.Client) -> None:
    head = api.get("/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    cursor = conn.cursor()
    cursor.executemany("INSERT INTO tags (repository, name, target_hash) VALUES ('api', ?, ?)",
                       [(f"batch-{index}", head) for index in range(5)])
    assert cursor.rowcount == 5 and cursor.description is None
    assert {f"batch-{index}" for index in range(5)} <= tag_names(api)
    with pytest.raises(dbapi.ProgrammingError):
        cursor.fetchall()  # no RETURNING: no result set
    cursor.execute("DELETE FROM tags WHERE repository = 'api' AND name LIKE 'batch-%' RETURNING name")
    assert cursor.rowcount == 5 and [d[0] for d in cursor.description] == ["name"]
    assert sorted(row[0] for row in cursor.fetchall()) == [f"batch-{index}" for index in range(5)]
    assert not {f"batch-{index}" for index in range(5)} & tag_names(api)


def test_autocommit_commit_is_harmless_and_rollback_after_writes_is_refused(conn: Any, api: httpx.Client) -> None:
    conn.rollback()  # nothing written yet: harmless (pandas calls it after failed queries)
    head = api.get("/repositories/acme/api/refs/branches/main").json()["target"]["hash"]
    conn.cursor().execute("INSERT INTO tags (repository, name, target_hash) VALUES ('api', 'kept', ?)", [head])
    with pytest.raises(dbapi.NotSupportedError, match="no transactions"):
        conn.rollback()
    assert "kept" in tag_names(api)  # applied when it ran
    conn.cursor().execute("DELETE FROM tags WHERE repository = 'api' AND name = 'kept'")
    conn.commit()
    conn.rollback()  # nothing since the commit


def test_write_errors_map_to_pep249_classes(conn: Any, writable: EmulatorHandle) -> None:
    cursor = conn.cursor()
    with pytest.raises(dbapi.ProgrammingError, match="target_hash"):
        cursor.execute("INSERT INTO tags (repository, name) VALUES ('api', 'x')")
    with pytest.raises(dbapi.NotSupportedError, match="UPDATE is not supported on table 'tags'"):
        cursor.execute("UPDATE tags SET name = 'y'")
    with (
        bitbucket_sql.connect(connection_string_for(writable, ReadOnly="true")) as read_only,
        pytest.raises(dbapi.OperationalError, match="ReadOnly=true"),
    ):
        read_only.cursor().execute("DELETE FROM tags WHERE repository = 'api'")
