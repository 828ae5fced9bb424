"""``bbsql emulator``: started as a real process, it prints its URL, serves, and stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

URL_PATTERN = re.compile(r"(http://127\.0\.0\.1:\d+/2\.0)")


def _bbsql(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bitbucket_sql", *args], capture_output=True, text=True, timeout=60
    )


def test_serves_on_a_free_port_prints_credentials_and_stops_cleanly_on_ctrl_c() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bitbucket_sql", "emulator", "--port", "0", "--scale", "tiny", "--seed", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(6)]
        match = URL_PATTERN.search(banner[0])
        assert match, banner
        base_url = match.group(1)
        text = "".join(banner)
        for secret in ("demo@example.com", "demo-api-token", "demo-access-token", "demo-client-id"):
            assert secret in text
        answer = httpx.get(
            f"{base_url}/repositories/acme/api/issues", auth=("demo@example.com", "demo-api-token")
        )
        assert answer.status_code == 410
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--fault-rate", "2"], "--fault-rate"),
        (["--scale", "huge"], "--scale"),
        (["--port", "-1"], "--port"),
        (["--rate-limit", "0"], "--rate-limit"),
        (["--data", "/no/such/file.json"], "--data"),
    ],
)
def test_bad_values_give_a_one_line_error(args: list[str], named: str) -> None:
    result = _bbsql("emulator", *args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]


def test_a_busy_port_is_a_one_line_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _bbsql("emulator", "--port", str(port))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"bbsql: error: port {port} on 127.0.0.1 is already in use")
    assert "pass --port 0 to pick a free port" in line
    if Path("/proc/net/tcp").exists():  # Linux: the process holding it is named (this test's)
        assert f"by pid {os.getpid()} (" in line and "pytest" in line


def test_a_broken_data_file_is_a_one_line_error_naming_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("workspaces:\n  - name: no slug here\n", encoding="utf-8")
    result = _bbsql("emulator", "--port", "0", "--data", str(broken))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(broken) in lines[0]


def test_the_banner_says_which_period_the_generated_history_covers() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bitbucket_sql", "emulator", "--port", "0", "--scale", "tiny",
         "--anchor-date", "2026-01-31"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert "(scale tiny, seed 1, history 2024-02-01 .. 2026-01-31)" in first
