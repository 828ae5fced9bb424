"""Jupyter's ``%sql`` (jupysql) over a ``bitbucket://`` URL, in a real IPython shell."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from dialect_helpers import dbapi_answer, emulator_url, require_module

from _helpers_connect import DEMO_TOKEN

os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")  # jupysql's usage statistics: no network in tests
require_module("sqlalchemy", "sqlalchemy")
require_module("IPython", "ipython")
require_module("sql", "jupysql")


@pytest.fixture
def shell(emulator: Any) -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell

    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "sql")
    ipython.run_line_magic("sql", f"{emulator_url(emulator)} --alias bitbucket_test")
    yield ipython
    ipython.run_line_magic("sql", "--close bitbucket_test")


def test_sql_magic_answers_like_the_dbapi(
    shell: Any, emulator: Any, repository: str, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "SELECT state, count(*) AS n FROM pull_requests GROUP BY state ORDER BY state"
    result = shell.run_line_magic("sql", query)
    expected, _ = dbapi_answer(emulator, query)
    assert [tuple(row) for row in result] == expected

    shell.user_ns["repo"] = repository
    cell = shell.run_cell_magic(
        "sql", "", "SELECT id, title FROM pull_requests WHERE repository = '{{repo}}' ORDER BY id"
    )
    frame = cell.DataFrame()
    expected, _ = dbapi_answer(
        emulator, "SELECT id, title FROM pull_requests WHERE repository = ? ORDER BY id", [repository]
    )
    assert list(frame.itertuples(index=False, name=None)) == expected

    connections = str(shell.run_line_magic("sql", "--connections"))
    printed = capsys.readouterr()
    assert "bitbucket://demo%40example.com:***@" in connections
    assert DEMO_TOKEN not in connections + printed.out + printed.err


def test_sqlcmd_lists_tables_and_columns_from_reflection(shell: Any, emulator: Any) -> None:
    emulator.reset_stats()
    tables = str(shell.run_line_magic("sqlcmd", "tables"))
    assert emulator.stats()["total"] == 0
    assert "pull_request_comments" in tables and "repositories" in tables
    # (jupysql first checks that the table exists with SELECT * FROM t WHERE 1=0, which the engine
    # answers by listing: that costs requests, the column list itself does not)
    columns = str(shell.run_line_magic("sqlcmd", "columns --table pull_requests"))
    assert "created_on" in columns and "DATETIME" in columns.upper()


# jupysql never commits: closing its connection rolls back, which says the writes stay (WritesAppliedWarning)
@pytest.mark.filterwarnings("ignore::bitbucket_sql.sqlalchemy.dialect.WritesAppliedWarning")
def test_sql_magic_writes_and_calls(capsys: pytest.CaptureFixture[str]) -> None:
    """``%sql UPDATE ...`` and ``%sql CALL ...`` change Bitbucket (a fresh emulator, checked over HTTP)."""
    import httpx
    from IPython.core.interactiveshell import InteractiveShell

    from _helpers_connect import DEMO_USER
    from bitbucket_sql.emulator import run_emulator

    with (run_emulator(scale="tiny", seed=1) as fresh,
          httpx.Client(base_url=fresh.base_url, auth=(DEMO_USER, DEMO_TOKEN)) as api):
        number = min(p["id"] for p in api.get("/repositories/acme/api/pullrequests?state=OPEN").json()["values"])
        ipython = InteractiveShell.instance()
        ipython.run_line_magic("load_ext", "sql")
        ipython.run_line_magic("sql", f"{emulator_url(fresh)} --alias bitbucket_writes")
        try:
            ipython.run_line_magic("sql", f"UPDATE pull_requests SET title = 'From Jupyter' WHERE repository = 'api' "
                                          f"AND id = {number}")
            called = ipython.run_line_magic(
                "sql", f"CALL approve_pull_request(repository => 'api', pull_request_id => {number})")
            assert dict(zip(called.keys, next(iter(called)), strict=True))["approved"] is True
        finally:
            ipython.run_line_magic("sql", "--close bitbucket_writes")
        held = api.get(f"/repositories/acme/api/pullrequests/{number}").json()
    assert held["title"] == "From Jupyter" and any(p["approved"] for p in held["participants"])
    printed = capsys.readouterr()
    assert DEMO_TOKEN not in printed.out + printed.err
