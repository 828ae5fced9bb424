"""DuckDB/engine types -> PostgreSQL types with PostgreSQL's real OIDs (what drivers decode by)."""

from __future__ import annotations

import pytest

from bitbucket_sql.catalog import registry
from bitbucket_sql.server import pgtypes
from bitbucket_sql.server.pgtypes import format_type, pg_type_for, pg_type_named, type_modifier


@pytest.mark.parametrize(
    ("duckdb_type", "oid", "name", "size"),
    [
        ("BIGINT", 20, "int8", 8),
        ("INTEGER", 23, "int4", 4),
        ("SMALLINT", 21, "int2", 2),
        ("BOOLEAN", 16, "bool", 1),
        ("DOUBLE", 701, "float8", 8),
        ("FLOAT", 700, "float4", 4),
        ("VARCHAR", 25, "text", -1),
        ("JSON", 114, "json", -1),
        ("DATE", 1082, "date", 4),
        ("TIMESTAMP", 1114, "timestamp", 8),
        ("TIMESTAMP WITH TIME ZONE", 1184, "timestamptz", 8),
        ("INTERVAL", 1186, "interval", 16),
        ("DECIMAL(18,3)", 1700, "numeric", -1),
        ("HUGEINT", 1700, "numeric", -1),
        ("UUID", 2950, "uuid", 16),
        ("BLOB", 17, "bytea", -1),
        ("VARCHAR[]", 1009, "_text", -1),
        ("BIGINT[]", 1016, "_int8", -1),
    ],
)
def test_engine_types_map_to_postgres_oids(duckdb_type: str, oid: int, name: str, size: int) -> None:
    pg_type = pg_type_for(duckdb_type)
    assert (pg_type.oid, pg_type.name, pg_type.size) == (oid, name, size)


def test_nested_values_travel_as_json() -> None:
    assert pg_type_for("STRUCT(a INTEGER, b VARCHAR)") is pgtypes.JSON
    assert pg_type_for("MAP(VARCHAR, INTEGER)") is pgtypes.JSON
    assert pg_type_for("STRUCT(a INTEGER)[]") is pgtypes.JSON
    assert pgtypes.is_json_like("STRUCT(a INTEGER)")
    assert not pgtypes.is_json_like("VARCHAR[]")


def test_every_catalog_column_type_has_a_builtin_postgres_type() -> None:
    for table in registry.all_tables():
        for column in table.columns:
            assert pg_type_for(column.type).oid in pgtypes.BY_OID, (table.name, column.name, column.type)


def test_array_types_point_at_their_elements() -> None:
    text_array = pgtypes.BY_OID[1009]
    assert text_array.element_oid == 25 and text_array.category == "A"
    assert pgtypes.TEXT.array_oid == 1009


def test_format_type_prints_sql_names_with_modifiers() -> None:
    assert format_type(20, -1) == "bigint"
    assert format_type(1184, -1) == "timestamp with time zone"
    assert format_type(1043, 68) == "character varying(64)"
    assert format_type(1700, type_modifier("DECIMAL(10,2)")) == "numeric(10,2)"
    assert format_type(1009, -1) == "text[]"
    assert format_type(None) is None
    assert format_type(999_999) == "???"


def test_cast_type_names_resolve() -> None:
    assert pg_type_named("int8") is pgtypes.INT8
    assert pg_type_named("VARCHAR") is pgtypes.VARCHAR
    assert pg_type_named("pg_catalog.text") is pgtypes.TEXT
    assert pg_type_named("timestamp with time zone") is pgtypes.TIMESTAMPTZ
    assert pg_type_named("numeric(10,2)") is pgtypes.NUMERIC
    assert pg_type_named("int2[]") is pgtypes.BY_OID[1005]
    assert pg_type_named("no_such_type") is None
