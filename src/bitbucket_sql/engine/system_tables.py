"""Metadata tables answered from the catalog: ``sys_*`` (CData's names) and ``information_schema``.

``sys_schemas`` lists the workspaces the credential can see (one ``/user/workspaces`` listing);
every other metadata table is built from the catalog alone, for each *known* schema: the
connection's Workspace plus any workspace already listed by ``sys_schemas`` (no request is
ever made for them). Column names follow CData's drivers so existing tooling finds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bitbucket_sql.catalog.model import TableDef

CATALOG_NAME = "bitbucket"

#: DuckDB schema holding the engine's own information_schema (DuckDB has a built-in one).
INFO_SCHEMA_ALIAS = "bbsql_information_schema"


@dataclass(frozen=True)
class SystemTable:
    """A metadata table: its columns (name, DuckDB type) and whether it calls the API."""

    name: str
    columns: tuple[tuple[str, str], ...]
    information_schema: bool = False
    needs_api: bool = False
    description: str = ""


SYS_SCHEMAS = SystemTable(
    "sys_schemas",
    (("CatalogName", "VARCHAR"), ("SchemaName", "VARCHAR"), ("SchemaUuid", "VARCHAR"),
     ("IsAdministrator", "BOOLEAN")),
    needs_api=True,
    description="Workspaces (schemas) the credential can see (one /user/workspaces listing).",
)
SYS_TABLES = SystemTable(
    "sys_tables",
    (("CatalogName", "VARCHAR"), ("SchemaName", "VARCHAR"), ("TableName", "VARCHAR"),
     ("TableType", "VARCHAR"), ("Description", "VARCHAR"), ("IsUpdateable", "BOOLEAN"),
     ("PrimaryKey", "VARCHAR"), ("Endpoint", "VARCHAR"), ("Scope", "VARCHAR"), ("Removed", "BOOLEAN"),
     ("WriteOperations", "VARCHAR")),
    description="Tables of the catalog with descriptions, endpoints and primary keys.",
)
SYS_TABLECOLUMNS = SystemTable(
    "sys_tablecolumns",
    (("CatalogName", "VARCHAR"), ("SchemaName", "VARCHAR"), ("TableName", "VARCHAR"),
     ("ColumnName", "VARCHAR"), ("DataTypeName", "VARCHAR"), ("Description", "VARCHAR"),
     ("Ordinal", "BIGINT"), ("IsNullable", "BOOLEAN"), ("IsKey", "BOOLEAN"), ("IsReadOnly", "BOOLEAN"),
     ("IsFilterable", "BOOLEAN"), ("FilterOperators", "VARCHAR"), ("FilterParameter", "VARCHAR"),
     ("IsSortable", "BOOLEAN"), ("IsPathKey", "BOOLEAN"), ("ApiField", "VARCHAR"), ("IsRequired", "BOOLEAN"),
     ("WriteOperations", "VARCHAR"), ("IsWriteOnly", "BOOLEAN")),
    description="Columns of every table: types, descriptions, keys, API filter operators and sorting; "
                "write-only columns (IsWriteOnly: accepted by INSERT/UPDATE, never read back) come last.",
)
SYS_PROCEDURES = SystemTable(
    "sys_procedures",
    (("CatalogName", "VARCHAR"), ("SchemaName", "VARCHAR"), ("ProcedureName", "VARCHAR"),
     ("Description", "VARCHAR"), ("ProcedureType", "VARCHAR")),
    description="Procedures (Bitbucket actions run with CALL): merge, approve, decline, stop a pipeline...",
)
SYS_PROCEDUREPARAMETERS = SystemTable(
    "sys_procedureparameters",
    (("CatalogName", "VARCHAR"), ("SchemaName", "VARCHAR"), ("ProcedureName", "VARCHAR"),
     ("ColumnName", "VARCHAR"), ("Direction", "BIGINT"), ("DataTypeName", "VARCHAR"), ("DataType", "BIGINT"),
     ("Length", "BIGINT"), ("NumericPrecision", "BIGINT"), ("NumericScale", "BIGINT"), ("IsNullable", "BOOLEAN"),
     ("IsRequired", "BOOLEAN"), ("IsArray", "BOOLEAN"), ("Description", "VARCHAR"), ("Ordinal", "BIGINT"),
     ("Values", "VARCHAR"), ("Default", "VARCHAR"), ("IsPath", "BOOLEAN")),
    description="Parameters (Direction 1) and result columns (Direction 4) of every procedure.",
)
INFO_TABLES = SystemTable(
    "tables",
    (("table_catalog", "VARCHAR"), ("table_schema", "VARCHAR"), ("table_name", "VARCHAR"),
     ("table_type", "VARCHAR"), ("table_comment", "VARCHAR")),
    information_schema=True,
)
INFO_COLUMNS = SystemTable(
    "columns",
    (("table_catalog", "VARCHAR"), ("table_schema", "VARCHAR"), ("table_name", "VARCHAR"),
     ("column_name", "VARCHAR"), ("ordinal_position", "BIGINT"), ("column_default", "VARCHAR"),
     ("is_nullable", "VARCHAR"), ("data_type", "VARCHAR"), ("column_comment", "VARCHAR")),
    information_schema=True,
)
INFO_SCHEMATA = SystemTable(
    "schemata",
    (("catalog_name", "VARCHAR"), ("schema_name", "VARCHAR"), ("schema_owner", "VARCHAR")),
    information_schema=True,
)

SYSTEM_TABLES: dict[str, SystemTable] = {
    t.name: t for t in (SYS_SCHEMAS, SYS_TABLES, SYS_TABLECOLUMNS, SYS_PROCEDURES, SYS_PROCEDUREPARAMETERS)
}
INFORMATION_SCHEMA: dict[str, SystemTable] = {t.name: t for t in (INFO_TABLES, INFO_COLUMNS, INFO_SCHEMATA)}

_DUCKDB_TYPE = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


def duckdb_type(sql_type: str) -> str:
    """The catalog type as DuckDB reports it in results (``TIMESTAMPTZ`` is spelled out)."""
    return _DUCKDB_TYPE.get(sql_type, sql_type)


def _pairs(schemas: Sequence[str | None], tables: Sequence[TableDef]) -> list[tuple[str | None, TableDef]]:
    return [(schema, table) for schema in schemas for table in tables]


def sys_schema_rows(workspaces: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows of ``sys_schemas`` from ``/user/workspaces`` items (``workspace_access``)."""
    rows = []
    for item in workspaces:
        workspace = item.get("workspace") or {}
        rows.append((CATALOG_NAME, workspace.get("slug"), workspace.get("uuid"), item.get("administrator")))
    return rows


