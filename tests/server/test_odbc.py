"""psqlODBC (Debian odbc-postgresql + unixODBC) through pyodbc: SQLTables, SQLColumns, a query.

The path of Power BI, Excel and Tableau Bridge.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from pg_server_helpers import (
    PASSWORD,
    REFERENCE_SQL,
    RunningServer,
    reference_rows,
    repository_with_pull_requests,
    require_module,
)

pyodbc = require_module("pyodbc", "pyodbc")
DRIVER = "PostgreSQL Unicode"


@pytest.fixture(scope="module")
def odbc(demo_server: RunningServer) -> Any:
    if DRIVER not in pyodbc.drivers():
        message = f"the ODBC driver {DRIVER!r} is not installed (Debian packages odbc-postgresql unixodbc)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; .ci/install-clients should have installed it")
        pytest.skip(message)
    connection = pyodbc.connect(
        f"Driver={{{DRIVER}}};Server={demo_server.host};Port={demo_server.port};Database=acme;"
        f"Uid=reader;Pwd={PASSWORD};SSLmode=disable;BoolsAsChar=0",
        timeout=30,
    )
    yield connection
    connection.close()


def test_sqltables_lists_the_tables(odbc: Any) -> None:
    tables = {row.table_name for row in odbc.cursor().tables(schema="acme", tableType="TABLE")}
    assert {"pull_requests", "repositories", "commits"} <= tables


def test_sqlcolumns_reports_types(odbc: Any) -> None:
    columns = {
        row.column_name: row.type_name for row in odbc.cursor().columns(table="pull_requests", schema="acme")
    }
    assert columns["id"] == "int8"
    assert columns["draft"] == "bool"
    assert columns["created_on"] == "timestamptz"


def test_a_parameterised_query_equals_the_dbapi(odbc: Any, emulator: Any) -> None:
    repo = repository_with_pull_requests(emulator)
    expected = reference_rows(emulator, repo)
    rows = odbc.cursor().execute(REFERENCE_SQL.format(repo="?"), repo).fetchall()
    # ODBC hands timestamps back without zone (the server's TimeZone is UTC) and JSON as text.
    got = [
        (row[0], row[1], row[2], row[3], row[4].replace(tzinfo=expected[0][4].tzinfo), json.loads(row[5]))
        for row in rows
    ]
    assert got == expected
    assert isinstance(rows[0][0], int) and isinstance(rows[0][2], bool)
