"""psycopg 3 (libpq): extended protocol with server-side binding, binary results, COPY, errors."""

from __future__ import annotations

from typing import Any

import pytest
from pg_server_helpers import (
    REFERENCE_SQL,
    RunningServer,
    normalized,
    reference_rows,
    repository_with_pull_requests,
    require_module,
)

psycopg = require_module("psycopg", "psycopg[binary]")


@pytest.fixture(scope="module")
def repo(emulator: Any) -> str:
    return repository_with_pull_requests(emulator)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_parameterised_query_equals_the_dbapi(
    demo_server: RunningServer, emulator: Any, repo: str, binary: bool
) -> None:
    expected = reference_rows(emulator, repo)
    with psycopg.connect(demo_server.dsn()) as connection:
        cursor = connection.cursor(binary=binary)
        cursor.execute(
            REFERENCE_SQL.format(repo="%s"), [repo]
        )  # Parse/Bind/Execute, parameter bound server-side
        rows = [normalized(row) for row in cursor.fetchall()]
        assert [column.name for column in cursor.description] == [
            "id",
            "title",
            "draft",
            "comment_count",
            "created_on",
            "reviewers",
        ]
    assert rows == expected
    assert all(
        type(got) is type(want)
        for row, ref in zip(rows, expected, strict=True)
        for got, want in zip(row, ref, strict=True)
    )


def test_prepared_statement_reused_with_new_parameters(
    demo_server: RunningServer, emulator: Any, repo: str
) -> None:
    with psycopg.connect(demo_server.dsn(), prepare_threshold=0) as connection:
        first = connection.execute(
            "SELECT count(*) FROM pull_requests WHERE repository = %s", [repo]
        ).fetchone()
        again = connection.execute(
            "SELECT count(*) FROM pull_requests WHERE repository = %s", [repo]
        ).fetchone()
        none = connection.execute(
            "SELECT count(*) FROM pull_requests WHERE repository = %s AND title = %s", [repo, "no such title"]
        ).fetchone()
    assert first == again and first[0] > 0
    assert none == (0,)


@pytest.mark.parametrize(("options", "header"), [("", False), ("WITH (FORMAT csv, HEADER)", True)])
def test_copy_to_stdout(
    demo_server: RunningServer, emulator: Any, repo: str, options: str, header: bool
) -> None:
    expected = reference_rows(emulator, repo)
    query = f"COPY (SELECT id, title FROM pull_requests WHERE repository = '{repo}' ORDER BY id LIMIT 5) TO STDOUT {options}"
    with psycopg.connect(demo_server.dsn()) as connection, connection.cursor().copy(query) as copy:
        data = b"".join(bytes(chunk) for chunk in copy)
    lines = data.decode().splitlines()
    if header:
        assert lines[0] == "id,title"
        lines = lines[1:]
    separator = "," if header else "\t"
    assert [line.split(separator, 1)[0] for line in lines] == [str(row[0]) for row in expected]


def test_errors_carry_sqlstate_and_the_connection_recovers(demo_server: RunningServer) -> None:
    with psycopg.connect(demo_server.dsn(), autocommit=True) as connection:
        with pytest.raises(psycopg.errors.SyntaxError) as syntax:
            connection.execute("SELEC 1")
        assert syntax.value.sqlstate == "42601"
        with pytest.raises(psycopg.errors.UndefinedTable) as table:
            connection.execute("SELECT * FROM pull_requestz")
        assert table.value.sqlstate == "42P01"
        with pytest.raises(psycopg.errors.UndefinedColumn):
            connection.execute("SELECT nope FROM pull_requests WHERE repository = %s", ["x"])
        assert connection.execute("SELECT 1 + 1").fetchone() == (2,)


def test_a_read_only_user_cannot_write(demo_server: RunningServer) -> None:
    with (
        psycopg.connect(demo_server.dsn(), autocommit=True) as connection,
        pytest.raises(psycopg.errors.InsufficientPrivilege) as caught,
    ):
        connection.execute("DELETE FROM pull_requests WHERE id = 1")
    assert caught.value.sqlstate == "42501"


def test_notices_reach_the_client(demo_server: RunningServer) -> None:
    received: list[str] = []
    with psycopg.connect(demo_server.dsn(), autocommit=True) as connection:
        connection.add_notice_handler(lambda notice: received.append(notice.message_primary or ""))
        connection.execute("COMMIT")
    assert received == ["there is no transaction in progress"]
