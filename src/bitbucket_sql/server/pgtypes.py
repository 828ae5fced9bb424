"""PostgreSQL's types as clients know them: real OIDs, sizes and names, mapped from DuckDB's types.

Drivers decode a column by the type OID in RowDescription (psycopg, asyncpg, pgJDBC and
psqlODBC all carry tables keyed by PostgreSQL's built-in OIDs), so every engine type must map
to a built-in PostgreSQL type with its real OID. The same table feeds ``pg_catalog.pg_type``
and ``format_type()``, so catalog introspection and result descriptions always agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PgType:
    """One PostgreSQL type: OID, name (``pg_type.typname``) and size (``typlen``, -1 = varlena)."""

    oid: int
    name: str
    size: int
    #: what ``format_type()`` prints (``timestamp with time zone``, ``character varying``)
    sql_name: str = ""
    #: ``pg_type.typcategory`` (N numeric, S string, B boolean, D datetime, U user, A array...)
    category: str = "U"
    #: OID of the array type whose elements are this type (0: none)
    array_oid: int = 0
    #: for array types, the element type's OID
    element_oid: int = 0

    @property
    def display_name(self) -> str:
        return self.sql_name or self.name


def _scalar(oid: int, name: str, size: int, sql_name: str, category: str, array_oid: int) -> PgType:
    return PgType(oid, name, size, sql_name, category, array_oid)


#: PostgreSQL 16's built-in types this server reports (OIDs from src/include/catalog/pg_type.dat).
SCALAR_TYPES: tuple[PgType, ...] = (
    _scalar(16, "bool", 1, "boolean", "B", 1000),
    _scalar(17, "bytea", -1, "bytea", "U", 1001),
    _scalar(18, "char", 1, '"char"', "Z", 1002),
    _scalar(19, "name", 64, "name", "S", 1003),
    _scalar(20, "int8", 8, "bigint", "N", 1016),
    _scalar(21, "int2", 2, "smallint", "N", 1005),
    _scalar(22, "int2vector", -1, "int2vector", "A", 1006),
    _scalar(23, "int4", 4, "integer", "N", 1007),
    _scalar(24, "regproc", 4, "regproc", "N", 1008),
    _scalar(25, "text", -1, "text", "S", 1009),
    _scalar(26, "oid", 4, "oid", "N", 1028),
    _scalar(30, "oidvector", -1, "oidvector", "A", 1013),
    _scalar(114, "json", -1, "json", "U", 199),
    _scalar(142, "xml", -1, "xml", "U", 143),
    _scalar(700, "float4", 4, "real", "N", 1021),
    _scalar(701, "float8", 8, "double precision", "N", 1022),
    _scalar(705, "unknown", -2, "unknown", "X", 0),
    _scalar(1042, "bpchar", -1, "character", "S", 1014),
    _scalar(1043, "varchar", -1, "character varying", "S", 1015),
    _scalar(1082, "date", 4, "date", "D", 1182),
    _scalar(1083, "time", 8, "time without time zone", "D", 1183),
    _scalar(1114, "timestamp", 8, "timestamp without time zone", "D", 1115),
    _scalar(1184, "timestamptz", 8, "timestamp with time zone", "D", 1185),
    _scalar(1186, "interval", 16, "interval", "T", 1187),
    _scalar(1266, "timetz", 12, "time with time zone", "D", 1270),
    _scalar(1700, "numeric", -1, "numeric", "N", 1231),
    _scalar(2205, "regclass", 4, "regclass", "N", 2210),
    _scalar(2206, "regtype", 4, "regtype", "N", 2211),
    _scalar(2249, "record", -1, "record", "P", 2287),
    _scalar(2278, "void", 4, "void", "P", 0),
    _scalar(2950, "uuid", 16, "uuid", "U", 2951),
    _scalar(3802, "jsonb", -1, "jsonb", "U", 3807),
    _scalar(4089, "regnamespace", 4, "regnamespace", "N", 4090),
)


def _array_of(element: PgType) -> PgType:
    return PgType(element.array_oid, "_" + element.name, -1, element.display_name + "[]", "A", 0, element.oid)


ARRAY_TYPES: tuple[PgType, ...] = tuple(_array_of(t) for t in SCALAR_TYPES if t.array_oid)
ALL_TYPES: tuple[PgType, ...] = SCALAR_TYPES + ARRAY_TYPES
BY_OID: dict[int, PgType] = {t.oid: t for t in ALL_TYPES}
BY_NAME: dict[str, PgType] = {t.name: t for t in ALL_TYPES}

BOOL, BYTEA, INT2, INT4, INT8 = BY_OID[16], BY_OID[17], BY_OID[21], BY_OID[23], BY_OID[20]
TEXT, VARCHAR, OID, NAME, CHAR = BY_OID[25], BY_OID[1043], BY_OID[26], BY_OID[19], BY_OID[18]
FLOAT4, FLOAT8, NUMERIC, JSON, JSONB = BY_OID[700], BY_OID[701], BY_OID[1700], BY_OID[114], BY_OID[3802]
DATE, TIME, TIMESTAMP, TIMESTAMPTZ = BY_OID[1082], BY_OID[1083], BY_OID[1114], BY_OID[1184]
INTERVAL, UUID, UNKNOWN, TIMETZ = BY_OID[1186], BY_OID[2950], BY_OID[705], BY_OID[1266]

#: DuckDB's type names (as ``ResultColumn.type`` and cursor descriptions spell them) -> PostgreSQL.
_DUCKDB_TO_PG: dict[str, PgType] = {
    "BOOLEAN": BOOL,
    "TINYINT": INT2,
    "SMALLINT": INT2,
    "UTINYINT": INT2,
    "INTEGER": INT4,
    "USMALLINT": INT4,
    "BIGINT": INT8,
    "UINTEGER": INT8,
    "UBIGINT": NUMERIC,
    "HUGEINT": NUMERIC,
    "UHUGEINT": NUMERIC,
    "FLOAT": FLOAT4,
    "REAL": FLOAT4,
    "DOUBLE": FLOAT8,
    "VARCHAR": TEXT,
    "TEXT": TEXT,
    "STRING": TEXT,
    "JSON": JSON,
    "BLOB": BYTEA,
    "BYTEA": BYTEA,
    "DATE": DATE,
    "TIME": TIME,
    "TIME WITH TIME ZONE": TIMETZ,
    "TIMETZ": TIMETZ,
    "TIMESTAMP": TIMESTAMP,
    "TIMESTAMP_S": TIMESTAMP,
    "TIMESTAMP_MS": TIMESTAMP,
    "TIMESTAMP_NS": TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": TIMESTAMPTZ,
    "TIMESTAMPTZ": TIMESTAMPTZ,
    "INTERVAL": INTERVAL,
    "UUID": UUID,
    "NULL": TEXT,
    '"NULL"': TEXT,
}

_DECIMAL = re.compile(r"^(?:DECIMAL|NUMERIC)(?:\((\d+),\s*(\d+)\))?$")
#: nested DuckDB types travel as JSON text (the session serializes the values)
_NESTED_PREFIXES = ("STRUCT", "MAP", "UNION")


def pg_type_for(duckdb_type: str) -> PgType:
    """The PostgreSQL type of a DuckDB type name; lists become arrays, nested values JSON."""
    name = duckdb_type.strip().upper()
    if name in _DUCKDB_TO_PG:
        return _DUCKDB_TO_PG[name]
    if _DECIMAL.match(name):
        return NUMERIC
    if name.endswith("[]"):
        if name[:-2].startswith(_NESTED_PREFIXES):
            return JSON  # a list of structs is one JSON document
        element = pg_type_for(name[:-2])
        if element.array_oid and element.category != "A":
            return BY_OID[element.array_oid]
        return JSON
    if name.startswith(_NESTED_PREFIXES):
        return JSON
    if name.startswith("VARCHAR"):
        return TEXT
    if name.startswith("ENUM"):
        return TEXT
    return TEXT


def is_json_like(duckdb_type: str) -> bool:
    """True when values of this DuckDB type must be serialized as JSON text for PostgreSQL."""
    name = duckdb_type.strip().upper()
    if name.startswith(_NESTED_PREFIXES):
        return True
    return name.endswith("[]") and pg_type_for(name) is JSON


def type_modifier(duckdb_type: str) -> int:
    """``atttypmod`` for a DuckDB type: ``numeric(p,s)`` carries ((p << 16) | s) + 4, others -1."""
    match = _DECIMAL.match(duckdb_type.strip().upper())
    if match and match.group(1):
        return ((int(match.group(1)) << 16) | int(match.group(2))) + 4
    return -1


def format_type(oid: int | None, typmod: int | None = None) -> str | None:
    """PostgreSQL's ``format_type(oid, typmod)``: the SQL name of a type, with its modifier."""
    if oid is None:
        return None
    pg_type = BY_OID.get(int(oid))
    if pg_type is None:
        return "???"
    name = pg_type.display_name
    if typmod is not None and typmod >= 0:
        if pg_type.oid == NUMERIC.oid and typmod >= 4:
            value = typmod - 4
            return f"numeric({value >> 16},{value & 0xFFFF})"
        if pg_type.oid in (VARCHAR.oid, BY_OID[1042].oid) and typmod >= 4:
            return f"{name}({typmod - 4})"
    return name


