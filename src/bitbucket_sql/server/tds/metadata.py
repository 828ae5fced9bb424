"""Metadata as SQL Server tools ask for it, answered locally (zero Bitbucket requests).

``sys.schemas``, ``sys.tables``, ``sys.objects``, ``sys.columns``, ``sys.types``,
``sys.databases`` and ``INFORMATION_SCHEMA.SCHEMATA/TABLES/COLUMNS`` are tables of a small
in-memory DuckDB database built from the table catalog; the catalog procedures ODBC, JDBC and
BI tools call (``sp_tables``, ``sp_columns``, ``sp_pkeys``, ``sp_server_info``,
``sp_datatype_info``...) are answered from the same facts. Each database's workspace is its
one schema (``dbo`` is accepted as its other name in queries).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from bitbucket_sql.catalog.model import TableDef

from .datatypes import ColumnType, column_type
from .tsql import SCHEMA_ID, VERSION_TEXT

OBJECT_ID_BASE = 1_000_000


@dataclass(frozen=True)
class TypeFacts:
    """What SQL Server's catalog says about a type."""

    name: str
    system_type_id: int
    max_length: int  # bytes; -1 for (max)
    precision: int
    scale: int
    odbc_type: int
    sql_data_type: int
    datetime_sub: int | None
    column_size: int  # ODBC COLUMN_SIZE (sp_columns PRECISION)
    buffer_length: int  # ODBC BUFFER_LENGTH (sp_columns LENGTH)
    ss_data_type: int


_FACTS: dict[str, TypeFacts] = {
    "bigint": TypeFacts("bigint", 127, 8, 19, 0, -5, -5, None, 19, 8, 63),
    "int": TypeFacts("int", 56, 4, 10, 0, 4, 4, None, 10, 4, 56),
    "smallint": TypeFacts("smallint", 52, 2, 5, 0, 5, 5, None, 5, 2, 52),
    "tinyint": TypeFacts("tinyint", 48, 1, 3, 0, -6, -6, None, 3, 1, 48),
    "bit": TypeFacts("bit", 104, 1, 1, 0, -7, -7, None, 1, 1, 50),
    "float": TypeFacts("float", 62, 8, 53, 0, 6, 6, None, 15, 8, 109),
    "real": TypeFacts("real", 59, 4, 24, 0, 7, 7, None, 7, 4, 109),
    "date": TypeFacts("date", 40, 3, 10, 0, 91, 9, 1, 10, 6, 0),
    "time": TypeFacts("time", 41, 5, 16, 7, -154, -154, 0, 16, 12, 0),
    "datetime2": TypeFacts("datetime2", 42, 8, 27, 7, 93, 9, 3, 27, 16, 0),
    "datetimeoffset": TypeFacts("datetimeoffset", 43, 10, 34, 7, -155, -155, 0, 34, 20, 0),
    "uniqueidentifier": TypeFacts("uniqueidentifier", 36, 16, 0, 0, -11, -11, None, 36, 16, 37),
}


def type_facts(column: ColumnType) -> TypeFacts:
    if column.kind in _FACTS:
        return _FACTS[column.kind]
    if column.kind == "decimal":
        return TypeFacts("decimal", 106, 17, column.precision, column.scale, 3, 3, None, column.precision,
                         column.precision + 2, 106)
    wide = column.max_chars == 0
    if column.kind == "varbinary":
        size = 2147483647 if wide else 2 * column.max_chars
        return TypeFacts("varbinary", 165, -1 if wide else size, 0, 0, -3, -3, None, size, size, 37)
    chars = 1073741823 if wide else column.max_chars
    return TypeFacts("nvarchar", 231, -1 if wide else 2 * chars, 0, 0, -9, -9, None, chars,
                     2147483647 if wide else 2 * chars, 39)


def catalog_column_type(duckdb_type: str) -> ColumnType:
    """A table column's declared type: strings and binaries are (max), their length has no bound."""
    column = column_type(duckdb_type)
    return column.widened() if column.kind in ("nvarchar", "varbinary") else column


@dataclass
class ProcResult:
    names: list[str]
    types: list[ColumnType]
    rows: list[tuple[Any, ...]]


def _col(kind: str, size: int = 128) -> ColumnType:
    return ColumnType(kind, max_chars=size) if kind == "nvarchar" else ColumnType(kind)


_TEXT = _col("nvarchar")
_SMALL = _col("smallint")
_INT = _col("int")

