"""A merge Bitbucket answers with 202: the task status is polled until done, within QueryTimeout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import QueryTimeoutError
from bitbucket_sql.engine.procedures import MergePendingError


def task_polls(emulator: Any) -> int:
    return sum(count for route, count in emulator.stats()["routes"].items() if "task-status" in route)


def test_a_slow_synchronous_merge_answered_202_is_followed_to_its_result(
    engine: Engine, api: httpx.Client, writable_emulator: Any
) -> None:
    writable_emulator.set_merge_mode(mode="always", pending_polls=2)
    writable_emulator.reset_stats()

    row = engine.execute("CALL merge_pull_request(repository => 'api', pull_request_id => 6)").rows[0]

    assert row[2] == "MERGED"
    assert task_polls(writable_emulator) == 3  # two PENDING answers, then SUCCESS
    assert api.get("/repositories/acme/api/pullrequests/6").json()["state"] == "MERGED"


def test_a_merge_still_running_at_query_timeout_says_it_may_still_complete(
    make_engine: Callable[..., Engine], api: httpx.Client, writable_emulator: Any
) -> None:
    writable_emulator.set_merge_mode(mode="always", pending_polls=10_000, complete_after_seconds=3600)
    engine = make_engine(QueryTimeout=1)

    with pytest.raises(MergePendingError) as caught:
        engine.execute("CALL merge_pull_request(repository => 'api', pull_request_id => 6)")

    message = str(caught.value)
    assert "accepted the merge of pull request 6 in acme/api" in message and "QueryTimeout=1" in message
    assert "may still complete" in message and "SELECT state" in message
    assert isinstance(caught.value, QueryTimeoutError)  # the DB-API and server map it as a timeout
    assert task_polls(writable_emulator) >= 1
    assert api.get("/repositories/acme/api/pullrequests/6").json()["state"] == "OPEN"  # still queued