def sys_table_rows(schemas: Sequence[str | None], tables: Sequence[TableDef]) -> list[tuple[Any, ...]]:
    rows = []
    for schema, table in _pairs(schemas, tables):
        rows.append((
            CATALOG_NAME, schema, table.name, "TABLE", table.description, bool(table.operations),
            ",".join(table.primary_key), table.path, table.scope, table.removed is not None,
            ",".join(table.operations) or None,
        ))
    return rows


def sys_column_rows(schemas: Sequence[str | None], tables: Sequence[TableDef]) -> list[tuple[Any, ...]]:
    rows = []
    for schema, table in _pairs(schemas, tables):
        key_columns = {key.column for key in table.keys}
        for ordinal, column in enumerate(table.columns, start=1):
            operators = sorted(column.filter_ops) if (table.bbql or column.param) else []
            if column.name in key_columns:
                # path keys: = and IN choose the URLs; the workspace comes from the schema instead
                operators = [] if column.name == "workspace" else ["=", "IN"]
            rows.append((
                CATALOG_NAME, schema, table.name, column.name, column.type, column.description, ordinal,
                column.name not in table.primary_key, column.name in table.primary_key,
                not table.writable_kinds(column.name),
                bool(operators), ",".join(operators) or None, column.param, column.sortable,
                column.name in key_columns, column.bbql_field, table.required_for_insert(column.name),
                ",".join(table.writable_kinds(column.name)) or None, False,
            ))
        # Columns writes accept and the API never returns (a webhook's secret): listed so tools and
        # people see them, flagged IsWriteOnly; they are not columns of the table's rows (SELECT *).
        for ordinal, write_field in enumerate(table.write_only_fields(), start=len(table.columns) + 1):
            rows.append((
                CATALOG_NAME, schema, table.name, write_field.column, write_field.type or "VARCHAR",
                write_field.description or "Write-only: accepted by writes, never returned by Bitbucket",
                ordinal, not write_field.required, False, False, False, None, None, False, False, None,
                table.required_for_insert(write_field.column),
                ",".join(table.writable_kinds(write_field.column)) or None, True,
            ))
    return rows


def info_table_rows(schemas: Sequence[str | None], tables: Sequence[TableDef]) -> list[tuple[Any, ...]]:
    return [
        (CATALOG_NAME, schema, table.name, "BASE TABLE", table.description)
        for schema, table in _pairs(schemas, tables)
    ]


def info_column_rows(schemas: Sequence[str | None], tables: Sequence[TableDef]) -> list[tuple[Any, ...]]:
    rows = []
    for schema, table in _pairs(schemas, tables):
        for ordinal, column in enumerate(table.columns, start=1):
            nullable = "NO" if column.name in table.primary_key else "YES"
            rows.append((
                CATALOG_NAME, schema, table.name, column.name, ordinal, None, nullable,
                duckdb_type(column.type), column.description,
            ))
    return rows


def info_schemata_rows(schemas: Sequence[str | None]) -> list[tuple[Any, ...]]:
    return [(CATALOG_NAME, schema, None) for schema in schemas if schema is not None]
