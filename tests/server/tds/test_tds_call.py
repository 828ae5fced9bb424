"""Bitbucket's actions through TDS the three ways clients write them, as in the PostgreSQL listener:
``EXEC name args``, the PostgreSQL/DB-API spelling ``CALL name(args)`` and ODBC's ``{call name(?, ?)}``
escape (which FreeTDS's driver turns into an RPC by name). Read-only users are refused before any
request; a write user gets the procedure's result row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pg_server_helpers import require_module
from tds_helpers import PASSWORD, running_tds

from bitbucket_sql.emulator import run_emulator


def _open_pull_requests(emulator: Any, repository: str) -> list[int]:
    store = emulator.store
    with store.lock:
        return sorted(pr_id for pr_id, pr in store.repo_data("acme", repository).pullrequests.items()
                      if pr["state"] == "OPEN")


def _odbc(port: int, user: str) -> Any:
    pyodbc = require_module("pyodbc", "pyodbc")
    if "FreeTDS" not in pyodbc.drivers():
        import os

        message = "the ODBC driver FreeTDS is not installed (Debian package tdsodbc)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return pyodbc.connect(f"Driver={{FreeTDS}};Server=127.0.0.1;Port={port};Database=acme;UID={user};"
                          f"PWD={PASSWORD};TDS_Version=7.4;Encrypt=yes", timeout=15, autocommit=True)


def test_call_exec_and_the_odbc_escape_run_the_same_procedure(tmp_path: Path) -> None:
    with run_emulator(scale="tiny", seed=1) as writable, running_tds(writable, tmp_path) as server:
        repository = next(slug for slug in sorted(writable.store.workspace("acme").repositories)
                          if len(_open_pull_requests(writable, slug)) >= 3)
        first, second, third = _open_pull_requests(writable, repository)[:3]
        with _odbc(server.port, "reader") as connection:
            cursor = connection.cursor()
            for sql in (f"CALL approve_pull_request(repository => N'{repository}', pull_request_id => {first})",
                        f"EXEC approve_pull_request @repository = N'{repository}', @pull_request_id = {first}"):
                with pytest.raises(Exception, match="read-only access"):
                    cursor.execute(sql)
            with pytest.raises(Exception, match="read-only access"):
                cursor.execute("{call approve_pull_request(?, ?, ?)}", "acme", repository, first)
        assert writable.write_requests() == {}  # refused before any request

        with _odbc(server.port, "writer") as connection:
            cursor = connection.cursor()
            answers = []
            cursor.execute(f"CALL approve_pull_request(repository => N'{repository}', pull_request_id => {first})")
            answers.append(cursor.fetchall())
            cursor.execute(f"CALL acme.approve_pull_request(N'acme', N'{repository}', {second})")
            answers.append(cursor.fetchall())
            cursor.execute("{call approve_pull_request(?, ?, ?)}", "acme", repository, third)
            answers.append(cursor.fetchall())
            names = [column[0] for column in cursor.description]
            with pytest.raises(Exception, match="Incorrect syntax near 'CALL'"):
                cursor.execute("CALL approve_pull_request(")
            with pytest.raises(Exception, match="Could not find stored procedure 'no_such_action'"):
                cursor.execute("CALL no_such_action(1)")
        for rows in answers:
            assert len(rows) == 1
            row = dict(zip(names, rows[0], strict=True))
            assert row["approved"] is True and row["state"] == "approved"
        with writable.store.lock:
            data = writable.store.repo_data("acme", repository).pullrequests
            for pr_id in (first, second, third):
                assert any(p.get("approved") for p in data[pr_id].get("participants", [])), pr_id


def test_rollback_after_writes_says_they_stay(tmp_path: Path) -> None:
    """As the PostgreSQL listener says after ROLLBACK: Bitbucket has no transactions, a write is
    applied when it runs. pytds rolls back with the transaction manager request, a batch with ROLLBACK."""
    pytds = require_module("pytds", "python-tds")
    with run_emulator(scale="tiny", seed=1) as writable, \
            running_tds(writable, tmp_path, allow_cleartext_login=True) as server:
        repository = next(slug for slug in sorted(writable.store.workspace("acme").repositories)
                          if len(_open_pull_requests(writable, slug)) >= 2)
        first, second = _open_pull_requests(writable, repository)[:2]
        with pytds.connect(dsn=server.host, port=server.port, database="acme", user="writer", password=PASSWORD,
                           login_timeout=15, autocommit=False) as connection:
            cursor = connection.cursor()
            cursor.execute("UPDATE pull_requests SET title = N'Kept after rollback' WHERE repository = %s AND id = %s",
                           (repository, first))
            connection.rollback()
            said = " ".join(str(message) for message in cursor.messages)
            assert "ROLLBACK did not undo the 1 write(s)" in said, said
            cursor.execute("SELECT 1")
            connection.rollback()  # nothing written since: nothing to say
            assert "did not undo" not in " ".join(str(message) for message in cursor.messages)
        with pytds.connect(dsn=server.host, port=server.port, database="acme", user="writer", password=PASSWORD,
                           login_timeout=15, autocommit=True) as connection:
            cursor = connection.cursor()
            cursor.execute(f"BEGIN TRAN; EXEC approve_pull_request @repository = N'{repository}', "
                           f"@pull_request_id = {second}; ROLLBACK")
            while cursor.nextset():
                pass
            assert "ROLLBACK did not undo the 1 write(s)" in " ".join(str(m) for m in cursor.messages)
            cursor.execute("SELECT title FROM pull_requests WHERE repository = %s AND id = %s", (repository, first))
            assert cursor.fetchone() == ("Kept after rollback",)
