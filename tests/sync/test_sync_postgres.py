"""bbsql sync into a real PostgreSQL server (Debian's postgresql, started here on loopback).

initdb refuses to run as root, so as root the server runs as ``nobody`` in a folder it owns.
Without the server binaries the test skips naming the package, except under CI=true, where
.ci/install-clients installs it and its absence fails.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import live_rows, settings_for

from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.engine import Engine
from bitbucket_sql.sync.load import Destination
from bitbucket_sql.sync.runner import run_sync
from bitbucket_sql.sync.tables import sync_tables

psycopg = pytest.importorskip("psycopg")

PASSWORD = "sync-test-password"


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    binaries = _binaries()
    if binaries is None:
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL server binaries (Debian package postgresql) are missing under CI")
        pytest.skip("needs the PostgreSQL server (Debian package postgresql: initdb, pg_ctl)")
    folder = Path(tempfile.mkdtemp(prefix="bbsql-sync-pg-"))
    folder.chmod(0o755)
    data = folder / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "nobody", "nogroup")
        shutil.chown(data, "nobody", "nogroup")
    port = _free_port()
    password_file = folder / "password"
    password_file.write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(password_file, "nobody", "nogroup")
    subprocess.run(_as_server_user([str(binaries / "initdb"), "-D", str(data), "-U", "postgres",
                                    "--auth=scram-sha-256", f"--pwfile={password_file}", "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-o", options,
                                    "-l", str(folder / "server.log"), "-w", "start"]),
                   check=True, capture_output=True, timeout=120)
    try:
        yield f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def _normal(value: Any, sql_type: str) -> Any:
    if sql_type == "JSON" and value is not None:
        parsed = json.loads(value) if isinstance(value, str) else value
        return json.dumps(parsed, sort_keys=True)
    return value


def _postgres_rows(url: str, table: Any) -> list[tuple[Any, ...]]:
    columns = table.definition.columns
    names = ", ".join(f'"{c.name}"' for c in columns)
    with psycopg.connect(url, options="-c timezone=UTC") as connection:
        rows = connection.execute(f'SELECT {names} FROM "acme"."{table.name}"').fetchall()
        duplicates = connection.execute(
            f'SELECT count(*) - count(DISTINCT ({", ".join(chr(34) + k + chr(34) for k in table.primary_key)})) '
            f'FROM "acme"."{table.name}"'
        ).fetchone()
    assert duplicates == (0,), table.name
    normal = [tuple(_normal(v, c.type) for v, c in zip(row, columns, strict=True)) for row in rows]
    return sorted(normal, key=lambda row: json.dumps(row, default=str, sort_keys=True))


def _live(engine: Engine, table: Any) -> list[tuple[Any, ...]]:
    columns = table.definition.columns
    rows = [tuple(_normal(v, c.type) for v, c in zip(row, columns, strict=True))
            for row in live_rows(engine, table)]
    return sorted(rows, key=lambda row: json.dumps(row, default=str, sort_keys=True))


def test_sync_into_postgresql_equals_the_live_tables_and_resumes_incrementally(emulator, postgres_url) -> None:
    tables = sync_tables(["repositories", "branches", "pull_requests", "pull_request_comments", "pipelines"])
    destination = Destination.parse(postgres_url, None)
    assert PASSWORD not in str(destination)  # what the summary and the run log show
    with BitbucketClient(settings_for(emulator), interactive=False) as client:
        first = run_sync(client, ["acme"], tables, destination)
    assert first.status == "done", first.message
    with Engine(settings_for(emulator, CacheTTL=0)) as live:
        for table in tables:
            assert _postgres_rows(postgres_url, table) == _live(live, table), table.name
    with psycopg.connect(postgres_url) as connection:
        (text,), = connection.execute("SELECT state FROM acme._bbsql_sync_state WHERE workspace = 'acme'").fetchall()
    assert json.loads(text)["workspaces"]["acme"]["tables"]["pull_requests"]["scopes"]

    with BitbucketClient(settings_for(emulator), interactive=False) as client:
        second = run_sync(client, ["acme"], tables, destination)
    assert second.status == "done"
    assert second.requests < first.requests
    assert second.tables[("acme", "pull_request_comments")].upserts == 0
