"""Helpers for the sync tests: a sync into a DuckDB file, the copy's rows, the live rows.

Rows are compared as sorted lists of tuples of the catalog columns, with JSON values parsed
(dlt writes JSON with its own spacing) and timestamps as aware datetimes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from _helpers_connect import demo_settings
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.engine import Engine
from bitbucket_sql.sync.load import Destination, dataset_name
from bitbucket_sql.sync.runner import RunResult, run_sync
from bitbucket_sql.sync.tables import SyncTable


def settings_for(emulator: Any, **overrides: Any) -> Any:
    return demo_settings(emulator.base_url, MaxFanout=100_000, MaxPages=100_000, **overrides)


def sync_into(emulator: Any, path: Path, tables: list[SyncTable], **options: Any) -> RunResult:
    with BitbucketClient(settings_for(emulator), interactive=False) as client:
        return run_sync(client, ["acme"], tables, Destination.parse(str(path), None), **options)


def _normal(value: Any, sql_type: str) -> Any:
    if sql_type == "JSON" and isinstance(value, str):
        return json.dumps(json.loads(value), sort_keys=True)
    return value


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=lambda row: json.dumps(row, default=str, sort_keys=True))


def copy_rows(path: Path, table: SyncTable, workspace: str = "acme") -> list[tuple[Any, ...]]:
    """The catalog columns of every row of ``table`` in the synced DuckDB file."""
    columns = table.definition.columns
    names = ", ".join(f'"{c.name}"' for c in columns)
    with duckdb.connect(str(path), read_only=True) as connection:
        found = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [dataset_name(workspace), table.name],
        ).fetchone()
        if not found or not found[0]:
            return []
        rows = connection.execute(f'SELECT {names} FROM "{dataset_name(workspace)}"."{table.name}"').fetchall()
    return _sorted([tuple(_normal(v, c.type) for v, c in zip(row, columns, strict=True)) for row in rows])


def live_rows(engine: Engine, table: SyncTable) -> list[tuple[Any, ...]]:
    """``SELECT *`` of the live table, as the engine answers it."""
    columns = table.definition.columns
    names = ", ".join(f'"{c.name}"' for c in columns)
    result = engine.execute(f"SELECT {names} FROM acme.{table.name}")
    return _sorted([tuple(_normal(v, c.type) for v, c in zip(row, columns, strict=True)) for row in result.rows])


def duplicate_keys(path: Path, table: SyncTable) -> int:
    keys = ", ".join(f'"{k}"' for k in table.primary_key)
    with duckdb.connect(str(path), read_only=True) as connection:
        try:
            row = connection.execute(
                f'SELECT count(*) - count(DISTINCT ({keys})) FROM "acme"."{table.name}"'
            ).fetchone()
        except duckdb.CatalogException:
            return 0
    return int(row[0]) if row else 0
