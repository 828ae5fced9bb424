"""The metrics' SQL runs unchanged over a DuckDB file in ``bbsql sync``'s layout (one schema per
workspace, the live tables' names and columns, JSON columns as text) with zero requests, and
answers what the live engine answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from _helpers_connect import connection_string_for
from bitbucket_sql.metrics import METRICS, LiveSource, MetricError, MetricParams, SyncFileSource, get_metric

TODAY = dt.datetime.now(dt.UTC).date()
PARAMS = MetricParams("acme", start=TODAY - dt.timedelta(days=179), end=TODAY)


@pytest.fixture(scope="module")
def live(demo_emulator: Any) -> Iterator[LiveSource]:
    source = LiveSource.connect(connection_string_for(demo_emulator))
    yield source
    source.close()


@pytest.fixture(scope="module")
def sync_file(live: LiveSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every table a metric reads, copied whole from the engine into schema ``acme``."""
    path = tmp_path_factory.mktemp("sync") / "bitbucket.duckdb"
    tables = sorted({table for metric in METRICS for table in metric.tables} | {"repositories"})
    with duckdb.connect(str(path)) as connection:
        connection.execute('CREATE SCHEMA "acme"')
        for table in tables:
            rows = live.engine.execute(f"SELECT * FROM acme.{table}").to_arrow()  # noqa: F841 - read by DuckDB
            connection.execute(f'CREATE TABLE "acme".{table} AS SELECT * FROM rows')
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
    assert offline.rows, f"{name} should have rows over the demo's last 180 days"
    if name == "open_prs_by_age":  # ages are measured against each query's now()
        assert [row[:3] for row in offline.rows] == [row[:3] for row in online.rows]
    else:
        assert offline.rows == online.rows


def test_sync_file_lists_its_workspaces_and_repositories(from_file: SyncFileSource, live: LiveSource) -> None:
    assert from_file.workspaces() == ["acme"]
    assert from_file.repositories("acme") == live.repositories("acme")


def test_missing_table_is_named(tmp_path: Path) -> None:
    path = tmp_path / "partial.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute('CREATE SCHEMA "acme"')
        connection.execute('CREATE TABLE "acme".pull_requests (repository VARCHAR)')
    source = SyncFileSource(path)
    try:
        with pytest.raises(MetricError, match="needs table\\(s\\) deployments, environments, commits"):
            source.run(get_metric("lead_time"), PARAMS)
    finally:
        source.close()


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(MetricError, match="bbsql sync"):
        SyncFileSource(tmp_path / "nope.duckdb")
