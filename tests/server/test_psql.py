"""psql (Debian postgresql-client): meta-commands, a query, COPY to a CSV file, errors, wrong password."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pg_server_helpers import (
    REFERENCE_SQL,
    RunningServer,
    reference_rows,
    repository_with_pull_requests,
    require_client,
)


def _psql(
    server: RunningServer, *args: str, password: str = "pw", check: bool = True
) -> subprocess.CompletedProcess[str]:
    psql = require_client("psql", "postgresql-client")
    env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10", "PSQLRC": os.devnull}
    env.pop("PGSERVICE", None)
    command = [
        psql,
        "-X",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        server.host,
        "-p",
        str(server.port),
        "-U",
        "reader",
        "acme",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _psql_major() -> int:
    psql = require_client("psql", "postgresql-client")
    version = subprocess.run([psql, "--version"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"(\d+)", version).group(1))  # type: ignore[union-attr]


def test_list_databases(demo_server: RunningServer) -> None:
    out = _psql(demo_server, "-c", r"\l").stdout
    assert re.search(r"^\s*acme\s*\|", out, re.MULTILINE), out


def test_list_schemas_shows_the_workspaces(demo_server: RunningServer) -> None:
    out = _psql(demo_server, "-c", r"\dn").stdout
    assert re.search(r"^\s*acme\s*\|", out, re.MULTILINE), out


def test_list_tables(demo_server: RunningServer) -> None:
    out = _psql(demo_server, "-c", r"\dt").stdout
    for table in ("pull_requests", "repositories", "commits"):
        assert re.search(rf"^\s*acme\s*\|\s*{table}\s*\|\s*table", out, re.MULTILINE), out


def test_describe_a_table_with_types_and_primary_key(demo_server: RunningServer) -> None:
    out = _psql(demo_server, "-c", r"\d pull_requests").stdout
    assert re.search(r"^\s*id\s*\|\s*bigint\s*\|", out, re.MULTILINE), out
    assert re.search(r"^\s*created_on\s*\|\s*timestamp with time zone\s*\|", out, re.MULTILINE), out
    assert re.search(r"^\s*draft\s*\|\s*boolean", out, re.MULTILINE), out
    assert "PRIMARY KEY" in out


def test_describe_plus_shows_column_descriptions(demo_server: RunningServer) -> None:
    out = _psql(demo_server, "-c", r"\d+ pull_requests").stdout
    assert "Description" in out and re.search(r"^\s*title\s*\|\s*text", out, re.MULTILINE), out


def test_a_query_prints_the_dbapis_rows(demo_server: RunningServer, emulator: Any) -> None:
    repo = repository_with_pull_requests(emulator)
    expected = reference_rows(emulator, repo)
    sql = REFERENCE_SQL.format(repo=f"'{repo}'").replace(", reviewers", "")
    out = _psql(demo_server, "-A", "-t", "-F", "|", "-c", sql).stdout.splitlines()
    assert [line.split("|")[:4] for line in out] == [
        [str(row[0]), row[1], "t" if row[2] else "f", str(row[3])] for row in expected
    ]
    assert [line.split("|")[4] for line in out] == [
        row[4].strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip(".") + "+00" for row in expected
    ]


def test_a_parameterised_query_with_bind(demo_server: RunningServer, emulator: Any) -> None:
    if _psql_major() < 16:
        pytest.skip(
            r"this psql predates \bind (PostgreSQL 16); psycopg, asyncpg and node pg cover parameters"
        )
    repo = repository_with_pull_requests(emulator)
    expected = reference_rows(emulator, repo)
    out = _psql(
        demo_server,
        "-A",
        "-t",
        "-c",
        r"SELECT count(*) FROM pull_requests WHERE repository = $1 \bind " + repo + r" \g",
    ).stdout
    assert int(out.strip()) >= len(expected)


def test_copy_to_a_csv_file(demo_server: RunningServer, emulator: Any, tmp_path: Path) -> None:
    repo = repository_with_pull_requests(emulator)
    expected = reference_rows(emulator, repo)
    target = tmp_path / "prs.csv"
    _psql(
        demo_server,
        "-c",
        rf"\copy (SELECT id, title FROM pull_requests WHERE repository = '{repo}' ORDER BY id LIMIT 5) to '{target}' with (format csv, header)",
    )
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,title"
    assert [line.split(",", 1)[0] for line in lines[1:]] == [str(row[0]) for row in expected]


def test_a_syntax_error_shows_position_and_sqlstate(demo_server: RunningServer) -> None:
    result = _psql(demo_server, "-v", "VERBOSITY=verbose", "-c", "SELEC id FROM pull_requests", check=False)
    assert result.returncode != 0
    assert "ERROR:  42601" in result.stderr, result.stderr


def test_wrong_password(demo_server: RunningServer) -> None:
    result = _psql(demo_server, "-c", "SELECT 1", password="wrong", check=False)
    assert result.returncode == 2
    assert 'password authentication failed for user "reader"' in result.stderr
