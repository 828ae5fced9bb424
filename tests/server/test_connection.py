"""Where the protocol layer meets the SQL session: transaction status, startup settings, warnings, errors."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator

import pytest
from pg_server_helpers import PASSWORD, RunningServer, repository_with_pull_requests, require_module
from pg_wire import SYNC, WireClient, bind, kinds, query

from bitbucket_sql.engine.errors import QueryWarning

psycopg = require_module("psycopg", "psycopg[binary]")


@pytest.fixture
def wire(demo_server: RunningServer) -> Iterator[WireClient]:
    client = WireClient(demo_server.host, demo_server.port)
    replies = client.login("reader", PASSWORD, "acme")
    assert replies[-1].kind == "Z", [r.message for r in replies if r.kind == "E"]
    yield client
    client.close()


def _status(wire: WireClient, sql: str) -> tuple[str, str]:
    """(message kinds, ReadyForQuery's transaction letter) of one simple Query."""
    replies = wire.until()
    return kinds(replies), replies[-1].payload.decode()


def _run(wire: WireClient, sql: str) -> tuple[str, str]:
    wire.send(query(sql))
    return _status(wire, sql)


def test_ready_for_query_follows_savepoints_and_failed_blocks(wire: WireClient) -> None:
    assert _run(wire, "BEGIN") == ("CZ", "T")
    assert _run(wire, "SAVEPOINT before_error") == ("CZ", "T")
    assert _run(wire, "SELECT * FROM no_such_table") == ("EZ", "E")
    assert _run(wire, "SELECT 1") == ("EZ", "E")  # 25P02 until ROLLBACK
    # ROLLBACK TO SAVEPOINT answers with the tag ROLLBACK, but the block stays open
    assert _run(wire, "ROLLBACK TO SAVEPOINT before_error") == ("CZ", "T")
    assert _run(wire, "SELECT 1 AS one") == ("TDCZ", "T")
    assert _run(wire, "COMMIT") == ("CZ", "I")


def test_a_protocol_level_error_inside_a_block_fails_the_block(wire: WireClient) -> None:
    assert _run(wire, "BEGIN") == ("CZ", "T")
    wire.send(bind("", "no-such-statement"), SYNC)
    replies = wire.until()
    assert (kinds(replies), replies[0].sqlstate, replies[-1].payload) == ("EZ", "26000", b"E")
    wire.send(query("SELECT 1"))
    replies = wire.until()
    assert (kinds(replies), replies[0].sqlstate, replies[-1].payload) == ("EZ", "25P02", b"E")
    assert _run(wire, "ROLLBACK") == ("CZ", "I")
    assert _run(wire, "SELECT 1 AS one") == ("TDCZ", "I")


def test_statements_before_a_failing_one_answer_and_the_block_fails(wire: WireClient) -> None:
    wire.send(query("BEGIN; SELECT 1 AS a; SELECT * FROM no_such_table; SELECT 2 AS b"))
    replies = wire.until()
    assert kinds(replies) == "CTDCEZ" and replies[4].sqlstate == "42P01"
    assert replies[3].payload.rstrip(b"\0") == b"SELECT 1" and replies[-1].payload == b"E"
    assert _run(wire, "ROLLBACK") == ("CZ", "I")


def test_startup_parameters_become_session_settings(demo_server: RunningServer) -> None:
    options = {"application_name": "tableau", "options": "-c statement_timeout=5s -c DateStyle=ISO,\\ DMY"}
    with psycopg.connect(demo_server.dsn(), autocommit=True, **options) as connection:
        assert connection.info.parameter_status("application_name") == "tableau"
        assert connection.info.parameter_status("DateStyle") == "ISO, DMY"
        assert connection.execute("SHOW application_name").fetchone() == ("tableau",)
        assert connection.execute("SELECT current_setting('statement_timeout')").fetchone() == ("5s",)
        assert connection.execute("SHOW DateStyle").fetchone() == ("ISO, DMY",)


def test_a_startup_setting_postgres_refuses_ends_the_login(demo_server: RunningServer) -> None:
    with pytest.raises(psycopg.OperationalError, match='parameter "server_version" cannot be changed'):
        psycopg.connect(demo_server.dsn(), options="-c server_version=9.0", connect_timeout=10)


class _AccessLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.entries: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.entries.append(json.loads(record.getMessage()))


def test_engine_warnings_are_notices_and_access_log_entries_not_stderr(demo_server: RunningServer) -> None:
    access = logging.getLogger("bitbucket_sql.server.access")
    log = _AccessLog()
    access.addHandler(log)
    previous_level = access.level
    access.setLevel(logging.INFO)
    received: list[str] = []
    try:
        with (
            warnings.catch_warnings(record=True) as printed,  # what would reach the server's stderr
            psycopg.connect(demo_server.dsn(), autocommit=True) as connection,
        ):
            connection.add_notice_handler(lambda notice: received.append(notice.message_primary or ""))
            uuid = connection.execute("SELECT uuid FROM repositories ORDER BY slug LIMIT 1").fetchone()[0]
            # Earlier tests may have spent the shared emulator's hourly budget, whose notice is not
            # the one under test: keep only the notices of the statement below.
            received.clear()
            sql = "SELECT name FROM branches WHERE repository = %s"
            assert connection.execute(sql, [str(uuid)]).fetchall() == []
    finally:
        access.removeHandler(log)
        access.setLevel(previous_level)
    assert any(str(uuid) in notice for notice in received)  # the engine's warning, as NoticeResponse
    assert [w for w in printed if issubclass(w.category, QueryWarning)] == []
    logged = [e for e in log.entries if e.get("event") == "statement" and "branches" in str(e["statement"])]
    assert logged and logged[0]["notices"] == received


def test_an_unknown_repository_is_undefined_object_with_the_engines_hint(
    demo_server: RunningServer, emulator: object
) -> None:
    with psycopg.connect(demo_server.dsn(), autocommit=True) as connection:
        with pytest.raises(psycopg.errors.UndefinedObject) as caught:
            connection.execute("SELECT title FROM pull_requests WHERE repository = 'no-such-repo'")
        diagnostic = caught.value.diag
        assert caught.value.sqlstate == "42704"
        assert "no-such-repo" in (diagnostic.message_primary or "")
        assert diagnostic.message_hint  # what to do, on its own line
        repo = repository_with_pull_requests(emulator)
        sql = "SELECT count(*) > 0 FROM pull_requests WHERE repository = %s"
        assert connection.execute(sql, [repo]).fetchone() == (True,)


def test_client_encodings_at_startup_as_postgres_takes_them(demo_server: RunningServer) -> None:
    # libpq's client_encoding=auto in a C locale (an interactive psql) sends SQL_ASCII: no conversion
    with psycopg.connect(demo_server.dsn(), client_encoding="SQL_ASCII", autocommit=True) as connection:
        assert connection.info.parameter_status("client_encoding") == "SQL_ASCII"
        assert connection.execute("SELECT 1 + 1").fetchone() == (2,)
    with psycopg.connect(demo_server.dsn(), client_encoding="unicode", autocommit=True) as connection:
        assert connection.info.parameter_status("client_encoding") == "UTF8"
    with pytest.raises(psycopg.OperationalError, match="LATIN1.*not supported"):
        psycopg.connect(demo_server.dsn(), client_encoding="LATIN1", connect_timeout=10)
