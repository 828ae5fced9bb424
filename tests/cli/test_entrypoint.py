"""`bbsql` itself: help, version and one-line errors for unknown commands and flags."""

from __future__ import annotations

import subprocess
import sys

from bitbucket_sql import __version__


def _bbsql(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bitbucket_sql", *args], capture_output=True, text=True, timeout=60
    )


def test_version_prints_the_package_version() -> None:
    result = _bbsql("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"bbsql {__version__}"


def test_help_lists_the_subcommands() -> None:
    result = _bbsql("--help")
    assert result.returncode == 0
    assert "Usage: bbsql" in result.stdout
    for command in ("demo", "query", "emulator"):
        assert command in result.stdout


def test_unknown_subcommand_is_a_one_line_error() -> None:
    result = _bbsql("frobnicate")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "unknown command 'frobnicate'" in lines[0]


def test_bad_flag_is_a_one_line_error() -> None:
    result = _bbsql("--no-such-flag")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--no-such-flag" in lines[0]