_SYS_TABLES: dict[str, list[tuple[str, str]]] = {
    "sys_schemas": [("name", "VARCHAR"), ("schema_id", "INTEGER"), ("principal_id", "INTEGER")],
    "sys_objects": [("name", "VARCHAR"), ("object_id", "INTEGER"), ("principal_id", "INTEGER"),
                    ("schema_id", "INTEGER"), ("parent_object_id", "INTEGER"), ("type", "VARCHAR"),
                    ("type_desc", "VARCHAR"), ("create_date", "TIMESTAMP"), ("modify_date", "TIMESTAMP"),
                    ("is_ms_shipped", "BOOLEAN"), ("is_published", "BOOLEAN"), ("is_schema_published", "BOOLEAN")],
    "sys_columns": [("object_id", "INTEGER"), ("name", "VARCHAR"), ("column_id", "INTEGER"),
                    ("system_type_id", "UTINYINT"), ("user_type_id", "INTEGER"), ("max_length", "SMALLINT"),
                    ("precision", "UTINYINT"), ("scale", "UTINYINT"), ("collation_name", "VARCHAR"),
                    ("is_nullable", "BOOLEAN"), ("is_ansi_padded", "BOOLEAN"), ("is_rowguidcol", "BOOLEAN"),
                    ("is_identity", "BOOLEAN"), ("is_computed", "BOOLEAN"), ("is_filestream", "BOOLEAN"),
                    ("is_replicated", "BOOLEAN"), ("is_sparse", "BOOLEAN"), ("is_column_set", "BOOLEAN"),
                    ("default_object_id", "INTEGER"), ("rule_object_id", "INTEGER"), ("is_hidden", "BOOLEAN"),
                    ("description", "VARCHAR")],
    "sys_types": [("name", "VARCHAR"), ("system_type_id", "UTINYINT"), ("user_type_id", "INTEGER"),
                  ("schema_id", "INTEGER"), ("principal_id", "INTEGER"), ("max_length", "SMALLINT"),
                  ("precision", "UTINYINT"), ("scale", "UTINYINT"), ("collation_name", "VARCHAR"),
                  ("is_nullable", "BOOLEAN"), ("is_user_defined", "BOOLEAN"), ("is_assembly_type", "BOOLEAN"),
                  ("default_object_id", "INTEGER"), ("rule_object_id", "INTEGER"), ("is_table_type", "BOOLEAN")],
    "sys_databases": [("name", "VARCHAR"), ("database_id", "INTEGER"), ("source_database_id", "INTEGER"),
                      ("owner_sid", "BLOB"), ("create_date", "TIMESTAMP"), ("compatibility_level", "UTINYINT"),
                      ("collation_name", "VARCHAR"), ("user_access", "UTINYINT"), ("user_access_desc", "VARCHAR"),
                      ("is_read_only", "BOOLEAN"), ("state", "UTINYINT"), ("state_desc", "VARCHAR"),
                      ("recovery_model_desc", "VARCHAR")],
    "information_schema_schemata": [("CATALOG_NAME", "VARCHAR"), ("SCHEMA_NAME", "VARCHAR"),
                                    ("SCHEMA_OWNER", "VARCHAR"), ("DEFAULT_CHARACTER_SET_CATALOG", "VARCHAR"),
                                    ("DEFAULT_CHARACTER_SET_SCHEMA", "VARCHAR"),
                                    ("DEFAULT_CHARACTER_SET_NAME", "VARCHAR")],
    "information_schema_tables": [("TABLE_CATALOG", "VARCHAR"), ("TABLE_SCHEMA", "VARCHAR"),
                                  ("TABLE_NAME", "VARCHAR"), ("TABLE_TYPE", "VARCHAR")],
    "information_schema_columns": [
        ("TABLE_CATALOG", "VARCHAR"), ("TABLE_SCHEMA", "VARCHAR"), ("TABLE_NAME", "VARCHAR"),
        ("COLUMN_NAME", "VARCHAR"), ("ORDINAL_POSITION", "INTEGER"), ("COLUMN_DEFAULT", "VARCHAR"),
        ("IS_NULLABLE", "VARCHAR"), ("DATA_TYPE", "VARCHAR"), ("CHARACTER_MAXIMUM_LENGTH", "INTEGER"),
        ("CHARACTER_OCTET_LENGTH", "INTEGER"), ("NUMERIC_PRECISION", "UTINYINT"),
        ("NUMERIC_PRECISION_RADIX", "SMALLINT"), ("NUMERIC_SCALE", "INTEGER"), ("DATETIME_PRECISION", "SMALLINT"),
        ("CHARACTER_SET_CATALOG", "VARCHAR"), ("CHARACTER_SET_SCHEMA", "VARCHAR"), ("CHARACTER_SET_NAME", "VARCHAR"),
        ("COLLATION_CATALOG", "VARCHAR"), ("COLLATION_SCHEMA", "VARCHAR"), ("COLLATION_NAME", "VARCHAR"),
        ("DOMAIN_CATALOG", "VARCHAR"), ("DOMAIN_SCHEMA", "VARCHAR"), ("DOMAIN_NAME", "VARCHAR")],
}
_SYS_TABLES["sys_tables"] = _SYS_TABLES["sys_objects"] + [("lob_data_space_id", "INTEGER"),
                                                          ("temporal_type", "UTINYINT"), ("is_external", "BOOLEAN")]
_SYS_TABLES["sys_all_columns"] = _SYS_TABLES["sys_columns"]
_SYS_TABLES["sys_all_objects"] = _SYS_TABLES["sys_objects"]
_SYS_TABLES["information_schema_views"] = [("TABLE_CATALOG", "VARCHAR"), ("TABLE_SCHEMA", "VARCHAR"),
                                           ("TABLE_NAME", "VARCHAR")]
_SYS_TABLES["information_schema_routines"] = [("SPECIFIC_CATALOG", "VARCHAR"), ("SPECIFIC_SCHEMA", "VARCHAR"),
                                              ("SPECIFIC_NAME", "VARCHAR"), ("ROUTINE_CATALOG", "VARCHAR"),
                                              ("ROUTINE_SCHEMA", "VARCHAR"), ("ROUTINE_NAME", "VARCHAR"),
                                              ("ROUTINE_TYPE", "VARCHAR")]
