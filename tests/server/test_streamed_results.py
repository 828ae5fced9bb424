"""Large results are sent while the engine reads them (server/streamed.py).

A result of more than 2,000 rows is read from the engine a batch at a time and written before
the next batch is read. What a user checks: psql and psycopg get exactly the rows the engine
answers whole, the statements after one work as before, and a result being sent can still be
cancelled (by the user or ``statement_timeout``) instead of running on to its end.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import time
from typing import Any

import pytest
from pg_server_helpers import RunningServer, require_client, require_module

from _helpers_connect import demo_settings
from bitbucket_sql.engine import Engine
from bitbucket_sql.server.streamed import STREAM_ABOVE_ROWS

psycopg = require_module("psycopg", "psycopg[binary]")

#: 173 commits at tiny scale times 40: 6,920 rows, above the streaming threshold
LARGE = ("SELECT c.repository, c.hash, c.message, t.n FROM commits AS c, range(0, 40) AS t(n) "
         "ORDER BY c.repository, c.hash, t.n")
#: about 350,000 rows: more than the socket buffers hold, so the server is still sending when cancelled
HUGE = "SELECT c.hash, c.message, t.n FROM commits AS c, range(0, 2000) AS t(n)"


@pytest.fixture(scope="module")
def expected(emulator: Any) -> list[tuple[Any, ...]]:
    """The engine's whole answer to LARGE (no streaming, no cache): the ground truth."""
    with Engine(demo_settings(emulator.base_url, Cache="off")) as engine:
        rows = engine.execute(LARGE).rows
    assert len(rows) > STREAM_ABOVE_ROWS
    return rows


def test_psql_gets_every_row_of_a_large_result(demo_server: RunningServer, expected: list[tuple[Any, ...]]) -> None:
    psql = require_client("psql", "postgresql-client")
    env = {**os.environ, "PGPASSWORD": "pw", "PGCONNECT_TIMEOUT": "10", "PSQLRC": os.devnull}
    result = subprocess.run(
        [psql, "-X", "-v", "ON_ERROR_STOP=1", "--csv", "-h", demo_server.host, "-p", str(demo_server.port),
         "-U", "reader", "acme", "-c", LARGE],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["repository", "hash", "message", "n"]
    assert [(r[0], r[1], r[2], int(r[3])) for r in rows[1:]] == expected


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_psycopg_gets_every_row_and_the_next_statements_work(
    demo_server: RunningServer, expected: list[tuple[Any, ...]], binary: bool
) -> None:
    with psycopg.connect(demo_server.dsn()) as connection:
        cursor = connection.cursor(binary=binary)
        cursor.execute(LARGE)  # Parse/Bind/Execute without a row limit: streamed
        assert cursor.fetchall() == expected
        assert cursor.rowcount == len(expected)
        assert connection.execute("SELECT 1").fetchone() == (1,)
        parameterised = connection.execute(
            "SELECT count(*) FROM commits AS c, range(0, 40) AS t(n) WHERE c.repository = %s", [expected[0][0]]
        ).fetchone()
        assert parameterised == (sum(1 for row in expected if row[0] == expected[0][0]),)
        connection.execute("SET search_path = acme")  # the session is idle again, not busy with the stream


def test_a_large_result_after_other_statements_of_one_simple_query(
    demo_server: RunningServer, expected: list[tuple[Any, ...]]
) -> None:
    """Only the last statement of a simple Query is streamed; the results come in order."""
    with psycopg.connect(demo_server.dsn(), autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute(f"SELECT 41 + 1; {LARGE}".encode(), prepare=False)  # bytes: the simple protocol
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
    assert results == [[(42,)], expected]


def test_a_result_being_sent_can_be_cancelled(demo_server: RunningServer) -> None:
    with psycopg.connect(demo_server.dsn()) as connection:
        cursor = connection.cursor()
        read = 0
        with pytest.raises(psycopg.errors.QueryCanceled) as caught:
            for _ in cursor.stream(HUGE):  # row by row, as a client reading a large extract
                read += 1
                if read == 100:
                    connection.cancel_safe()
        assert "user request" in str(caught.value)
        assert read < 300_000, "the whole result was sent: it was not cancelled while being sent"
        connection.rollback()
        assert connection.execute("SELECT 2").fetchone() == (2,)


def test_statement_timeout_stops_a_result_being_sent(demo_server: RunningServer) -> None:
    with psycopg.connect(demo_server.dsn(), autocommit=True) as connection:
        connection.execute("SELECT count(*) FROM commits")  # cached: the timed statement makes no request
        connection.execute("SET statement_timeout = '1500ms'")
        cursor = connection.cursor()
        read = 0
        with pytest.raises(psycopg.errors.QueryCanceled) as caught:
            for _ in cursor.stream(HUGE):
                read += 1
                if read == 1:
                    time.sleep(3)  # the client stops reading: the server waits on the socket
        assert "statement timeout" in str(caught.value)
        connection.execute("SET statement_timeout = 0")
        assert connection.execute("SELECT 3").fetchone() == (3,)
