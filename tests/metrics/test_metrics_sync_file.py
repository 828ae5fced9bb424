"""The metrics over a copy made by the real ``bbsql sync`` (zero requests) answer what the live
engine answers over the same emulator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from raw_api import DEMO_ANCHOR

from _helpers_connect import connection_string_for
from bitbucket_sql.cli.main import cli
from bitbucket_sql.engine import EngineError
from bitbucket_sql.metrics import METRICS, LiveSource, MetricError, MetricParams, SyncFileSource, get_metric

TODAY = DEMO_ANCHOR
PARAMS = MetricParams("acme", start=TODAY - dt.timedelta(days=89), end=TODAY)
TABLES = sorted({table for metric in METRICS for table in metric.tables} | {"repositories"})


@pytest.fixture(scope="module")
def live(demo_emulator: Any) -> Iterator[LiveSource]:
    source = LiveSource.connect(connection_string_for(demo_emulator))
    yield source
    source.close()


@pytest.fixture(scope="module")
def sync_file(demo_emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tables the metrics read, copied from the test's emulator by ``bbsql sync``."""
    path = tmp_path_factory.mktemp("sync") / "bitbucket.duckdb"
    result = CliRunner().invoke(cli, ["sync", "-c", connection_string_for(demo_emulator),
                                      "--tables", ",".join(TABLES), "--to", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def from_file(sync_file: Path) -> Iterator[SyncFileSource]:
    source = SyncFileSource(sync_file)
    yield source
    source.close()


@pytest.mark.parametrize("name", [metric.name for metric in METRICS])
def test_sync_file_answers_as_live(name: str, live: LiveSource, from_file: SyncFileSource) -> None:
    metric = get_metric(name)
    online, offline = live.run(metric, PARAMS), from_file.run(metric, PARAMS)
    assert offline.requests == 0
    assert offline.columns == online.columns
    assert offline.rows, f"{name} should have rows over the demo's last 90 days"
    if name == "open_prs_by_age":  # ages are measured against each query's now()
        assert [row[:3] for row in offline.rows] == [row[:3] for row in online.rows]
    else:
        assert offline.rows == online.rows


def test_sync_file_lists_its_workspaces_and_repositories(from_file: SyncFileSource, live: LiveSource) -> None:
    assert from_file.workspaces() == ["acme"]
    assert from_file.repositories("acme") == live.repositories("acme")
    assert from_file.rate_limit() is None


def test_a_table_the_copy_lacks_is_named(sync_file: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial.duckdb"
    with duckdb.connect(str(partial)) as connection:
        connection.execute(f"ATTACH '{sync_file}' AS full_copy (READ_ONLY)")
        connection.execute('CREATE SCHEMA "acme"')
        for table in ("_bbsql_sync_state", "pull_requests", "repositories"):
            connection.execute(f'CREATE TABLE "acme".{table} AS SELECT * FROM full_copy."acme".{table}')
    source = SyncFileSource(partial)
    try:
        assert source.run(get_metric("pr_throughput"), PARAMS).rows
        with pytest.raises(EngineError, match="deployments is not in the synced database"):
            source.run(get_metric("deployment_frequency"), PARAMS)
    finally:
        source.close()


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(MetricError, match="bbsql sync"):
        SyncFileSource(tmp_path / "nope.duckdb")


def test_query_metric_from_the_sync_file(sync_file: Path, from_file: SyncFileSource) -> None:
    result = CliRunner().invoke(cli, ["query", "--from", str(sync_file), "--metric", "time_to_merge",
                                      "-p", "days=90", "-f", "csv"], env={"BBSQL_CONNECTION": ""})
    assert result.exit_code == 0, result.output
    expected = from_file.run(get_metric("time_to_merge"), PARAMS)
    lines = result.stdout.strip().splitlines()
    assert lines[0] == ",".join(expected.columns)
    assert [line.split(",")[0] for line in lines[1:]] == [row[0] for row in expected.rows]
