"""``bbsql dashboard`` as a user runs it: the real command in a subprocess on a free port, on the
demo data and on a ``bbsql sync`` copy (in Chromium: zero requests, charts over the synced
tables, and the charts whose tables the copy lacks say which table to sync)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from browser import (
    chart_annotations,
    chart_data,
    require_dash,
    severe_console_entries,
    start_chromium,
    wait_for,
)
from click.testing import CliRunner

from _helpers_connect import connection_string_for
from bitbucket_sql.cli import dashboard_cmd
from bitbucket_sql.cli.main import cli

require_dash()


def start_dashboard(*args: str) -> tuple[subprocess.Popen[str], str]:
    """``bbsql dashboard ARGS --port 0`` in a subprocess, and the URL it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bitbucket_sql", "dashboard", *args, "--port", "0"],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        env={**os.environ, "BBSQL_CONNECTION": ""},
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        found = re.search(r"Dashboard: (http://127\.0\.0\.1:\d+/)", line)
        if found:
            return process, found.group(1)
    process.wait(timeout=10)
    raise AssertionError("bbsql dashboard printed no URL:\n" + "".join(lines))


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_without_dash_it_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real = dashboard_cmd.importlib.util.find_spec
    monkeypatch.setattr(dashboard_cmd.importlib.util, "find_spec",
                        lambda name, *rest: None if name == "dash" else real(name, *rest))
    result = CliRunner().invoke(cli, ["dashboard", "--demo"])
    assert result.exit_code == 1
    assert "pip install 'bitbucket-sql[dashboard]'" in result.output


def test_demo_and_from_exclude_each_other(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["dashboard", "--demo", "--from", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 2
    assert "--demo and --from exclude each other" in result.output


def test_demo_serves_the_app_on_loopback() -> None:
    process, url = start_dashboard("--demo")
    try:
        page = httpx.get(url, timeout=30)
        assert page.status_code == 200
        assert "<title>Bitbucket engineering metrics</title>" in page.text
        layout = httpx.get(url + "_dash-layout", timeout=30).json()
        assert "chart-lead_time" in str(layout) and "DORA" in str(layout)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def partial_copy(demo_emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sync of the pull request tables only."""
    path = tmp_path_factory.mktemp("sync") / "prs.duckdb"
    result = CliRunner().invoke(cli, ["sync", "-c", connection_string_for(demo_emulator),
                                      "--tables", "repositories,pull_requests", "--to", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def from_file_url(partial_copy: Path) -> Iterator[str]:
    process, url = start_dashboard("--from", str(partial_copy), "--days", "30")
    try:
        yield url
    finally:
        stop(process)


def test_from_a_sync_file_in_the_browser(from_file_url: str, tmp_path: Path) -> None:
    driver = start_chromium(tmp_path)
    try:
        driver.get(from_file_url)
        wait_for(lambda: "Requests spent: 0 (sync file)" in driver.find_element("id", "status").text,
                 what="the sync-file status")
        assert "from a sync file" in driver.find_element("id", "origin").text
        for chart in ("chart-pr_throughput", "chart-time_to_merge", "chart-review_load", "chart-open_prs_by_age"):
            wait_for(lambda chart=chart: chart_data(driver, chart), what=f"{chart}'s bars")
        annotations = wait_for(lambda: chart_annotations(driver, "chart-deployment_frequency"),
                               what="the deployment chart's message")
        assert "deployments is not in the synced database" in annotations[0]
        assert "deployments" in driver.find_element("id", "status-errors").text
        assert severe_console_entries(driver) == []
    finally:
        driver.quit()
