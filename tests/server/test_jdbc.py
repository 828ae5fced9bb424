"""pgJDBC (Debian libpostgresql-jdbc-java): DatabaseMetaData and a PreparedStatement, Tableau's and DBeaver's path."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
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

PROBE = Path(__file__).parent / "clients" / "JdbcProbe.java"
JARS = ("/usr/share/java/postgresql.jar",)


def _driver_jar() -> str:
    for jar in JARS:
        if Path(jar).is_file():
            return jar
    message = "pgJDBC is not installed (Debian package libpostgresql-jdbc-java)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; .ci/install-clients should have installed it")
    pytest.skip(message)


@pytest.fixture(scope="module")
def jdbc_lines(
    demo_server: RunningServer, emulator: Any, tmp_path_factory: pytest.TempPathFactory
) -> list[list[str]]:
    java = require_client("java", "default-jdk-headless")
    require_client("javac", "default-jdk-headless")  # the source launcher compiles in memory
    jar = _driver_jar()
    repo = repository_with_pull_requests(emulator)
    url = f"jdbc:postgresql://{demo_server.host}:{demo_server.port}/acme?sslmode=disable"
    work = tmp_path_factory.mktemp("jdbc")
    shutil.copy(PROBE, work / PROBE.name)
    result = subprocess.run(
        [java, "-cp", jar, str(work / PROBE.name), url, "reader", PASSWORD, repo],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=work,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return [line.split("\t") for line in result.stdout.splitlines()]


def test_metadata_lists_schemas_tables_columns_and_keys(jdbc_lines: list[list[str]]) -> None:
    schemas = {line[1] for line in jdbc_lines if line[0] == "schema"}
    tables = {line[1] for line in jdbc_lines if line[0] == "table"}
    columns = {line[1]: (line[2], int(line[3])) for line in jdbc_lines if line[0] == "column"}
    keys = [line[1] for line in jdbc_lines if line[0] == "pk"]
    assert "acme" in schemas
    assert {"pull_requests", "repositories", "commits"} <= tables
    # java.sql.Types: BIGINT -5, BIT (boolean) -7, TIMESTAMP_WITH_TIMEZONE 2014 / TIMESTAMP 93, VARCHAR 12
    assert columns["id"] == ("int8", -5)
    assert columns["draft"][0] == "bool"
    assert columns["created_on"][0] == "timestamptz"
    assert columns["title"][0] == "text"
    assert "id" in keys


def test_prepared_statement_rows_equal_the_dbapis(jdbc_lines: list[list[str]], emulator: Any) -> None:
    expected = reference_rows(emulator, repository_with_pull_requests(emulator))
    rows = [line[1:] for line in jdbc_lines if line[0] == "row"]
    got = [
        (
            int(r[0]),
            r[1],
            r[2] == "true",
            int(r[3]),
            dt.datetime.fromisoformat(r[4].replace("Z", "+00:00")),
            json.loads(r[5]),
        )
        for r in rows
    ]
    assert got == expected
    assert [int(line[1]) for line in jdbc_lines if line[0] == "chunked"] == [row[0] for row in expected]
