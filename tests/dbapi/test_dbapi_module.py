"""Module-level PEP 249 interface: globals, exceptions, type objects and constructors."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest

import bitbucket_sql
from bitbucket_sql import dbapi


def test_globals_declare_the_interface() -> None:
    assert dbapi.apilevel == "2.0"
    assert dbapi.threadsafety == 1
    assert dbapi.paramstyle == "qmark"


def test_package_connect_opens_a_driver_connection(connection_string: str) -> None:
    assert dbapi.connect.__module__ == "bitbucket_sql.dbapi"
    with bitbucket_sql.connect(connection_string) as conn:
        assert isinstance(conn, dbapi.Connection)


@pytest.mark.parametrize(
    ("name", "parent"),
    [
        ("Warning", Exception),
        ("Error", Exception),
        ("InterfaceError", dbapi.Error),
        ("DatabaseError", dbapi.Error),
        ("DataError", dbapi.DatabaseError),
        ("OperationalError", dbapi.DatabaseError),
        ("IntegrityError", dbapi.DatabaseError),
        ("InternalError", dbapi.DatabaseError),
        ("ProgrammingError", dbapi.DatabaseError),
        ("NotSupportedError", dbapi.DatabaseError),
    ],
)
def test_exception_hierarchy_follows_pep_249(name: str, parent: type) -> None:
    exception = getattr(dbapi, name)
    assert issubclass(exception, parent)
    assert getattr(dbapi.Connection, name) is exception


def test_warning_is_not_an_error() -> None:
    assert not issubclass(dbapi.Warning, dbapi.Error)


@pytest.mark.parametrize(
    ("type_code", "type_object"),
    [
        ("VARCHAR", dbapi.STRING),
        ("JSON", dbapi.STRING),
        ("BIGINT", dbapi.NUMBER),
        ("INTEGER", dbapi.NUMBER),
        ("DOUBLE", dbapi.NUMBER),
        ("DECIMAL(18,3)", dbapi.NUMBER),
        ("TIMESTAMP WITH TIME ZONE", dbapi.DATETIME),
        ("DATE", dbapi.DATETIME),
        ("BLOB", dbapi.BINARY),
        ("BOOLEAN", dbapi.BOOLEAN),
    ],
)
def test_type_codes_compare_equal_to_their_type_object(type_code: str, type_object: object) -> None:
    assert type_code == type_object
    assert type_object == type_code
    others = {dbapi.STRING, dbapi.BINARY, dbapi.NUMBER, dbapi.DATETIME, dbapi.ROWID} - {type_object}
    assert all(type_code != other for other in others)


def test_no_result_type_is_a_rowid() -> None:
    for type_code in ("VARCHAR", "BIGINT", "TIMESTAMP WITH TIME ZONE", "BLOB", "BOOLEAN"):
        assert type_code != dbapi.ROWID


def test_constructors_build_python_values() -> None:
    assert dbapi.Date(2026, 11, 21) == dt.date(2026, 11, 21)
    assert dbapi.Time(13, 5, 9) == dt.time(13, 5, 9)
    assert dbapi.Timestamp(2026, 11, 21, 13, 5, 9) == dt.datetime(2026, 11, 21, 13, 5, 9)
    assert dbapi.Binary("ä") == "ä".encode()
    assert dbapi.Binary(bytearray(b"\x00\x01")) == b"\x00\x01"


def test_tick_constructors_use_local_time() -> None:
    ticks = 1_790_000_000.0
    local = time.localtime(ticks)
    assert dbapi.DateFromTicks(ticks) == dt.date(local.tm_year, local.tm_mon, local.tm_mday)
    assert dbapi.TimeFromTicks(ticks) == dt.time(local.tm_hour, local.tm_min, local.tm_sec)
    assert dbapi.TimestampFromTicks(ticks) == dt.datetime(*local[:6])


#: Every module-level name PEP 249 asks of a driver module.
PEP_249_NAMES = (
    "apilevel", "threadsafety", "paramstyle", "connect",
    "Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
    "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError",
    "Date", "Time", "Timestamp", "DateFromTicks", "TimeFromTicks", "TimestampFromTicks", "Binary",
    "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID",
)  # fmt: skip


@pytest.mark.parametrize("name", PEP_249_NAMES)
def test_the_top_level_package_is_the_pep_249_module(name: str) -> None:
    assert getattr(bitbucket_sql, name) is getattr(dbapi, name)
    assert name in dir(bitbucket_sql) and name in bitbucket_sql.__all__


def test_a_tool_handed_the_package_catches_its_errors(connection_string: str) -> None:
    module = bitbucket_sql  # what a tool that takes "a PEP 249 module" is given
    with module.connect(connection_string) as conn, pytest.raises(module.Error) as raised:
        conn.cursor().execute("SELECT nope FROM pull_requests")
    assert isinstance(raised.value, module.ProgrammingError)
    assert module.paramstyle == "qmark" and module.apilevel == "2.0"


def test_unknown_attributes_still_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Conection'"):
        bitbucket_sql.Conection  # noqa: B018 - the look-up is the test


def test_importing_the_package_loads_no_driver_engine_or_http_stack() -> None:
    """``import bitbucket_sql`` stays cheap: the DB-API names load on first use."""
    code = (
        "import sys, bitbucket_sql\n"
        "heavy = [m for m in ('bitbucket_sql.dbapi', 'bitbucket_sql.engine', 'duckdb', 'httpx', 'typing')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
        "bitbucket_sql.paramstyle\n"
        "print('bitbucket_sql.dbapi' in sys.modules)\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert completed.stdout.split() == ["[]", "True"]
