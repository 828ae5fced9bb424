"""``cursor.callproc`` (PEP 249) and ``CALL`` through ``cursor.execute``, on an emulator of their own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import bitbucket_sql
from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for
from bitbucket_sql.emulator import run_emulator


@pytest.fixture
def writable() -> Iterator[Any]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture
def conn(writable: Any) -> Iterator[Any]:
    connection = bitbucket_sql.connect(connection_string_for(writable, CacheTTL="0"))
    yield connection
    connection.close()


def pull_request(writable: Any, pr_id: int) -> dict[str, Any]:
    answer = httpx.get(f"{writable.base_url}/repositories/acme/api/pullrequests/{pr_id}", auth=(DEMO_USER, DEMO_TOKEN))
    return dict(answer.json())


def test_callproc_with_positional_parameters(conn: Any, writable: Any) -> None:
    cursor = conn.cursor()

    returned = cursor.callproc("decline_pull_request", ("acme", "api", 5))

    assert returned == ("acme", "api", 5)
    names = [column[0] for column in cursor.description]
    row = dict(zip(names, cursor.fetchone(), strict=True))
    assert row["state"] == "DECLINED" and row["id"] == 5 and cursor.rowcount == 1
    assert pull_request(writable, 5)["state"] == "DECLINED"


def test_callproc_with_named_parameters_and_the_connections_workspace(conn: Any, writable: Any) -> None:
    cursor = conn.cursor()

    cursor.callproc("merge_pull_request", {"repository": "api", "pull_request_id": 6, "merge_strategy": "squash"})

    names = [column[0] for column in cursor.description]
    row = dict(zip(names, cursor.fetchone(), strict=True))
    assert row["state"] == "MERGED" and row["merge_commit_hash"]
    assert pull_request(writable, 6)["merge_commit"]["hash"] == row["merge_commit_hash"]


def test_callproc_with_a_schema_qualified_name(conn: Any, writable: Any) -> None:
    cursor = conn.cursor()
    cursor.callproc("acme.approve_pull_request", {"repository": "api", "pull_request_id": 4})
    assert cursor.fetchone()[4] is True  # approved
    assert any(p["approved"] for p in pull_request(writable, 4)["participants"])


def test_execute_call_returns_the_result_set(conn: Any) -> None:
    cursor = conn.cursor()
    cursor.execute("CALL request_changes_pull_request(repository => ?, pull_request_id => ?)", ["api", 4])
    assert cursor.fetchall()[0][5] == "changes_requested"


@pytest.mark.parametrize("name", ["merge_pull_request; DROP TABLE x", "", "a.b.c", "merge(pull)"])
def test_callproc_refuses_a_name_that_is_not_a_name(conn: Any, name: str, writable: Any) -> None:
    with pytest.raises(bitbucket_sql.ProgrammingError, match="procedure name"):
        conn.cursor().callproc(name, ())
    assert writable.stats()["total"] == 0


def test_callproc_errors_are_programming_errors_and_send_nothing(conn: Any, writable: Any) -> None:
    cursor = conn.cursor()
    with pytest.raises(bitbucket_sql.ProgrammingError, match="Unknown procedure 'merge_pr'"):
        cursor.callproc("merge_pr", ("acme", "api", 6))
    with pytest.raises(bitbucket_sql.ProgrammingError, match="'pull_request_id' is BIGINT"):
        cursor.callproc("merge_pull_request", {"repository": "api", "pull_request_id": "6x"})
    with pytest.raises(bitbucket_sql.ProgrammingError, match="parameter names"):
        cursor.callproc("merge_pull_request", {"repository); --": "api"})
    assert writable.stats()["total"] == 0
    assert pull_request(writable, 6)["state"] == "OPEN"


def test_callproc_on_a_read_only_connection_is_refused(writable: Any) -> None:
    with (bitbucket_sql.connect(connection_string_for(writable, ReadOnly="true")) as conn,
          pytest.raises(bitbucket_sql.DatabaseError, match="read-only")):
        conn.cursor().callproc("decline_pull_request", ("acme", "api", 5))
    assert writable.stats()["total"] == 0
