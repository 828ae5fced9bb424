"""Startup, TLS negotiation and authentication as libpq (through psycopg) sees them."""

from __future__ import annotations

import asyncio
import socket
import struct
from pathlib import Path
from typing import Any

import pytest
from pg_server_helpers import RunningServer, require_module, running_server, server_config

from bitbucket_sql.server.config import DatabaseConfig
from bitbucket_sql.server.listener import PgServer, ServerStartError, serve_in_thread

psycopg = require_module("psycopg", "psycopg[binary]")


def _connect_error(dsn: str) -> str:
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(dsn, connect_timeout=10)
    return str(caught.value)


def test_wrong_password_is_refused_with_28P01(demo_server: RunningServer) -> None:
    assert 'password authentication failed for user "reader"' in _connect_error(
        demo_server.dsn(password="nope")
    )


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(demo_server: RunningServer) -> None:
    assert 'password authentication failed for user "mallory"' in _connect_error(
        demo_server.dsn(user="mallory")
    )


def test_unknown_database_names_the_existing_ones(demo_server: RunningServer) -> None:
    message = _connect_error(demo_server.dsn(dbname="nowhere"))
    assert 'database "nowhere" does not exist' in message


def test_a_database_without_a_grant_is_refused(demo_server: RunningServer) -> None:
    assert 'permission denied for database "other"' in _connect_error(demo_server.dsn(dbname="other"))


def test_without_tls_configured_sslrequest_is_declined(demo_server: RunningServer) -> None:
    assert "server does not support SSL" in _connect_error(demo_server.dsn(sslmode="require"))


def test_tls_handshake_then_scram_over_it(emulator: Any, tmp_path: Path) -> None:
    with running_server(emulator, tmp_path, tls=True) as server:
        # The server's answer to a wrong password arriving proves the TLS session carried the exchange.
        message = _connect_error(server.dsn(password="nope", sslmode="require"))
        assert "password authentication failed" in message


def test_require_tls_refuses_plain_connections(emulator: Any, tmp_path: Path) -> None:
    with running_server(emulator, tmp_path, tls=True, require_tls=True) as server:
        assert "this server requires TLS" in _connect_error(server.dsn(sslmode="disable"))


def test_a_taken_port_is_a_clear_error_suggesting_port_0(emulator: Any) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        config = server_config(emulator)
        config.port = blocker.getsockname()[1]
        server = PgServer(config)
        with pytest.raises(ServerStartError) as caught:
            asyncio.run(server.start())
        assert "already in use" in str(caught.value) and "--port 0" in str(caught.value)


def test_an_unsupported_protocol_version_is_refused(demo_server: RunningServer) -> None:
    with socket.create_connection((demo_server.host, demo_server.port), timeout=10) as sock:
        sock.sendall(struct.pack("!ii", 8, 2 << 16))
        reply = sock.recv(4096)
    assert reply[:1] == b"E" and b"0A000" in reply and b"unsupported frontend protocol 2.0" in reply


def test_a_broken_database_setting_is_a_readable_fatal_without_secrets(emulator: Any) -> None:
    config = server_config(emulator)
    config.databases["broken"] = DatabaseConfig(
        "broken", "Workspace=acme;AuthScheme=APIToken;User=u;APIToken=sekret-token;MaxRows=lots"
    )
    config.users["reader"].grants["broken"] = "read"
    with serve_in_thread(config) as server:
        dsn = f"host=127.0.0.1 port={server.port} user=reader password=pw dbname=broken sslmode=disable"
        message = _connect_error(dsn)
    assert 'cannot open database "broken"' in message
    assert "sekret-token" not in message


def test_cleartext_password_is_offered_only_over_tls_when_allowed(emulator: Any, tmp_path: Path) -> None:
    with running_server(emulator, tmp_path, tls=True, allow_cleartext_password=True) as server:
        with psycopg.connect(server.dsn(sslmode="require")) as connection:
            assert connection.info.pgconn.ssl_in_use
            assert connection.execute("SELECT 1").fetchone() == (1,)
        assert "password authentication failed" in _connect_error(
            server.dsn(sslmode="require", password="bad")
        )
        # Without TLS the same server still insists on SCRAM: libpq can refuse anything else.
        with psycopg.connect(server.dsn(sslmode="disable", require_auth="scram-sha-256")) as connection:
            assert connection.execute("SELECT 2").fetchone() == (2,)
