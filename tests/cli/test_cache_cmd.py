"""Two ``bbsql query`` processes share the persistent cache: the second makes no request; ``bbsql
cache status`` shows what is cached and ``bbsql cache clear`` empties it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from cli_helpers import invoke

from _helpers_connect import connection_string_for

SQL = "SELECT repository, id, title FROM pull_requests WHERE state = 'OPEN' ORDER BY repository, id"


def _bbsql(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bitbucket_sql", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_a_second_process_answers_from_the_cache_with_no_request(emulator: Any, tmp_path: Path) -> None:
    connection = connection_string_for(emulator, Cache="persistent", CacheLocation=str(tmp_path))
    emulator.reset_stats()
    first = _bbsql("query", "-c", connection, "-f", "csv", SQL)
    assert first.returncode == 0, first.stderr
    cold = emulator.stats()["total"]
    assert cold > 1

    emulator.reset_stats()
    second = _bbsql("query", "-c", connection, "-f", "csv", SQL)
    assert second.returncode == 0, second.stderr
    assert emulator.stats()["total"] == 0
    assert second.stdout == first.stdout and second.stdout.count("\n") > 1

    status = invoke("cache", "status", "-c", connection)
    assert status.exit_code == 0, status.output
    assert str(tmp_path / "scans.sqlite3") in status.output
    lines = {line.split()[0]: line.split() for line in status.output.splitlines() if line.strip()}
    assert "pull_requests" in lines and "repositories" in lines
    assert int(lines["pull_requests"][1]) == cold - 1  # one entry per repository listed

    cleared = invoke("cache", "clear", "--table", "pull_requests", "-c", connection)
    assert cleared.exit_code == 0, cleared.output
    assert f"Removed {cold - 1} entries of pull_requests" in cleared.output
    emulator.reset_stats()
    third = _bbsql("query", "-c", connection, "-f", "csv", SQL)
    assert third.returncode == 0 and third.stdout == first.stdout
    assert emulator.stats()["total"] == cold - 1  # the repositories' listing is still cached

    everything = invoke("cache", "clear", "-c", connection)
    assert everything.exit_code == 0 and "Removed" in everything.output
    after = invoke("cache", "status", "-c", connection)
    assert "in 0 entries" in after.output


def test_the_default_location_is_bbsql_cache_dir(tmp_path: Path) -> None:
    env = {**os.environ, "BBSQL_CACHE_DIR": str(tmp_path / "elsewhere")}
    status = _bbsql("cache", "status", env=env)
    assert status.returncode == 0, status.stderr
    assert str(tmp_path / "elsewhere") in status.stdout and "yet" in status.stdout


def test_clearing_an_unknown_table_names_the_close_ones(tmp_path: Path) -> None:
    result = invoke("cache", "clear", "--table", "pull_request", "-c", f"CacheLocation={tmp_path}")
    assert result.exit_code == 1
    assert "pull_requests" in result.output