_SYS_TABLES["sys_views"] = _SYS_TABLES["sys_objects"]
_SYS_TABLES["sys_procedures"] = _SYS_TABLES["sys_objects"]
_SYS_TABLES["sys_extended_properties"] = [("class", "UTINYINT"), ("class_desc", "VARCHAR"), ("major_id", "INTEGER"),
                                          ("minor_id", "INTEGER"), ("name", "VARCHAR"), ("value", "VARCHAR")]
_SYS_TABLES["sys_indexes"] = [("object_id", "INTEGER"), ("name", "VARCHAR"), ("index_id", "INTEGER"),
                              ("type", "UTINYINT"), ("type_desc", "VARCHAR"), ("is_unique", "BOOLEAN"),
                              ("data_space_id", "INTEGER"), ("ignore_dup_key", "BOOLEAN"),
                              ("is_primary_key", "BOOLEAN"), ("is_unique_constraint", "BOOLEAN"),
                              ("is_disabled", "BOOLEAN"), ("is_hypothetical", "BOOLEAN"), ("has_filter", "BOOLEAN"),
                              ("filter_definition", "VARCHAR"), ("fill_factor", "UTINYINT")]
_SYS_TABLES["sys_index_columns"] = [("object_id", "INTEGER"), ("index_id", "INTEGER"), ("index_column_id", "INTEGER"),
                                    ("column_id", "INTEGER"), ("key_ordinal", "UTINYINT"),
                                    ("partition_ordinal", "UTINYINT"), ("is_descending_key", "BOOLEAN"),
                                    ("is_included_column", "BOOLEAN")]
_SYS_TABLES["sys_key_constraints"] = _SYS_TABLES["sys_objects"] + [("unique_index_id", "INTEGER"),
                                                                   ("is_system_named", "BOOLEAN")]
_SYS_TABLES["sys_foreign_keys"] = _SYS_TABLES["sys_objects"] + [("referenced_object_id", "INTEGER"),
                                                                ("key_index_id", "INTEGER"), ("is_disabled", "BOOLEAN")]
_SYS_TABLES["sys_foreign_key_columns"] = [("constraint_object_id", "INTEGER"), ("constraint_column_id", "INTEGER"),
                                          ("parent_object_id", "INTEGER"), ("parent_column_id", "INTEGER"),
                                          ("referenced_object_id", "INTEGER"), ("referenced_column_id", "INTEGER")]
_SYS_TABLES["information_schema_table_constraints"] = [
    ("CONSTRAINT_CATALOG", "VARCHAR"), ("CONSTRAINT_SCHEMA", "VARCHAR"), ("CONSTRAINT_NAME", "VARCHAR"),
    ("TABLE_CATALOG", "VARCHAR"), ("TABLE_SCHEMA", "VARCHAR"), ("TABLE_NAME", "VARCHAR"),
    ("CONSTRAINT_TYPE", "VARCHAR"), ("IS_DEFERRABLE", "VARCHAR"), ("INITIALLY_DEFERRED", "VARCHAR")]
_SYS_TABLES["information_schema_key_column_usage"] = [
    ("CONSTRAINT_CATALOG", "VARCHAR"), ("CONSTRAINT_SCHEMA", "VARCHAR"), ("CONSTRAINT_NAME", "VARCHAR"),
    ("TABLE_CATALOG", "VARCHAR"), ("TABLE_SCHEMA", "VARCHAR"), ("TABLE_NAME", "VARCHAR"), ("COLUMN_NAME", "VARCHAR"),
    ("ORDINAL_POSITION", "INTEGER")]
_SYS_TABLES["information_schema_referential_constraints"] = [
    ("CONSTRAINT_CATALOG", "VARCHAR"), ("CONSTRAINT_SCHEMA", "VARCHAR"), ("CONSTRAINT_NAME", "VARCHAR"),
    ("UNIQUE_CONSTRAINT_CATALOG", "VARCHAR"), ("UNIQUE_CONSTRAINT_SCHEMA", "VARCHAR"),
    ("UNIQUE_CONSTRAINT_NAME", "VARCHAR"), ("MATCH_OPTION", "VARCHAR"), ("UPDATE_RULE", "VARCHAR"),
    ("DELETE_RULE", "VARCHAR")]
_SYS_TABLES["sys_system_views"] = [("name", "VARCHAR"), ("object_id", "INTEGER"), ("schema_id", "INTEGER"),
                                   ("type", "VARCHAR"), ("type_desc", "VARCHAR")]
_SYS_TABLES["sys_dm_exec_sessions"] = [("session_id", "SMALLINT"), ("login_name", "VARCHAR"),
                                       ("program_name", "VARCHAR"), ("status", "VARCHAR"),
                                       ("transaction_isolation_level", "SMALLINT"), ("database_id", "SMALLINT")]
_SYS_TABLES["sys_default_constraints"] = _SYS_TABLES["sys_objects"] + [("parent_column_id", "INTEGER"),
                                                                       ("definition", "VARCHAR"),
                                                                       ("is_system_named", "BOOLEAN")]
_SYS_TABLES["sys_computed_columns"] = [("object_id", "INTEGER"), ("column_id", "INTEGER"), ("name", "VARCHAR"),
                                       ("definition", "VARCHAR"), ("is_persisted", "BOOLEAN")]
