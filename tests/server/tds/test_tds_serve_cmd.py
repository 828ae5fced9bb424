"""`bbsql serve --demo` as a user runs it: both listeners, the TDS one printed with what to paste; and
`--tds-port` taken says what to do."""

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


def _bbsql(*args: str) -> list[str]:
    return [sys.executable, "-m", "bitbucket_sql", *args]


def _read_until(process: subprocess.Popen[str], pattern: str, timeout: float = 120) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    seen = ""
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen += line
        match = re.search(pattern, seen)
        if match:
            return match
    process.kill()
    raise AssertionError(f"no line matching {pattern!r}; output so far:\n{seen}")


def test_demo_opens_the_tds_listener_with_the_same_user_and_database(tmp_path: Path) -> None:
    pymssql = require_module("pymssql", "pymssql")
    access_log = tmp_path / "access.log"
    process = subprocess.Popen(
        _bbsql("serve", "--demo", "--port", "0", "--scale", "tiny", "--access-log", str(access_log)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        listening = _read_until(process, r"SQL Server protocol \(TDS\) on 127\.0\.0\.1:(\d+)")
        port = listening.group(1)
        hint = _read_until(process, r"tsql -H 127\.0\.0\.1 -p (\d+) -D demo -U demo -P demo")
        assert hint.group(1) == port
        with pymssql.connect(server="127.0.0.1", port=port, user="demo", password="demo", database="demo",
                             encryption="require", login_timeout=15) as connection:
            cursor = connection.cursor()
            cursor.execute("SELECT COUNT(*) FROM repositories")
            assert cursor.fetchone()[0] > 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    log = access_log.read_text(encoding="utf-8")
    assert '"protocol": "tds"' in log and "SELECT COUNT(*) FROM repositories" in log
    assert '"password"' not in log and "Pwd" not in log


def test_a_taken_tds_port_says_to_use_tds_port_0() -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = subprocess.run(
            _bbsql("serve", "--demo", "--scale", "tiny", "--port", "0", "--tds-port", str(port)),
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr and "--tds-port 0" in result.stderr


def test_the_config_file_sets_the_tds_port_and_the_clear_text_opt_in(emulator: object, tmp_path: Path) -> None:
    from pg_server_helpers import require_client

    from _helpers_connect import connection_string_for
    from bitbucket_sql.server.auth import make_verifier
    from bitbucket_sql.server.config import ConfigError, parse_config

    program = require_client("tsql", "freetds-bin")
    with pytest.raises(ConfigError, match="tds_port must be between 0 and 65535"):
        parse_config({"server": {"tds_port": 70000}})
    config = tmp_path / "server.toml"
    config.write_text(
        f"""
[server]
port = 0
tds_port = 0
tds_allow_cleartext_login = true

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
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        port = _read_until(process, r"SQL Server protocol \(TDS\) on 127\.0\.0\.1:(\d+)").group(1)
        conf = tmp_path / "freetds.conf"
        conf.write_text(f"[bbsql]\n\thost = 127.0.0.1\n\tport = {port}\n\ttds version = 7.4\n\tencryption = off\n",
                        encoding="utf-8")
        result = subprocess.run([program, "-S", "bbsql", "-U", "alice", "-P", "alice-pw", "-D", "acme"],
                                input="SELECT COUNT(*) FROM repositories\ngo\nexit\n", capture_output=True, text=True,
                                timeout=60, env={**os.environ, "FREETDSCONF": str(conf)})
        assert "(1 row affected)" in result.stdout, result.stdout + result.stderr
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
