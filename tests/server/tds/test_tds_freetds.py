"""FreeTDS as users run it: the ``tsql`` program (encryption required, login-only, refused) and its ODBC
driver through pyodbc (SQLTables, SQLColumns, a parameterised query equal to the DB-API's)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from pg_server_helpers import repository_with_pull_requests, require_client, require_module
from tds_helpers import PASSWORD, REFERENCE_TSQL, RunningTds, dbapi_rows, running_tds, tds_normalized


def _tsql(server: RunningTds, tmp_path: Path, encryption: str, script: str, password: str = PASSWORD) -> str:
    """Run tsql with a freetds.conf entry using ``encryption`` (require/request/off) and return its output."""
    program = require_client("tsql", "freetds-bin")
    conf = tmp_path / f"freetds-{encryption}.conf"
    conf.write_text(
        f"[bbsql]\n\thost = {server.host}\n\tport = {server.port}\n\ttds version = 7.4\n"
        f"\tencryption = {encryption}\n", encoding="utf-8")
    result = subprocess.run(
        [program, "-S", "bbsql", "-U", "reader", "-P", password, "-D", "acme"],
        input=script, capture_output=True, text=True, timeout=60,
        env={**os.environ, "FREETDSCONF": str(conf), "TDSDUMP": ""},
    )
    return result.stdout + result.stderr


@pytest.mark.parametrize(("encryption", "tls"), [("require", "on"), ("request", "login-only")])
def test_tsql_connects_and_queries(tds_server: RunningTds, tmp_path: Path, encryption: str, tls: str) -> None:
    output = _tsql(tds_server, tmp_path, encryption,
                   "SELECT TOP 2 [slug], N'héllo' AS greeting FROM dbo.repositories ORDER BY slug\ngo\n"
                   "SELECT DB_NAME() AS db, SCHEMA_NAME() AS sch\ngo\nexit\n")
    assert "(2 rows affected)" in output, output
    assert "héllo" in output
    assert "acme\tacme" in output  # database acme, schema = its workspace acme
    logins = [record for record in tds_server.events("connect") if record["user"] == "reader"]
    assert logins and logins[-1]["tls"] == tls
    statements = [record["statement"] for record in tds_server.events("statement")]
    assert any("dbo.repositories" in text for text in statements)
    deadline = time.monotonic() + 10  # the server notices the client's exit a moment later
    while not tds_server.events("disconnect") and time.monotonic() < deadline:
        time.sleep(0.05)
    goodbye = tds_server.events("disconnect")[-1]
    assert goodbye["user"] == "reader" and goodbye["requests"] >= 1 and goodbye["seconds"] >= 0


def test_tsql_without_encryption_is_refused_unless_allowed(
        tds_server: RunningTds, emulator: Any, tmp_path: Path) -> None:
    refused = _tsql(tds_server, tmp_path, "off", "SELECT 1\ngo\nexit\n")
    assert "(1 row affected)" not in refused
    assert any(record.get("reason", "").startswith("the client cannot encrypt")
               for record in tds_server.events("refused"))
    with running_tds(emulator, tmp_path / "clear", allow_cleartext_login=True) as clear:
        output = _tsql(clear, tmp_path, "off", "SELECT 1 AS one\ngo\nexit\n")
        assert "(1 row affected)" in output, output
        assert clear.events("connect")[-1]["tls"] == "off"


def test_require_tls_encrypts_clients_that_asked_for_login_only(emulator: Any, tmp_path: Path) -> None:
    with running_tds(emulator, tmp_path / "tls", require_tls=True) as server:
        output = _tsql(server, tmp_path, "request", "SELECT 1 AS one\ngo\nexit\n")
        assert "(1 row affected)" in output, output
        assert server.events("connect")[-1]["tls"] == "on"


def test_tsql_wrong_password_and_syntax_error(tds_server: RunningTds, tmp_path: Path) -> None:
    denied = _tsql(tds_server, tmp_path, "require", "SELECT 1\ngo\nexit\n", password="wrong")
    assert "Login failed for user 'reader'" in denied
    assert "wrong" not in " ".join(tds_server.access.lines)
    output = _tsql(tds_server, tmp_path, "require", "SELEC 1\ngo\nSELECT 2 AS two\ngo\nexit\n")
    assert "Msg 102" in output and "Incorrect syntax" in output
    assert "(1 row affected)" in output  # the connection keeps working after the error


def _odbc(server: RunningTds, encrypt: str, password: str = PASSWORD) -> Any:
    pyodbc = require_module("pyodbc", "pyodbc")
    if "FreeTDS" not in pyodbc.drivers():
        message = "the ODBC driver FreeTDS is not installed (Debian package tdsodbc)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return pyodbc.connect(
        f"Driver={{FreeTDS}};Server={server.host};Port={server.port};Database=acme;UID=reader;PWD={password};"
        f"TDS_Version=7.4;Encrypt={encrypt}", timeout=15, autocommit=True)


@pytest.mark.parametrize("encrypt", ["yes", "no"])
def test_odbc_query_with_parameters_equals_the_dbapi(tds_server: RunningTds, emulator: Any, encrypt: str) -> None:
    repo = repository_with_pull_requests(emulator)
    with _odbc(tds_server, encrypt) as connection:
        cursor = connection.cursor()
        cursor.execute(REFERENCE_TSQL.format(repo="?"), repo)
        rows = [tds_normalized(tuple(row)) for row in cursor.fetchall()]
        kinds = [column[1].__name__ for column in cursor.description]
    assert rows == dbapi_rows(emulator, repo)
    assert kinds == ["int", "str", "bool", "int", "datetime", "str"]


def test_odbc_tables_and_columns(tds_server: RunningTds) -> None:
    with _odbc(tds_server, "yes") as connection:
        cursor = connection.cursor()
        tables = {row.table_name: row for row in cursor.tables(table="pull%", tableType="TABLE")}
        assert "pull_requests" in tables
        assert tables["pull_requests"].table_cat == "acme" and tables["pull_requests"].table_schem == "acme"
        columns = {row.column_name: row for row in cursor.columns(table="pull_requests")}
        assert columns["id"].type_name == "bigint" and columns["id"].nullable == 0
        assert columns["title"].type_name == "nvarchar"
        assert columns["created_on"].type_name == "datetime2"
        assert columns["draft"].type_name == "bit"
        assert [row.column_name for row in cursor.primaryKeys("pull_requests")] == ["workspace", "repository", "id"]
        indexed = [row.column_name for row in cursor.statistics("pull_requests") if row.index_name]
        assert indexed == ["workspace", "repository", "id"]  # the key, as a unique index
        assert [row.column_name for row in cursor.rowIdColumns("pull_requests")] == indexed
        assert {row.type_name for row in cursor.getTypeInfo()} >= {"bigint", "nvarchar", "bit", "datetime2"}


#: ODBC's SQL_ATTR_CURSOR_TYPE and its values: anything but forward-only makes FreeTDS's driver
#: open a server cursor (sp_cursoropen) instead of sending the statement
SQL_ATTR_CURSOR_TYPE = 6
CURSOR_TYPES = {"keyset": 1, "dynamic": 2, "static": 3}


@pytest.mark.parametrize("kind", sorted(CURSOR_TYPES))
def test_odbc_server_cursors_run_directly_and_equal_the_dbapi(
        tds_server: RunningTds, emulator: Any, kind: str) -> None:
    """An application that picks a scrollable cursor (pyodbc's set_attr, Excel's ODBC) gets its rows:
    FreeTDS sends sp_cursoropen allowing direct execution, the server runs the statement directly."""
    repo = repository_with_pull_requests(emulator)
    with _odbc(tds_server, "yes") as connection:
        connection.set_attr(SQL_ATTR_CURSOR_TYPE, CURSOR_TYPES[kind])
        cursor = connection.cursor()
        cursor.execute(REFERENCE_TSQL.format(repo=f"N'{repo}'"))
        rows = [tds_normalized(tuple(row)) for row in cursor.fetchall()]
        cursor.execute("SELECT TOP 2 slug FROM repositories ORDER BY slug")  # the statement is reusable
        assert len(cursor.fetchall()) == 2
        assert "pull_requests" in {row.table_name for row in cursor.tables(table="pull%", tableType="TABLE")}
        assert "title" in {row.column_name for row in cursor.columns(table="pull_requests")}
    assert rows == dbapi_rows(emulator, repo)
    assert any(record["statement"] == "sp_cursoropen" and "error" not in record
               for record in tds_server.events("statement"))
