"""`bbsql serve` as a user runs it: --demo prints what to paste, serves it, stops on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pg_server_helpers import require_module

from bitbucket_sql.server.auth import check_cleartext, parse_verifier

psycopg = require_module("psycopg", "psycopg[binary]")


def _bbsql(*args: str) -> list[str]:
    return [sys.executable, "-m", "bitbucket_sql", *args]


def _wait_for_line(
    process: subprocess.Popen[str], pattern: str, timeout: float = 120
) -> tuple[re.Match[str], str]:
    deadline = time.monotonic() + timeout
    seen = ""
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen += line
        match = re.search(pattern, line)
        if match:
            return match, seen
    process.kill()
    pytest.fail(f"no line matching {pattern!r}; output so far:\n{seen}")


def test_demo_serves_the_emulator_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        _bbsql(
            "serve", "--demo", "--port", "0", "--scale", "tiny", "--access-log", str(tmp_path / "access.log")
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        match, banner = _wait_for_line(
            process, r'psql "(host=\S+ port=(\d+) dbname=demo user=demo password=demo sslmode=\w+)"'
        )
        assert "jdbc:postgresql://127.0.0.1:" in banner + _wait_for_line(process, r"JDBC: (\S+)")[1]
        dsn = match.group(1)
        with psycopg.connect(dsn, connect_timeout=10) as connection:
            assert connection.execute("SELECT count(*) > 0 FROM repositories").fetchone() == (True,)
            assert connection.info.pgconn.ssl_in_use  # sslmode=prefer: the demo's self-signed certificate
            # the demo user may write (docs/writing.md can be tried as printed)
            opened = connection.execute("SELECT min(id) FROM pull_requests WHERE repository = 'api' AND state = 'OPEN'")
            number = opened.fetchone()[0]
            renamed = connection.execute("UPDATE pull_requests SET title = 'Tried from the demo' WHERE repository = "
                                         "'api' AND id = %s RETURNING title", [number]).fetchone()
            assert renamed == ("Tried from the demo",)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = (tmp_path / "access.log").read_text(encoding="utf-8")
    assert '"event": "statement"' in log and '"user": "demo"' in log and "repositories" in log
    assert "password" not in log.replace('"event"', "")


def test_a_taken_port_says_to_use_port_0() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = subprocess.run(
            _bbsql("serve", "--demo", "--scale", "tiny", "--port", str(port)),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr and "--port 0" in result.stderr


def test_hash_password_prints_a_verifier_that_checks_the_password() -> None:
    result = subprocess.run(
        _bbsql("serve", "hash-password", "--password-stdin"),
        input="correct horse\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    verifier = parse_verifier(result.stdout.strip())
    assert check_cleartext("correct horse", verifier) and not check_cleartext("wrong horse", verifier)
    assert "correct horse" not in result.stdout


def test_serve_without_config_explains_what_to_do() -> None:
    result = subprocess.run(
        _bbsql("serve"),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "BBSQL_SERVER_CONFIG": ""},
    )
    assert result.returncode == 2
    assert "--config" in result.stderr and "--demo" in result.stderr


def test_serve_with_a_config_file_requiring_tls(emulator: object, tmp_path: Path) -> None:
    from _helpers_connect import connection_string_for
    from bitbucket_sql.server.auth import make_verifier
    from bitbucket_sql.server.tls import write_self_signed

    write_self_signed(tmp_path)
    config = tmp_path / "server.toml"
    config.write_text(
        f"""
[server]
port = 0
require_tls = true

[tls]
cert = "server.crt"
key = "server.key"

[databases.acme]
connection = "{connection_string_for(emulator)}"

[users.alice]
password = "{make_verifier("alice-pw")}"
databases = {{ acme = "read" }}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        _bbsql("serve", "--config", str(config)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        match, _ = _wait_for_line(
            process, r"PostgreSQL protocol on 127\.0\.0\.1:(\d+) \(TLS available and required\)"
        )
        dsn = f"host=127.0.0.1 port={match.group(1)} dbname=acme user=alice password=alice-pw"
        with psycopg.connect(dsn + " sslmode=require", connect_timeout=10) as connection:
            assert connection.info.pgconn.ssl_in_use
            assert connection.execute("SELECT count(*) > 0 FROM repositories").fetchone() == (True,)
        with pytest.raises(psycopg.OperationalError, match="requires TLS"):
            psycopg.connect(dsn + " sslmode=disable", connect_timeout=10)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "alice-pw" not in (process.stderr.read() if process.stderr else "")