_SYS_TABLES["sys_identity_columns"] = [("object_id", "INTEGER"), ("column_id", "INTEGER"), ("name", "VARCHAR"),
                                       ("is_identity", "BOOLEAN"), ("seed_value", "BIGINT"),
                                       ("increment_value", "BIGINT"), ("last_value", "BIGINT")]
METADATA_TABLES = frozenset(_SYS_TABLES)

#: SQL Server's metadata functions over column values (``OBJECT_NAME(t.object_id)``), as DuckDB macros
_MACROS = {
    "object_name": "(id) AS (SELECT name FROM bbsql_objects WHERE object_id = id)",
    "object_schema_name": "(id) AS (SELECT schema_name FROM bbsql_objects WHERE object_id = id)",
    "objectproperty": "(id, property_name) AS (SELECT CASE lower(property_name) WHEN 'isusertable' THEN 1 "
                      "WHEN 'istable' THEN 1 WHEN 'ismsshipped' THEN 0 WHEN 'isview' THEN 0 "
                      "WHEN 'isprocedure' THEN 0 ELSE NULL END FROM bbsql_objects WHERE object_id = id)",
    # Power BI's column query asks IsIdentity of every column: no Bitbucket column is an identity,
    # computed, rowguid or sparse column
    "columnproperty": "(id, column_name, property_name) AS (SELECT CASE WHEN lower(property_name) IN ("
                      "'isidentity', 'iscomputed', 'isrowguidcol', 'issparse', 'iscolumnset', 'isfulltextindexed', "
                      "'isidnotforrepl', 'isxmlindexable') THEN 0 ELSE NULL END FROM bbsql_objects WHERE object_id = id)",
    "quotename": "(name_text) AS ('[' || replace(name_text, ']', ']]') || ']')",
    "schema_name": "(id) AS (SELECT name FROM bbsql_schemas WHERE schema_id = id)",
    "schema_id": "(schema_text) AS (SELECT schema_id FROM bbsql_schemas WHERE lower(name) = lower(schema_text))",
    "type_name": "(id) AS (SELECT name FROM bbsql_types WHERE user_type_id = id)",
    "object_id": "(object_text) AS (SELECT object_id FROM bbsql_objects WHERE lower(name) = "
                 "lower(string_split(replace(replace(object_text, '[', ''), ']', ''), '.')[-1]))",
}

_CREATED = "2026-01-01 00:00:00"


