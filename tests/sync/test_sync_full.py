"""A full sync equals the live SELECT of every table, and the copy answers queries with zero requests."""

from __future__ import annotations

import json
from pathlib import Path

from sync_helpers import copy_rows, duplicate_keys, live_rows, settings_for, sync_into

from bitbucket_sql.engine import Engine
from bitbucket_sql.sync.tables import sync_tables


def test_a_full_sync_equals_the_live_tables_and_answers_without_requests(emulator, tmp_path: Path) -> None:
    path = tmp_path / "bitbucket.duckdb"
    tables = sync_tables()
    result = sync_into(emulator, path, tables)
    assert result.status == "done", result.message
    assert all(tally.finished for tally in result.tables.values())

    with Engine(settings_for(emulator, CacheTTL=0)) as live:
        for table in tables:
            expected = live_rows(live, table)
            assert copy_rows(path, table) == expected, table.name
            assert duplicate_keys(path, table) == 0, table.name
    assert any(copy_rows(path, t) for t in tables if t.name == "pull_request_comments")
    assert _column_types(path, tables) == {t.name: dict(t.columns) for t in tables}

    # the copy answers the same SELECT through the engine with zero requests
    with Engine(settings_for(emulator, CacheTTL=0, SyncedDatabase=str(path))) as synced:
        for table in tables:
            names = ", ".join(f'"{c.name}"' for c in table.definition.columns)
            answer = synced.execute(f"SELECT {names} FROM acme.{table.name}")
            assert answer.stats.requests == 0, table.name
            assert len(answer.rows) == len(copy_rows(path, table)), table.name


#: information_schema's spelling of the catalog's types
_SPELLED = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ"}


def _column_types(path: Path, tables: list) -> dict[str, dict[str, str]]:
    """Each table's catalog columns and their types as the copy declares them (dlt's own columns aside)."""
    import duckdb

    found: dict[str, dict[str, str]] = {}
    with duckdb.connect(str(path), read_only=True) as connection:
        for table in tables:
            rows = connection.execute("SELECT column_name, data_type FROM information_schema.columns "
                                      "WHERE table_schema = 'acme' AND table_name = ?", [table.name]).fetchall()
            wanted = {name for name, _ in table.columns}
            found[table.name] = {name: _SPELLED.get(kind, kind) for name, kind in rows if name in wanted}
    return found


def test_the_state_lives_in_the_destination(emulator, tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "copy.duckdb"
    sync_into(emulator, path, sync_tables(["repositories", "pull_requests"]))
    with duckdb.connect(str(path), read_only=True) as connection:
        (workspace, text), = connection.execute("SELECT workspace, state FROM acme._bbsql_sync_state").fetchall()
    assert workspace == "acme"
    state = json.loads(text)
    with emulator.store.lock:
        slugs = set(emulator.store.workspace("acme").repositories)
    cursors = state["workspaces"]["acme"]["tables"]["pull_requests"]["scopes"]
    assert set(cursors) == {f"r:{slug}" for slug in slugs}
    assert all(scope["cursor"] for scope in cursors.values())
