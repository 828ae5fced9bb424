"""``bbsql query``: a write that stops part way lists its rows one per line (what was written stays
written), and the list is the emulator's truth."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cli_helpers import invoke

from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for
from bitbucket_sql.emulator import EmulatorHandle, run_emulator


@pytest.fixture
def writable() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


def test_a_partial_write_lists_each_row_on_its_own_line(writable: EmulatorHandle) -> None:
    connection = connection_string_for(writable, MaxConcurrency="1", MaxRetries="1", RetryBaseDelay="0.01")
    with httpx.Client(base_url=writable.base_url, auth=(DEMO_USER, DEMO_TOKEN)) as api:
        head = api.get("/repositories/acme/web/refs/branches/main").json()["target"]["hash"]
        created = invoke("query", "-c", connection, "INSERT INTO tags (repository, name, target_hash) VALUES "
                         f"('web', 'cli-1', '{head}'), ('web', 'cli-2', '{head}'), ('web', 'cli-3', '{head}')")
        assert created.exit_code == 0, created.output
        writable.fail_requests("500", nth=2, times=50, methods=["DELETE"])
        result = invoke("query", "-c", connection, "DELETE FROM tags WHERE repository = 'web' AND name LIKE 'cli-%'")
        writable.clear_faults()
        assert result.exit_code == 1 and "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert "The DELETE on table 'tags' stopped part way: 1 of 3 row(s)" in lines[0]
        kinds = [line.strip().split(":")[0] for line in lines[1:4]]
        assert kinds == ["written", "failed", "not attempted"] and lines[4].strip().startswith("Fix the cause"), lines
        written = lines[1].split("name=")[1].split(" ")[0]
        assert api.get(f"/repositories/acme/web/refs/tags/{written}").status_code == 404
        left = [line.split("name=")[1].split(" ")[0] for line in lines[2:4]]
        assert all(api.get(f"/repositories/acme/web/refs/tags/{name}").status_code == 200 for name in left)
