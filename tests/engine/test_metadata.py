"""sys_* tables (CData's names) and information_schema answer from the catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bitbucket_sql.catalog import registry
from bitbucket_sql.engine import Engine


def test_sys_tables_from_catalog_without_requests(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    result = engine.execute("SELECT TableName, Description, PrimaryKey FROM sys_tables WHERE SchemaName = 'acme'")
    assert emulator.stats()["total"] == 0
    by_name = {row[0]: row for row in result.rows}
    assert set(by_name) == {table.name for table in registry.all_tables()}
    assert by_name["pull_requests"][1] and by_name["pull_requests"][2] == "workspace,repository,id"


def test_sys_tablecolumns_describe_filters_and_sorts(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    rows = engine.execute(
        "SELECT ColumnName, DataTypeName, IsKey, FilterOperators, IsSortable, Description FROM sys_tablecolumns "
        "WHERE TableName = 'pull_requests' ORDER BY Ordinal"
    ).rows
    assert emulator.stats()["total"] == 0
    columns = {row[0]: row for row in rows}
    assert [row[0] for row in rows] == list(registry.get_table("pull_requests").column_names)
    assert columns["id"][2] is True and columns["title"][2] is False
    assert "LIKE" in columns["title"][3].split(",") and "IN" in columns["state"][3].split(",")
    assert columns["created_on"][1] == "TIMESTAMPTZ" and columns["created_on"][4] is True
    assert columns["repository"][3] == "=,IN"
    assert all(row[5] for row in rows)


def test_sys_schemas_lists_visible_workspaces(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    rows = engine.execute("SELECT SchemaName FROM sys_schemas ORDER BY 1").rows
    assert {"acme", "globex"} <= {row[0] for row in rows}
    assert emulator.stats()["routes"] == {"GET /2.0/user/workspaces": 1}


def test_information_schema_tables_and_columns(make_engine: Callable[..., Engine], emulator: Any) -> None:
    fresh = make_engine()
    emulator.reset_stats()
    tables = fresh.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_name = 'repositories'"
    ).rows
    assert tables == [("acme", "repositories", "BASE TABLE")]
    columns = fresh.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'pull_requests' AND column_name IN ('id', 'created_on', 'draft') ORDER BY ordinal_position"
    ).rows
    assert columns == [("id", "BIGINT"), ("draft", "BOOLEAN"), ("created_on", "TIMESTAMP WITH TIME ZONE")]
    assert emulator.stats()["total"] == 0
    fresh.execute("SELECT * FROM sys_schemas")  # learns every visible workspace
    schemas = {row[0] for row in fresh.execute("SELECT schema_name FROM information_schema.schemata").rows}
    assert {"acme", "globex"} <= schemas


def test_information_schema_columns_match_result_types(engine: Engine) -> None:
    declared = dict(engine.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'repositories'"
    ).rows)
    result = engine.execute("SELECT * FROM repositories WHERE slug = 'api'")
    assert {column.name: column.type for column in result.columns} == declared


def test_metadata_without_workspace(make_engine: Callable[..., Engine]) -> None:
    bare = make_engine(Workspace=None)
    assert bare.execute("SELECT count(*) FROM sys_tables").rows[0][0] == len(registry.all_tables())
    assert bare.execute("SELECT count(*) FROM information_schema.tables").rows[0][0] > 0
