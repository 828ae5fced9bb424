"""node-postgres (npm `pg`, installed into .ci/npm by .ci/install-clients): a parameterised query."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pg_server_helpers import (
    PASSWORD,
    RunningServer,
    reference_rows,
    repository_with_pull_requests,
    require_client,
)

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".ci" / "npm" / "node_modules"
PROBE = Path(__file__).parent / "clients" / "node_probe.js"


def test_parameterised_query_equals_the_dbapi(demo_server: RunningServer, emulator: Any) -> None:
    node = require_client("node", "nodejs")
    if not (NODE_MODULES / "pg" / "package.json").is_file():
        message = "the npm package pg is not installed in .ci/npm (run: bash .ci/install-clients)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    repo = repository_with_pull_requests(emulator)
    expected = reference_rows(emulator, repo)
    result = subprocess.run(
        [node, str(PROBE), demo_server.host, str(demo_server.port), PASSWORD, repo],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    got = [
        (
            int(row["id"]),  # node-pg returns int8 as a string, by design (JavaScript numbers lose precision)
            row["title"],
            row["draft"],
            int(row["comment_count"]),
            dt.datetime.fromisoformat(row["created_on"].replace("Z", "+00:00")),
            row["reviewers"],  # node-pg parses json itself
        )
        for row in rows
    ]
    # JavaScript Dates hold milliseconds: compare timestamps at that precision.
    truncated = [
        row[:4] + (row[4].replace(microsecond=row[4].microsecond // 1000 * 1000),) + row[5:]
        for row in expected
    ]
    assert got == truncated
    assert all(isinstance(row["draft"], bool) for row in rows)
