"""node's mssql (over tedious), as a Node.js application uses it: a parameterised query equal to the
DB-API's, a metadata query and an error."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pg_server_helpers import repository_with_pull_requests
from tds_helpers import PASSWORD, RunningTds, dbapi_rows, require_node_package, tds_normalized

ROOT = Path(__file__).resolve().parents[3]
PROBE = Path(__file__).parent / "clients" / "tds_probe.js"


@pytest.mark.parametrize("encrypt", ["true", "strict"])
def test_node_mssql_query_metadata_and_error(tds_server: RunningTds, emulator: Any, encrypt: str) -> None:
    """``encrypt: true`` negotiates TLS inside PRELOGIN (TDS 7.4); ``"strict"`` starts with TLS (TDS 8)."""
    modules = require_node_package(ROOT, "mssql")
    repo = repository_with_pull_requests(emulator)
    result = subprocess.run(
        ["node", "--no-deprecation", str(PROBE), str(tds_server.port), "reader", PASSWORD, "acme", repo, encrypt],
        capture_output=True, text=True, timeout=120, env={**os.environ, "NODE_PATH": str(modules), "TDS_CA": str(tds_server.cert)},
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    names = ["id", "title", "draft", "comment_count", "created_on", "reviewers"]
    rows = []
    for record in answer["rows"]:
        values = [record[name] for name in names]
        values[0], values[3] = int(values[0]), int(values[3])  # tedious gives bigint as a string
        values[4] = dt.datetime.fromisoformat(values[4].replace("Z", "+00:00"))
        rows.append(tds_normalized(values))
    expected = dbapi_rows(emulator, repo)
    # JavaScript dates keep milliseconds: compare timestamps to the millisecond
    assert [row[:4] + row[5:] for row in rows] == [row[:4] + row[5:] for row in expected]
    assert [row[4] for row in rows] == [row[4].replace(microsecond=row[4].microsecond // 1000 * 1000)
                                        for row in expected]
    assert answer["columns"] == ["bigint", "nvarchar", "bit", "bigint", "datetime2", "nvarchar"]
    assert {"TABLE_SCHEMA": "acme", "TABLE_NAME": "pull_requests"} in answer["tables"]
    assert answer["error"]["number"] == 208 and "no_such_table" in answer["error"]["message"]
    assert tds_server.events("connect")[-1]["tls"] == "on"
