"""Starting the TDS listener on loopback against the test emulator (imported by name by the TDS tests)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pg_server_helpers import PASSWORD, server_config

from _helpers_connect import connection_string_for
from bitbucket_sql.server.config import Limits, TlsConfig
from bitbucket_sql.server.tds.listener import TdsServer, serve_in_thread
from bitbucket_sql.server.tls import write_self_signed

__all__ = ["PASSWORD", "REFERENCE_TSQL", "RunningTds", "dbapi_rows", "require_node_package", "running_tds",
           "tds_normalized"]

#: The comparison query in T-SQL: bigint, text, boolean, timestamp and JSON columns of one repository.
REFERENCE_TSQL = (
    "SELECT TOP 5 id, title, draft, comment_count, created_on, reviewers FROM pull_requests "
    "WHERE repository = {repo} ORDER BY id"
)
REFERENCE_DBAPI = (
    "SELECT id, title, draft, comment_count, created_on, reviewers FROM pull_requests "
    "WHERE repository = ? ORDER BY id LIMIT 5"
)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@dataclass
class RunningTds:
    server: TdsServer
    port: int
    cert: Path
    access: _Records = field(default_factory=_Records)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def events(self, event: str) -> list[dict[str, Any]]:
        """The access log's records of one kind (``login``, ``statement``...)."""
        records = [json.loads(line) for line in self.access.lines if line.startswith("{")]
        return [record for record in records if record.get("event") == event]


@contextlib.contextmanager
def running_tds(emulator: Any, directory: Path, *, allow_cleartext_login: bool = False,
                require_tls: bool = False, limits: Limits | None = None) -> Iterator[RunningTds]:
    """The TDS listener on a free loopback port (databases acme/other, users reader/writer), stopped at exit."""
    config = server_config(emulator, require_tls=require_tls)
    cert, key = write_self_signed(directory)
    config.tls = TlsConfig(cert, key)
    if limits is not None:
        config.limits = limits
    access = logging.getLogger("bitbucket_sql.server.access")
    records = _Records()
    access.addHandler(records)
    previous = access.level
    access.setLevel(logging.INFO)
    try:
        with serve_in_thread(config, 0, allow_cleartext_login=allow_cleartext_login) as server:
            yield RunningTds(server, server.port, cert, records)
    finally:
        access.removeHandler(records)
        access.setLevel(previous)


def tds_normalized(row: Any) -> tuple[Any, ...]:
    """A row in comparable form: JSON text parsed, timestamps in UTC (TDS sends datetime2 in UTC)."""
    values: list[Any] = []
    for value in row:
        if isinstance(value, str) and value[:1] in "[{":
            value = json.loads(value)
        elif isinstance(value, dt.datetime):
            value = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
        values.append(value)
    return tuple(values)


def dbapi_rows(emulator: Any, repo: str) -> list[tuple[Any, ...]]:
    """The DB-API's rows for the reference query: what every TDS client must also get."""
    import bitbucket_sql.dbapi as dbapi

    with dbapi.connect(connection_string_for(emulator)) as connection:
        cursor = connection.cursor()
        cursor.execute(REFERENCE_DBAPI, [repo])
        rows = [tds_normalized(row) for row in cursor.fetchall()]
    assert rows, "the reference query found no pull requests"
    return rows


def require_node_package(root: Path, package: str) -> Path:
    """node_modules holding ``package`` (installed by .ci/install-clients), or a skip (a failure under CI)."""
    import shutil

    modules = root / ".ci" / "npm" / "node_modules"
    if shutil.which("node") is None or not (modules / package).is_dir():
        message = f"node and the npm package {package} are not installed (.ci/install-clients installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return modules
