"""CancelRequest: the running query stops with 57014 and its remaining API requests are not sent."""

from __future__ import annotations

import socket
import struct
import threading
import time

from pg_server_helpers import require_module, running_server

from bitbucket_sql.emulator import run_emulator

psycopg = require_module("psycopg", "psycopg[binary]")

#: One request per pull request of the workspace: slow enough to cancel behind 250 ms latency.
SLOW_SQL = "SELECT count(*) FROM pull_request_comments"


def test_cancel_stops_the_query_and_its_requests() -> None:
    with (
        run_emulator(scale="tiny", seed=1, latency_ms=250) as emulator,
        running_server(emulator) as server,
        psycopg.connect(server.dsn(), autocommit=True) as connection,
    ):
        emulator.reset_stats()
        started = time.monotonic()
        timer = threading.Timer(0.6, connection.cancel_safe)
        timer.start()
        try:
            try:
                connection.execute(SLOW_SQL)
                raise AssertionError("the query finished before it was cancelled; make it slower")
            except psycopg.errors.QueryCanceled as error:
                assert error.sqlstate == "57014"
        finally:
            timer.cancel()
        cancelled_after = time.monotonic() - started
        requests_at_cancel = emulator.stats()["total"]
        time.sleep(1.0)
        assert emulator.stats()["total"] - requests_at_cancel <= 8, "requests went on after the cancel"
        # The connection is usable again, and the full query needs far more requests.
        emulator.reset_stats()
        assert connection.execute(SLOW_SQL).fetchone()[0] > 0
        assert emulator.stats()["total"] > requests_at_cancel
        assert cancelled_after < 10


def test_a_cancel_with_a_wrong_key_does_nothing() -> None:
    with (
        run_emulator(scale="tiny", seed=1) as emulator,
        running_server(emulator) as server,
        psycopg.connect(server.dsn(), autocommit=True) as connection,
    ):
        info = connection.info
        with socket.create_connection((server.host, server.port), timeout=10) as sock:
            sock.sendall(struct.pack("!iiii", 16, 80877102, info.backend_pid, 12345))
            assert sock.recv(10) == b""  # the server hangs up without a word, as PostgreSQL does
        assert connection.execute("SELECT 3").fetchone() == (3,)
