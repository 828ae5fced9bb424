"""Starting `bbsql serve`'s server on loopback against the test emulator (imported by name)."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from _helpers_connect import connection_string_for
from bitbucket_sql.server.auth import make_verifier
from bitbucket_sql.server.config import DatabaseConfig, Limits, ServerConfig, TlsConfig, UserConfig
from bitbucket_sql.server.listener import PgServer, serve_in_thread
from bitbucket_sql.server.tls import write_self_signed

PASSWORD = "pw"
_VERIFIER = make_verifier(PASSWORD)


@dataclass
class RunningServer:
    server: PgServer
    host: str
    port: int
    tls: bool

    def dsn(self, user: str = "reader", password: str = PASSWORD, dbname: str = "acme", **extra: str) -> str:
        """A libpq connection string (psql, psycopg)."""
        parts = {
            "host": self.host,
            "port": str(self.port),
            "user": user,
            "password": password,
            "dbname": dbname,
        }
        parts.setdefault("sslmode", "prefer" if self.tls else "disable")
        parts.update(extra)
        return " ".join(f"{key}={value}" for key, value in parts.items())


def server_config(emulator: Any, **options: Any) -> ServerConfig:
    """Database ``acme`` (the emulator's workspace), users reader (read) and writer (read-write)."""
    return ServerConfig(
        host="127.0.0.1",
        port=0,
        databases={
            "acme": DatabaseConfig("acme", connection_string_for(emulator)),
            "other": DatabaseConfig("other", connection_string_for(emulator)),
        },
        users={
            "reader": UserConfig("reader", _VERIFIER, {"acme": "read"}),
            "writer": UserConfig("writer", _VERIFIER, {"acme": "read-write", "other": "read"}),
        },
        **options,
    )


@contextlib.contextmanager
def running_server(
    emulator: Any,
    tmp_path: Path | None = None,
    *,
    tls: bool = False,
    limits: Limits | None = None,
    **options: Any,
) -> Iterator[RunningServer]:
    """The server on a free loopback port, stopped when the block ends."""
    config = server_config(emulator, **options)
    if limits is not None:
        config.limits = limits
    if tls:
        assert tmp_path is not None, "TLS needs a directory for the certificate"
        cert, key = write_self_signed(tmp_path)
        config.tls = TlsConfig(cert, key)
    with serve_in_thread(config) as server:
        yield RunningServer(server, "127.0.0.1", server.port, tls)


def require_client(command: str, package: str) -> str:
    """The path of a client program, or a skip naming its package (a failure under CI=true)."""
    path = shutil.which(command)
    if path is None:
        message = f"{command} is not installed (Debian package {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; .ci/run should have installed it")
        pytest.skip(message)
    return path


def require_module(name: str, package: str) -> Any:
    """Import a client library, or skip naming its pip package (a failure under CI=true)."""
    try:
        return __import__(name)
    except ImportError:
        message = f"{name} is not installed (pip install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; it is in the test extra of pyproject.toml")
        pytest.skip(message, allow_module_level=True)  # called where a test module imports it


#: The comparison query: bigint, text, boolean, timestamptz and JSON columns of one repository.
REFERENCE_SQL = (
    "SELECT id, title, draft, comment_count, created_on, reviewers FROM pull_requests "
    "WHERE repository = {repo} ORDER BY id LIMIT 5"
)


def reference_rows(emulator: Any, repo: str) -> list[tuple[Any, ...]]:
    """The DB-API's rows for REFERENCE_SQL: what every client must also get, types included."""
    import bitbucket_sql.dbapi as dbapi

    with dbapi.connect(connection_string_for(emulator)) as connection:
        cursor = connection.cursor()
        cursor.execute(REFERENCE_SQL.format(repo="?"), [repo])
        rows = [normalized(row) for row in cursor.fetchall()]
    assert rows, "the reference query found no pull requests"
    return rows


def normalized(row: Any) -> tuple[Any, ...]:
    """A row in comparable form: JSON text parsed, timestamps in UTC, nothing else changed."""
    import datetime as dt
    import json

    values: list[Any] = []
    for value in row:
        if isinstance(value, str) and value[:1] in "[{":
            value = json.loads(value)
        elif isinstance(value, dt.datetime):
            assert value.tzinfo is not None, f"timestamp {value} lost its time zone"
            value = value.astimezone(dt.UTC)
        values.append(value)
    return tuple(values)


def repository_with_pull_requests(emulator: Any) -> str:
    from _helpers_connect import busiest_repository

    return busiest_repository(emulator)[0]