#: PostgreSQL type names (as written in casts) -> type, including the SQL-standard spellings.
_SQL_NAMES: dict[str, PgType] = {
    **{t.name: t for t in ALL_TYPES},
    **{t.sql_name: t for t in SCALAR_TYPES if t.sql_name},
    "int": INT4,
    "integer": INT4,
    "smallint": INT2,
    "bigint": INT8,
    "boolean": BOOL,
    "real": FLOAT4,
    "float": FLOAT8,
    "double": FLOAT8,
    "decimal": NUMERIC,
    "character varying": VARCHAR,
    "string": TEXT,
    "timestamp with time zone": TIMESTAMPTZ,
    "timestamp without time zone": TIMESTAMP,
    "time without time zone": TIME,
    "blob": BYTEA,
    "double precision": FLOAT8,
}


def pg_type_named(name: str) -> PgType | None:
    """The type a cast names (``int8``, ``VARCHAR``, ``pg_catalog.text``, ``numeric(10,2)``...)."""
    cleaned = name.strip().lower().replace('"', "")
    if cleaned.startswith("pg_catalog."):
        cleaned = cleaned[len("pg_catalog.") :]
    if cleaned.endswith("[]"):
        element = pg_type_named(cleaned[:-2])
        return BY_OID.get(element.array_oid) if element is not None and element.array_oid else None
    cleaned = re.sub(r"\(.*\)$", "", cleaned).strip()
    return _SQL_NAMES.get(cleaned)
