"""`bbsql demo`: the README's first command, run non-interactively as a new user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from bitbucket_sql.cli.demo_cmd import TOUR

STANDALONE_CONNECTION = (
    "BaseURL=http://127.0.0.1:7990/2.0;Workspace=acme;AuthScheme=APIToken;"
    "User=demo@example.com;APIToken=demo-api-token"
)
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def _connection_string_shown(output: str) -> str:
    match = re.search(r"Connection string: (\S+)", output)
    assert match, output[:2000]
    return match.group(1)


def test_demo_runs_the_whole_tour_and_exits_without_a_terminal(tmp_path: Path) -> None:
    # narrow on purpose: nothing a user copies may be broken across lines
    env = {**os.environ, "HOME": str(tmp_path), "BBSQL_CONNECTION": "", "NO_COLOR": "1", "COLUMNS": "60",
           "BBSQL_CACHE": "persistent", "BBSQL_CACHE_DIR": str(tmp_path / "cache")}  # a new user's default cache
    completed = subprocess.run(
        [sys.executable, "-m", "bitbucket_sql", "demo", "--scale", "tiny"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    out = completed.stdout
    for number, step in enumerate(TOUR, start=1):
        assert f"{number}. {step.title}" in out
    assert "error:" not in out
    assert out.count(" request") >= len(TOUR)  # every step reports its request count
    assert "Tour done" in out
    # each step costs what it costs on its own: the one-repository step says "one request" and makes it
    one_repository = out.split("2. Recent pull requests", 1)[1].split("3. ", 1)[0]
    assert re.search(r"rows? in [0-9.]+ s, 1 request\b", one_repository), one_repository
    assert "Open the SQL shell" not in out  # no terminal: no shell offered
    assert "Traceback" not in completed.stderr
    shown = _connection_string_shown(out)
    assert re.fullmatch(r"BaseURL=http://127\.0\.0\.1:\d+/2\.0;Workspace=acme;AuthScheme=APIToken;"
                        r"User=demo@example\.com;APIToken=demo-api-token", shown)  # fmt: skip
    # the way on works after the demo's own emulator has stopped: a standalone one
    assert "run 'bbsql emulator --scale tiny' in another terminal" in out  # the demo's own data
    assert f"bbsql shell -c '{STANDALONE_CONNECTION}'" in out
    assert "Try your own with 'bbsql shell'" not in out


def _read_until(fd: int, marker: bytes, seen: bytearray, timeout_s: float = 60.0) -> None:
    """Read the terminal's output into ``seen`` until ``marker`` appears (or fail after a while)."""
    import select

    limit = timeout_s
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], limit)
        assert ready, f"waited for {marker!r}; got: {bytes(seen)[-2000:]!r}"
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        assert chunk, f"the demo ended before {marker!r}; got: {bytes(seen)[-2000:]!r}"
        seen.extend(chunk)


def _demo_in_a_terminal(tmp_path: Path, *options: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``bbsql demo --scale tiny OPTIONS`` with a pseudo-terminal as stdin, stdout and stderr."""
    import pty

    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "BBSQL_CONNECTION": "",
        "COLUMNS": "100",  # where the connection string used to be hard-wrapped
        "TERM": "xterm",
        "PROMPT_TOOLKIT_NO_CPR": "1",
    }
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bitbucket_sql", "demo", "--scale", "tiny", *options],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        cwd=tmp_path,
        close_fds=True,
    )
    os.close(terminal)
    return process, controller


def _stop(process: subprocess.Popen[bytes], controller: int) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    os.close(controller)


def test_demo_in_a_terminal_offers_the_shell_on_the_demo_data(tmp_path: Path) -> None:
    process, controller = _demo_in_a_terminal(tmp_path)
    seen = bytearray()
    try:
        _read_until(controller, b"Open the SQL shell", seen)
        os.write(controller, b"y\r")
        _read_until(controller, b"bbsql>", seen)
        os.write(controller, b"SELECT count(*) AS repos FROM repositories;\r")
        _read_until(controller, b"1 row in", seen)
        os.write(controller, b".quit\r")
        assert process.wait(timeout=60) == 0
    finally:
        _stop(process, controller)
    assert b"repos" in seen
    assert (tmp_path / ".bbsql" / "history").is_file()


def test_demo_with_no_shell_exits_after_the_tour_even_in_a_terminal(tmp_path: Path) -> None:
    process, controller = _demo_in_a_terminal(tmp_path, "--no-shell")
    seen = bytearray()
    try:
        _read_until(controller, b"docs/authentication.md", seen)  # the last line of the demo
        assert process.wait(timeout=60) == 0
    finally:
        _stop(process, controller)
    assert b"Open the SQL shell" not in seen
    text = _ANSI.sub(b"", bytes(seen)).decode("utf-8", "replace")
    assert _connection_string_shown(text).endswith(";APIToken=demo-api-token")  # whole, on one line
    assert f"bbsql shell -c '{STANDALONE_CONNECTION}'" in text


def _default_of(command: Any, name: str) -> Any:
    return next(param.default for param in command.params if param.name == name)


def test_the_closing_advice_and_bbsql_emulator_serve_the_tour_s_data() -> None:
    """The tour's repositories exist in what the advice starts: same scale and seed by default."""
    from bitbucket_sql.cli.demo_cmd import demo, standalone_emulator_command
    from bitbucket_sql.cli.emulator_cmd import emulator

    assert _default_of(demo, "scale") == _default_of(emulator, "scale")
    assert _default_of(demo, "seed") == _default_of(emulator, "seed")
    assert standalone_emulator_command(_default_of(demo, "scale"), 1) == "bbsql emulator"
    assert standalone_emulator_command("medium", 7) == "bbsql emulator --scale medium --seed 7"
