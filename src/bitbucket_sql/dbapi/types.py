"""PEP 249 type objects and constructors.

A cursor's ``description`` carries the engine's DuckDB type name (``'VARCHAR'``, ``'BIGINT'``,
``'TIMESTAMP WITH TIME ZONE'``...) as its type code: readable in a debugger and precise. The type
objects below compare equal to every type name of their group, so the PEP 249 idiom
``description[i][1] == NUMBER`` works.
"""

from __future__ import annotations

import datetime as _dt
import re
import time

_TYPE_ARGUMENTS = re.compile(r"\(.*\)$")


def base_type_name(type_code: str) -> str:
    """``'DECIMAL(18,3)'`` -> ``'DECIMAL'``; ``'varchar'`` -> ``'VARCHAR'``; lists stay lists."""
    return _TYPE_ARGUMENTS.sub("", type_code.strip()).strip().upper()


class DBAPITypeObject:
    """A group of engine type names that one PEP 249 type object stands for."""

    def __init__(self, name: str, *type_names: str) -> None:
        self.name = name
        self.type_names = frozenset(type_names)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self is other
        if isinstance(other, str):
            return base_type_name(other) in self.type_names
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash((DBAPITypeObject, self.name))

    def __repr__(self) -> str:
        return f"<DB-API type {self.name}>"


STRING = DBAPITypeObject("STRING", "VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "JSON", "UUID", "ENUM")
BINARY = DBAPITypeObject("BINARY", "BLOB", "BYTEA", "VARBINARY", "BIT", "BITSTRING")
NUMBER = DBAPITypeObject(
    "NUMBER",
    "TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
    "FLOAT", "REAL", "DOUBLE", "DECIMAL", "NUMERIC",
)  # fmt: skip
DATETIME = DBAPITypeObject(
    "DATETIME",
    "DATE", "TIME", "TIME WITH TIME ZONE", "TIMETZ", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ",
    "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "INTERVAL",
)  # fmt: skip
#: Bitbucket has no row identifiers separate from its keys, so no result column is a ROWID.
ROWID = DBAPITypeObject("ROWID")
#: Not in PEP 249 (it has no boolean group); offered as psycopg does.
BOOLEAN = DBAPITypeObject("BOOLEAN", "BOOLEAN", "BOOL")

# Constructors (PEP 249): the driver accepts these values as parameters.
Date = _dt.date
Time = _dt.time
Timestamp = _dt.datetime


def DateFromTicks(ticks: float) -> _dt.date:  # name fixed by PEP 249
    """The local date of ``ticks`` seconds since the epoch (PEP 249 follows ``time.localtime``)."""
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> _dt.time:  # name fixed by PEP 249
    """The local time of day of ``ticks`` seconds since the epoch."""
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> _dt.datetime:  # name fixed by PEP 249
    """The local date and time of ``ticks`` seconds since the epoch."""
    return Timestamp(*time.localtime(ticks)[:6])


def Binary(data: bytes | bytearray | memoryview | str) -> bytes:  # name fixed by PEP 249
    """Bytes for a binary parameter; a ``str`` is encoded as UTF-8."""
    if isinstance(data, str):
        return data.encode("utf-8")
    return bytes(data)


__all__ = [
    "BINARY",
    "BOOLEAN",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "DBAPITypeObject",
    "Date",
    "DateFromTicks",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "base_type_name",
]