class Metadata:
    """One session's metadata: the facts, the local DuckDB database and the procedures."""

    def __init__(self, database: str, schema: str, tables: Sequence[TableDef], user: str,
                 databases: Sequence[str] = (), spid: int = 0) -> None:
        self.database = database
        self.spid = spid
        #: the databases sys.databases lists: those the user may connect to
        self.databases = sorted(set(databases) | {database})
        self.schema = schema
        self.user = user
        self.tables = sorted(tables, key=lambda table: table.name)
        #: table name -> object_id, as sys.objects numbers them
        self.object_ids = {table.name: OBJECT_ID_BASE + index for index, table in enumerate(self.tables)}
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()

    # --- the local database ----------------------------------------------------------------------
    def run(self, sql: str, tables: Sequence[str] = ()) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
        """Names, DuckDB types and rows of a query over the metadata ``tables`` it reads (built on first use)."""
        with self._lock:
            connection = self._database()
            for name in tables:
                self._ensure(connection, name)
            relation = connection.sql(sql)
            if relation is None:
                return [], [], []
            return list(relation.columns), [str(kind) for kind in relation.types], relation.fetchall()

    def interrupt(self) -> None:
        if self._connection is not None:
            self._connection.interrupt()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def database_id(self, name: str) -> int:
        """sys.databases ids: the current database is 5 (as DB_ID() says), the others follow."""
        others = [database for database in self.databases if database != self.database]
        return 5 if name == self.database else 6 + others.index(name)

    def _database(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            connection = duckdb.connect(":memory:", config={"memory_limit": "256MB", "threads": "1"})
            self._created: set[str] = set()
            for name in ("sys_objects", "sys_schemas", "sys_types"):
                self._ensure(connection, name)
            connection.execute("CREATE VIEW bbsql_objects AS SELECT o.object_id, o.name, s.name AS schema_name "
                               "FROM sys_objects o JOIN sys_schemas s ON s.schema_id = o.schema_id")
            connection.execute("CREATE VIEW bbsql_schemas AS SELECT name, schema_id FROM sys_schemas")
            connection.execute("CREATE VIEW bbsql_types AS SELECT name, user_type_id FROM sys_types")
            for name, body in _MACROS.items():
                connection.execute(f"CREATE MACRO {name}{body}")
            self._connection = connection
        return self._connection

    def _ensure(self, connection: duckdb.DuckDBPyConnection, name: str) -> None:
        """Create one metadata table (through Arrow: row-by-row inserts took seconds)."""
        if name in self._created or name not in _SYS_TABLES:
            return
        columns = _SYS_TABLES[name]
        ddl = ", ".join(f'"{column}" {kind}' for column, kind in columns)
        connection.execute(f"CREATE TABLE {name} ({ddl})")
        rows = self._rows(name)
        if rows:
            arrow = pa.table({f"c{index}": pa.array([row.get(column) for row in rows])
                              for index, (column, _kind) in enumerate(columns)})
            connection.register("bbsql_tds_rows", arrow)
            try:
                connection.execute(f"INSERT INTO {name} SELECT * FROM bbsql_tds_rows")
            finally:
                connection.unregister("bbsql_tds_rows")
        self._created.add(name)

    def _rows(self, name: str) -> list[dict[str, Any]]:
        if name == "sys_schemas":
            return [{"name": self.schema, "schema_id": SCHEMA_ID, "principal_id": 1},
                    {"name": "dbo", "schema_id": 1, "principal_id": 1},
                    {"name": "sys", "schema_id": 4, "principal_id": 4},
                    {"name": "INFORMATION_SCHEMA", "schema_id": 3, "principal_id": 3}]
        if name in ("sys_objects", "sys_tables", "sys_all_objects"):
            return [{"name": table.name, "object_id": OBJECT_ID_BASE + index, "principal_id": None,
                     "schema_id": SCHEMA_ID, "parent_object_id": 0, "type": "U", "type_desc": "USER_TABLE",
                     "create_date": _CREATED, "modify_date": _CREATED, "is_ms_shipped": False,
                     "is_published": False, "is_schema_published": False, "lob_data_space_id": 0,
                     "temporal_type": 0, "is_external": False}
                    for index, table in enumerate(self.tables)]
        if name in ("sys_columns", "sys_all_columns"):
            rows = []
            for index, table in enumerate(self.tables):
                for number, column in enumerate(table.columns, start=1):
                    kind = catalog_column_type(column.type)
                    facts = type_facts(kind)
                    rows.append({
                        "object_id": OBJECT_ID_BASE + index, "name": column.name, "column_id": number,
                        "system_type_id": facts.system_type_id, "user_type_id": facts.system_type_id,
                        "max_length": facts.max_length, "precision": facts.precision, "scale": facts.scale,
                        "collation_name": "Latin1_General_CI_AS" if kind.kind == "nvarchar" else None,
                        "is_nullable": column.name not in table.primary_key, "is_ansi_padded": True,
                        "is_rowguidcol": False, "is_identity": False, "is_computed": False,
                        "is_filestream": False, "is_replicated": False, "is_sparse": False,
                        "is_column_set": False, "default_object_id": 0, "rule_object_id": 0, "is_hidden": False,
                        "description": column.description})
            return rows
        if name == "sys_types":
            kinds = [*(ColumnType(kind) for kind in _FACTS), ColumnType("decimal", 38, 0),
                     ColumnType("nvarchar", max_chars=4000), ColumnType("varbinary", max_chars=4000)]
            return [{"name": facts.name, "system_type_id": facts.system_type_id,
                     "user_type_id": facts.system_type_id, "schema_id": 4, "principal_id": None,
                     "max_length": facts.max_length, "precision": facts.precision, "scale": facts.scale,
                     "collation_name": "Latin1_General_CI_AS" if facts.name == "nvarchar" else None,
                     "is_nullable": True, "is_user_defined": False, "is_assembly_type": False,
                     "default_object_id": 0, "rule_object_id": 0, "is_table_type": False}
                    for facts in (type_facts(kind) for kind in kinds)]
        if name == "sys_databases":
            return [{"name": database, "database_id": self.database_id(database), "create_date": _CREATED,
                     "compatibility_level": 150, "collation_name": "Latin1_General_CI_AS", "user_access": 0,
                     "user_access_desc": "MULTI_USER", "is_read_only": False, "state": 0, "state_desc": "ONLINE",
                     "recovery_model_desc": "SIMPLE"} for database in self.databases]
        if name == "sys_extended_properties":  # descriptions, where SQL Server tools look for them
            rows = []
            for index, table in enumerate(self.tables):
                rows.append({"class": 1, "class_desc": "OBJECT_OR_COLUMN", "major_id": OBJECT_ID_BASE + index,
                             "minor_id": 0, "name": "MS_Description", "value": table.description})
                rows.extend({"class": 1, "class_desc": "OBJECT_OR_COLUMN", "major_id": OBJECT_ID_BASE + index,
                             "minor_id": number, "name": "MS_Description", "value": column.description}
                            for number, column in enumerate(table.columns, start=1) if column.description)
            return rows
        if name in ("sys_indexes", "sys_key_constraints"):
            rows = []
            for index, table in enumerate(self.tables):
                if table.primary_key:
                    rows.append({"object_id": OBJECT_ID_BASE + index if name == "sys_indexes" else
                                 2 * OBJECT_ID_BASE + index, "parent_object_id": OBJECT_ID_BASE + index,
                                 "name": f"PK_{table.name}", "index_id": 1, "unique_index_id": 1, "type": 2,
                                 "type_desc": "NONCLUSTERED" if name == "sys_indexes" else "PRIMARY_KEY_CONSTRAINT",
                                 "is_unique": True, "data_space_id": 1, "ignore_dup_key": False,
                                 "is_primary_key": True, "is_unique_constraint": False, "is_disabled": False,
                                 "is_hypothetical": False, "has_filter": False, "schema_id": SCHEMA_ID,
                                 "create_date": _CREATED, "modify_date": _CREATED, "is_ms_shipped": False,
                                 "is_published": False, "is_schema_published": False, "is_system_named": False,
                                 "principal_id": None})
                    if name == "sys_key_constraints":
                        rows[-1]["type"] = "PK"
            return rows
        if name == "sys_index_columns":
            return [{"object_id": OBJECT_ID_BASE + index, "index_id": 1, "index_column_id": position,
                     "column_id": [column.name for column in table.columns].index(key) + 1, "key_ordinal": position,
                     "partition_ordinal": 0, "is_descending_key": False, "is_included_column": False}
                    for index, table in enumerate(self.tables)
                    for position, key in enumerate(table.primary_key, start=1)]
        if name == "information_schema_table_constraints":
            return [{"CONSTRAINT_CATALOG": self.database, "CONSTRAINT_SCHEMA": self.schema,
                     "CONSTRAINT_NAME": f"PK_{table.name}", "TABLE_CATALOG": self.database,
                     "TABLE_SCHEMA": self.schema, "TABLE_NAME": table.name, "CONSTRAINT_TYPE": "PRIMARY KEY",
                     "IS_DEFERRABLE": "NO", "INITIALLY_DEFERRED": "NO"} for table in self.tables if table.primary_key]
        if name == "information_schema_key_column_usage":
            return [{"CONSTRAINT_CATALOG": self.database, "CONSTRAINT_SCHEMA": self.schema,
                     "CONSTRAINT_NAME": f"PK_{table.name}", "TABLE_CATALOG": self.database,
                     "TABLE_SCHEMA": self.schema, "TABLE_NAME": table.name, "COLUMN_NAME": key,
                     "ORDINAL_POSITION": position}
                    for table in self.tables for position, key in enumerate(table.primary_key, start=1)]
        if name == "sys_system_views":
            return [{"name": "dm_exec_sessions", "object_id": -101, "schema_id": 4, "type": "V",
                     "type_desc": "VIEW"}]
        if name == "sys_dm_exec_sessions":  # this session only (read committed: 2), as a user without VIEW SERVER STATE
            return [{"session_id": self.spid, "login_name": self.user, "program_name": "", "status": "running",
                     "transaction_isolation_level": 2, "database_id": 5}]
        if name == "information_schema_schemata":
            return [{"CATALOG_NAME": self.database, "SCHEMA_NAME": self.schema, "SCHEMA_OWNER": "dbo"}]
        if name == "information_schema_tables":
            return [{"TABLE_CATALOG": self.database, "TABLE_SCHEMA": self.schema, "TABLE_NAME": table.name,
                     "TABLE_TYPE": "BASE TABLE"} for table in self.tables]
        if name == "information_schema_columns":
            rows = []
            for table in self.tables:
                for number, column in enumerate(table.columns, start=1):
                    kind = catalog_column_type(column.type)
                    facts = type_facts(kind)
                    text = kind.kind == "nvarchar"
                    numeric = kind.kind in ("bigint", "int", "smallint", "tinyint", "float", "real", "decimal")
                    rows.append({
                        "TABLE_CATALOG": self.database, "TABLE_SCHEMA": self.schema, "TABLE_NAME": table.name,
                        "COLUMN_NAME": column.name, "ORDINAL_POSITION": number,
                        "IS_NULLABLE": "NO" if column.name in table.primary_key else "YES",
                        "DATA_TYPE": facts.name,
                        "CHARACTER_MAXIMUM_LENGTH": -1 if text else None,
                        "CHARACTER_OCTET_LENGTH": -1 if text else None,
                        "NUMERIC_PRECISION": facts.precision if numeric else None,
                        "NUMERIC_PRECISION_RADIX": (2 if kind.kind in ("float", "real") else 10) if numeric else None,
                        "NUMERIC_SCALE": facts.scale if numeric else None,
                        "DATETIME_PRECISION": 7 if kind.kind in ("datetime2", "datetimeoffset", "time") else
                        (0 if kind.kind == "date" else None),
                        "CHARACTER_SET_NAME": "UNICODE" if text else None,
                        "COLLATION_NAME": "Latin1_General_CI_AS" if text else None})
            return rows
        return []

    # --- catalog procedures -----------------------------------------------------------------------------
    def _matching_tables(self, name: Any, owner: Any, qualifier: Any) -> list[tuple[int, TableDef]]:
        if qualifier not in (None, "", "%") and not _like(self.database, qualifier):
            return []
        if owner not in (None, "", "%") and not (_like(self.schema, owner) or _like("dbo", owner)):
            return []
        return [(index, table) for index, table in enumerate(self.tables) if _like(table.name, name)]

    def sp_tables(self, name: Any = None, owner: Any = None, qualifier: Any = None,
                  table_type: Any = None) -> ProcResult:
        names = ["TABLE_QUALIFIER", "TABLE_OWNER", "TABLE_NAME", "TABLE_TYPE", "REMARKS"]
        types = [_TEXT, _TEXT, _TEXT, _col("nvarchar", 32), _col("nvarchar", 254)]
        wanted = {part.strip().strip("'\"").upper() for part in str(table_type or "").split(",") if part.strip()}
        rows: list[tuple[Any, ...]] = []
        if name == "" and owner == "" and qualifier == "%":  # SQLTables(SQL_ALL_CATALOGS)
            return ProcResult(names, types, [(self.database, None, None, None, None)])
        if qualifier == "" and name == "" and owner == "%":  # SQLTables(SQL_ALL_SCHEMAS)
            return ProcResult(names, types, [(None, self.schema, None, None, None)])
        if table_type == "%" and name == "" and owner == "":  # SQLTables(SQL_ALL_TABLE_TYPES)
            return ProcResult(names, types, [(None, None, None, "TABLE", None), (None, None, None, "VIEW", None)])
        if wanted and "TABLE" not in wanted:
            return ProcResult(names, types, rows)
        for _index, table in self._matching_tables(name, owner, qualifier):
            rows.append((self.database, self.schema, table.name, "TABLE", table.description[:254]))
        return ProcResult(names, types, rows)

    def sp_columns(self, table: Any, owner: Any = None, qualifier: Any = None, column: Any = None,
                   odbc_version: Any = 2) -> ProcResult:
        names = ["TABLE_QUALIFIER", "TABLE_OWNER", "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME",
                 "PRECISION", "LENGTH", "SCALE", "RADIX", "NULLABLE", "REMARKS", "COLUMN_DEF", "SQL_DATA_TYPE",
                 "SQL_DATETIME_SUB", "CHAR_OCTET_LENGTH", "ORDINAL_POSITION", "IS_NULLABLE", "SS_DATA_TYPE"]
        types = [_TEXT, _TEXT, _TEXT, _TEXT, _SMALL, _TEXT, _INT, _INT, _SMALL, _SMALL, _SMALL,
                 _col("nvarchar", 254), _col("nvarchar", 4000), _SMALL, _SMALL, _INT, _INT, _col("nvarchar", 254),
                 _col("tinyint")]
        rows: list[tuple[Any, ...]] = []
        for _index, definition in self._matching_tables(table, owner, qualifier):
            for number, spec in enumerate(definition.columns, start=1):
                if not _like(spec.name, column):
                    continue
                kind = catalog_column_type(spec.type)
                facts = type_facts(kind)
                nullable = spec.name not in definition.primary_key
                numeric = kind.kind in ("bigint", "int", "smallint", "tinyint", "decimal", "float", "real", "bit")
                rows.append((
                    self.database, self.schema, definition.name, spec.name, facts.odbc_type,
                    facts.name, facts.column_size, facts.buffer_length,
                    facts.scale if numeric or kind.kind in ("datetime2", "datetimeoffset", "time") else None,
                    (2 if kind.kind in ("float", "real") else 10) if numeric else None,
                    1 if nullable else 0, spec.description[:254] or None, None, facts.sql_data_type,
                    facts.datetime_sub, facts.buffer_length if kind.kind in ("nvarchar", "varbinary") else None,
                    number, "YES" if nullable else "NO", facts.ss_data_type))
        return ProcResult(names, types, rows)

    def sp_pkeys(self, table: Any, owner: Any = None, qualifier: Any = None) -> ProcResult:
        names = ["TABLE_QUALIFIER", "TABLE_OWNER", "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME"]
        types = [_TEXT, _TEXT, _TEXT, _TEXT, _SMALL, _TEXT]
        rows = []
        for _index, definition in self._matching_tables(table, owner, qualifier):
            for position, column in enumerate(definition.primary_key, start=1):
                rows.append((self.database, self.schema, definition.name, column, position,
                             f"PK_{definition.name}"))
        return ProcResult(names, types, rows)

    def sp_statistics(self, table: Any, owner: Any = None, qualifier: Any = None) -> ProcResult:
        """The primary key as the one unique index of each table (ODBC SQLStatistics)."""
        names = ["TABLE_QUALIFIER", "TABLE_OWNER", "TABLE_NAME", "NON_UNIQUE", "INDEX_QUALIFIER", "INDEX_NAME",
                 "TYPE", "SEQ_IN_INDEX", "COLUMN_NAME", "COLLATION", "CARDINALITY", "PAGES", "FILTER_CONDITION"]
        types = [_TEXT, _TEXT, _TEXT, _SMALL, _TEXT, _TEXT, _SMALL, _SMALL, _TEXT, _col("nvarchar", 1), _INT, _INT,
                 _TEXT]
        rows: list[tuple[Any, ...]] = []
        for _index, definition in self._matching_tables(table, owner, qualifier):
            rows.append((self.database, self.schema, definition.name, None, None, None, 0, None, None, None, None,
                         None, None))
            for position, column in enumerate(definition.primary_key, start=1):
                rows.append((self.database, self.schema, definition.name, 0, definition.name,
                             f"PK_{definition.name}", 3, position, column, "A", None, None, None))
        return ProcResult(names, types, rows)

    def sp_special_columns(self, table: Any, owner: Any = None, qualifier: Any = None,
                           column_type: Any = "R") -> ProcResult:
        """The primary key as the best row identifier (ODBC SQLSpecialColumns); no version columns."""
        names = ["SCOPE", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "PRECISION", "LENGTH", "SCALE", "PSEUDO_COLUMN"]
        types = [_SMALL, _TEXT, _SMALL, _TEXT, _INT, _INT, _SMALL, _SMALL]
        rows: list[tuple[Any, ...]] = []
        if str(column_type or "R").upper() != "R":
            return ProcResult(names, types, rows)
        for _index, definition in self._matching_tables(table, owner, qualifier):
            by_name = {column.name: column for column in definition.columns}
            for key in definition.primary_key:
                facts = type_facts(catalog_column_type(by_name[key].type))
                rows.append((1, key, facts.odbc_type, facts.name, facts.column_size, facts.buffer_length,
                             facts.scale if facts.name == "decimal" else None, 1))
        return ProcResult(names, types, rows)

    def sp_server_info(self, attribute: Any = None) -> ProcResult:
        info = [(1, "DBMS_NAME", "Microsoft SQL Server"), (2, "DBMS_VER", VERSION_TEXT.splitlines()[0]),
                (10, "OWNER_TERM", "owner"), (11, "TABLE_TERM", "table"), (12, "MAX_OWNER_NAME_LENGTH", "128"),
                (13, "TABLE_LENGTH", "128"), (14, "MAX_QUAL_LENGTH", "128"), (15, "COLUMN_LENGTH", "128"),
                (16, "IDENTIFIER_CASE", "MIXED"), (17, "TX_ISOLATION", "2"), (18, "COLLATION_SEQ",
                "charset=iso_1 sort_order=nocase_iso charset_num=1 sort_order_num=52"),
                (19, "SAVEPOINT_SUPPORT", "Y"), (20, "MULTI_RESULT_SETS", "Y"), (22, "ACCESSIBLE_TABLES", "Y"),
                (100, "USERID_LENGTH", "128"), (101, "QUALIFIER_TERM", "database"),
                (102, "NAMED_TRANSACTIONS", "Y"), (103, "SPROC_AS_LANGUAGE", "Y"),
                (104, "ACCESSIBLE_SPROC", "Y"), (105, "MAX_INDEX_COLS", "16"), (106, "RENAME_TABLE", "N"),
                (107, "RENAME_COLUMN", "N"), (108, "DROP_COLUMN", "N"), (109, "INCREASE_COLUMN_LENGTH", "N"),
                (110, "DDL_IN_TRANSACTION", "N"), (111, "DESCENDING_INDEXES", "Y"),
                (112, "SP_RENAME", "N"), (113, "REMOTE_SPROC", "N"), (500, "SYS_SPROC_VERSION", "15.00.2000")]
        if attribute not in (None, ""):
            info = [row for row in info if str(row[0]) == str(attribute)]
        return ProcResult(["attribute_id", "attribute_name", "attribute_value"],
                          [_INT, _TEXT, _col("nvarchar", 255)], info)

    def sp_datatype_info(self, data_type: Any = None) -> ProcResult:
        names = ["TYPE_NAME", "DATA_TYPE", "PRECISION", "LITERAL_PREFIX", "LITERAL_SUFFIX", "CREATE_PARAMS",
                 "NULLABLE", "CASE_SENSITIVE", "SEARCHABLE", "UNSIGNED_ATTRIBUTE", "MONEY", "AUTO_INCREMENT",
                 "LOCAL_TYPE_NAME", "MINIMUM_SCALE", "MAXIMUM_SCALE", "SQL_DATA_TYPE", "SQL_DATETIME_SUB",
                 "NUM_PREC_RADIX", "INTERVAL_PRECISION", "USERTYPE"]
        types = [_TEXT, _SMALL, _INT, _col("nvarchar", 32), _col("nvarchar", 32), _col("nvarchar", 32), _SMALL,
                 _SMALL, _SMALL, _SMALL, _SMALL, _SMALL, _TEXT, _SMALL, _SMALL, _SMALL, _SMALL, _INT, _SMALL, _INT]
        kinds = [ColumnType("bigint"), ColumnType("bit"), ColumnType("decimal", 38, 0), ColumnType("float"),
                 ColumnType("int"), ColumnType("nvarchar", max_chars=4000), ColumnType("datetime2"),
                 ColumnType("datetimeoffset"), ColumnType("date"), ColumnType("varbinary", max_chars=4000)]
        rows = []
        for kind in kinds:
            facts = type_facts(kind)
            text = kind.kind in ("nvarchar", "date", "datetime2", "datetimeoffset")
            prefix = "N'" if kind.kind == "nvarchar" else "'" if text else "0x" if kind.kind == "varbinary" else None
            rows.append((facts.name, facts.odbc_type, facts.column_size if kind.kind != "decimal" else 38, prefix,
                         "'" if text else None,
                         "precision,scale" if kind.kind == "decimal" else "max length"
                         if kind.kind in ("nvarchar", "varbinary") else None,
                         1, 0, 3, 0 if kind.kind in ("bigint", "int", "decimal", "float") else None, 0, 0,
                         facts.name, facts.scale if kind.kind == "decimal" else None,
                         38 if kind.kind == "decimal" else None, facts.sql_data_type, facts.datetime_sub,
                         10 if kind.kind in ("bigint", "int", "decimal") else None, None, 0))
        if data_type not in (None, "", 0):
            rows = [row for row in rows if row[1] == int(data_type)]
        return ProcResult(names, types, rows)

    def empty(self, names: Sequence[str]) -> ProcResult:
        """A catalog procedure with nothing to report here (foreign keys, indexes, procedures...)."""
        return ProcResult(list(names), [_TEXT for _ in names], [])


def _like(value: str, pattern: Any) -> bool:
    """SQL Server's LIKE (``%``, ``_``, ``[x]``, ``\\x``; case-insensitive); None matches everything."""
    if pattern is None:
        return True
    text = str(pattern)
    regex = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            regex.append(".*")
        elif char == "_":
            regex.append(".")
        elif char == "[" and index + 2 < len(text) and text[index + 2] == "]":
            regex.append(re.escape(text[index + 1]))
            index += 2
        elif char == "\\" and index + 1 < len(text):
            regex.append(re.escape(text[index + 1]))
            index += 1
        else:
            regex.append(re.escape(char))
        index += 1
    return re.fullmatch("".join(regex), value, re.IGNORECASE | re.DOTALL) is not None
