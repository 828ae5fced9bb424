"""``bbsql query "CALL ..."`` prints what the action returned; ``bbsql explain`` shows its request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cli_helpers import invoke

from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for
from bitbucket_sql.emulator import run_emulator


@pytest.fixture
def writable() -> Iterator[Any]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


def state_of(writable: Any, pr_id: int) -> str:
    answer = httpx.get(f"{writable.base_url}/repositories/acme/api/pullrequests/{pr_id}", auth=(DEMO_USER, DEMO_TOKEN))
    return str(answer.json()["state"])


def test_query_call_prints_the_result(writable: Any) -> None:
    result = invoke("query", "-c", connection_string_for(writable), "-f", "vertical",
                    "CALL decline_pull_request(repository => 'api', pull_request_id => 5)")

    assert result.exit_code == 0, result.output
    assert "DECLINED" in result.stdout and "closed_by_display_name" in result.stdout
    assert state_of(writable, 5) == "DECLINED"


def test_query_call_json(writable: Any) -> None:
    result = invoke("query", "-c", connection_string_for(writable), "-f", "json", "-p", "api", "-p", "6",
                    "CALL approve_pull_request(repository => ?, pull_request_id => ?)")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["approved"] is True and rows[0]["state"] == "approved"


def test_explain_call_sends_nothing(writable: Any) -> None:
    writable.reset_stats()
    result = invoke("explain", "-c", connection_string_for(writable),
                    "CALL merge_pull_request(repository => 'api', pull_request_id => 6, merge_strategy => 'squash')")

    assert result.exit_code == 0, result.output
    assert "POST" in result.stdout and "/repositories/acme/api/pullrequests/6/merge" in result.stdout
    assert writable.stats()["total"] == 0 and state_of(writable, 6) == "OPEN"


def test_a_bad_call_is_one_paragraph_and_exit_1(writable: Any) -> None:
    result = invoke("query", "-c", connection_string_for(writable),
                    "CALL merge_pull_request(repository => 'api', pull_requst_id => 6)")

    assert result.exit_code == 1
    assert "no parameter 'pull_requst_id'" in result.stderr and "Did you mean 'pull_request_id'" in result.stderr
    assert "Traceback" not in result.output
