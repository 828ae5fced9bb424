"""The listener under hostile input, cancellation, limits, rights and shutdown: one connection's trouble
never reaches another, and the server keeps answering."""

from __future__ import annotations

import random
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pg_server_helpers import require_module
from tds_helpers import PASSWORD, RunningTds, running_tds
from tds_raw import RawClient, batch_payload, login_payload, packet, prelogin_payload

from bitbucket_sql.server.config import Limits
from bitbucket_sql.server.tds import packets, tokens


@pytest.fixture(scope="module")
def clear_server(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTds]:
    """Clear-text logins allowed on loopback, so that raw bytes can reach every stage."""
    with running_tds(emulator, tmp_path_factory.mktemp("tds-clear"), allow_cleartext_login=True) as server:
        yield server


def _answers(server: RunningTds) -> bool:
    client = RawClient(server.port)
    try:
        answer = client.login("reader", PASSWORD, "acme")
        assert bytes([tokens.LOGINACK]) in answer
        result = client.batch("SELECT 40 + 2 AS answer")
        return "answer".encode("utf-16-le") in result and b"\x04" + struct.pack("<i", 42) in result
    finally:
        client.close()


def _hostile_inputs(seed: int) -> list[bytes | tuple[str, bytes]]:
    rng = random.Random(seed)
    noise = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(12)]
    cases: list[bytes | tuple[str, bytes]] = list(noise)
    cases += [
        b"\x12\x01\x00\x04\x00\x00\x00\x00",  # length shorter than the header
        packet(packets.PRELOGIN, b"\x01\x00\x50\x00\x05\xff"),  # option pointing outside the message
        packet(packets.PRELOGIN, b""),  # no terminator
        packet(packets.LOGIN7, b"\x00" * 20),  # LOGIN7 before PRELOGIN
        packet(packets.PRELOGIN, prelogin_payload()) + packet(packets.LOGIN7, b"\x10" * 60),  # short LOGIN7
        packet(packets.PRELOGIN, prelogin_payload(1)) + b"\x12\x01\x00\x20" + b"\x00" * 28,  # TLS garbage
        packet(packets.PRELOGIN, prelogin_payload()) + packet(packets.PRELOGIN, b"x", status=0) * 3,
    ]
    for _ in range(8):  # after a good login: mangled RPCs and batches
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 120)))
        cases.append(("login", packet(packets.RPC, struct.pack("<I", 4) + body)))
    cases.append(("login", packet(packets.RPC, batch_payload("")[:22] + b"\xff\xff\x0a\x00\x00\x00\x00\x01\x26")))
    cases.append(("login", packet(packets.SQL_BATCH, b"\xff\xff\xff\x7f" + "SELECT 1".encode("utf-16-le"))))
    # sp_executesql with a date parameter 16 million days after year 1
    date_param = b"\x00\x00" + bytes([0x28]) + b"\x03\xff\xff\xff"
    cases.append(("login", packet(packets.RPC, struct.pack("<I", 4) + b"\xff\xff\x0a\x00\x00\x00" + date_param)))
    for number in range(1, 10):  # sp_cursor ... sp_cursorclose by number: without parameters, then with noise
        call = struct.pack("<I", 4) + b"\xff\xff" + struct.pack("<HH", number, 0)
        cases.append(("login", packet(packets.RPC, call)))
        cases.append(("login", packet(packets.RPC, call + bytes(rng.randrange(256) for _ in range(40)))))
    cases.append(("login", packet(0x42, b"unknown message type")))
    return cases


def test_hostile_bytes_close_one_connection_and_the_server_keeps_answering(clear_server: RunningTds) -> None:
    bystander = RawClient(clear_server.port)
    assert bytes([tokens.LOGINACK]) in bystander.login("reader", PASSWORD, "acme")
    for case in _hostile_inputs(seed=16):
        client = RawClient(clear_server.port)
        try:
            if isinstance(case, tuple):
                client.login("reader", PASSWORD, "acme")
                case = case[1]
            client.send(case)
            client.sock.shutdown(socket.SHUT_WR)  # a partial packet then waits for nothing more
            client.sock.settimeout(10)
            try:
                while client.read_message():
                    pass  # the server answers (an ERROR token) or closes; it never hangs
            except (ConnectionError, TimeoutError) as error:
                assert not isinstance(error, TimeoutError), f"the server hung on {case!r}"
        finally:
            client.close()
    assert _answers(clear_server)
    assert "answer".encode("utf-16-le") in bystander.batch("SELECT 1 AS answer")  # untouched by the others
    bystander.close()


def test_attention_cancels_a_running_query_and_the_connection_goes_on(clear_server: RunningTds) -> None:
    client = RawClient(clear_server.port)
    try:
        client.login("reader", PASSWORD, "acme")
        client.send(packet(packets.SQL_BATCH, batch_payload("SELECT COUNT(*) FROM range(100000000000) r(x) "
                                                            "WHERE x % 7 = 3")))
        time.sleep(0.5)
        client.send(packet(packets.ATTENTION, b""))
        answer = client.read_message()  # the uncancelled count would outlast the socket's 30 s timeout
        assert answer[-13] == tokens.DONE and struct.unpack_from("<H", answer, len(answer) - 12)[0] & tokens.DONE_ATTN
        assert "answer".encode("utf-16-le") in client.batch("SELECT 1 AS answer")
    finally:
        client.close()
    assert any(record.get("cancelled") for record in clear_server.events("statement"))


def test_large_results_are_split_into_packets_of_the_negotiated_size(clear_server: RunningTds) -> None:
    pytds = require_module("pytds", "python-tds")
    with pytds.connect(dsn=clear_server.host, port=clear_server.port, database="acme", user="reader",
                       password=PASSWORD, blocksize=512, login_timeout=15, autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT x, repeat('é', x % 9000) AS text FROM range(3000) r(x) ORDER BY x")
        rows = cursor.fetchall()
    assert len(rows) == 3000 and all(len(text) == x % 9000 for x, text in rows)


def test_rights_use_and_writes(tds_server: RunningTds, clear_server: RunningTds) -> None:
    pytds = require_module("pytds", "python-tds")

    def connect(user: str) -> Any:
        return pytds.connect(dsn=clear_server.host, port=clear_server.port, database="acme", user=user,
                             password=PASSWORD, login_timeout=15, autocommit=True)

    with connect("writer") as connection:
        cursor = connection.cursor()
        cursor.execute("USE other")
        cursor.execute("SELECT DB_NAME()")
        assert cursor.fetchone() == ("other",)
    with connect("reader") as connection:
        cursor = connection.cursor()
        with pytest.raises(pytds.OperationalError, match="not able to access the database \"other\""):
            cursor.execute("USE other")
        with pytest.raises(pytds.OperationalError, match="read-only access"):
            cursor.execute("DELETE FROM repositories WHERE slug = 'x'")
        cursor.execute("SELECT DB_NAME()")
        assert cursor.fetchone() == ("acme",)
    pymssql = require_module("pymssql", "pymssql")  # pytds retries error 4060 until its login timeout
    with pytest.raises(pymssql.OperationalError):  # its message text depends on DB-Library's global state
        pymssql.connect(server=clear_server.host, port=str(clear_server.port), database="nowhere", user="reader",
                        password=PASSWORD, login_timeout=15, encryption="require")
    assert clear_server.events("auth_failed")[-1]["number"] == 4060  # Cannot open database "nowhere"


def test_connection_limit_and_graceful_shutdown(emulator: Any, tmp_path: Path) -> None:
    with running_tds(emulator, tmp_path, allow_cleartext_login=True,
                     limits=Limits(max_connections=1, shutdown_grace_s=5)) as server:
        first = RawClient(server.port)
        assert bytes([tokens.LOGINACK]) in first.login("reader", PASSWORD, "acme")
        second = RawClient(server.port)
        second.send(packet(packets.PRELOGIN, prelogin_payload()))
        second.sock.settimeout(10)
        assert second.read_message() == b""  # refused: closed before PRELOGIN's answer
        second.close()
        first.send(packet(packets.SQL_BATCH, batch_payload("SELECT COUNT(*) FROM range(300000000) r(x)")))
        time.sleep(0.3)
        stopping = server.server.stop_from_thread(grace_s=30)
        answer = first.read_message()  # the running query finishes within the grace period
        assert struct.pack("<q", 300000000) in answer
        stopping.result(timeout=60)
        assert server.server.stopped and server.server.connection_count == 0
        first.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def test_idle_connections_time_out(emulator: Any, tmp_path: Path) -> None:
    with running_tds(emulator, tmp_path, allow_cleartext_login=True, limits=Limits(idle_timeout_s=1)) as server:
        client = RawClient(server.port)
        client.login("reader", PASSWORD, "acme")
        client.sock.settimeout(10)
        assert client.read_message() == b""  # closed by the server after a second of silence
        client.close()
        assert server.events("idle_timeout")


def test_login_payload_is_what_real_clients_send() -> None:
    """The raw client's LOGIN7 parses as the listener reads pytds's (a check of the test's own tool)."""
    from bitbucket_sql.server.tds import login7

    login = login7.parse(login_payload("reader", "pw", "acme"))
    assert (login.user_name, login.password.reveal(), login.database) == ("reader", "pw", "acme")
    assert "pw" not in repr(login)



def test_exec_and_writes_for_read_write_users_only(tmp_path: Path) -> None:
    """``EXEC approve_pull_request ...`` is the engine's ``CALL``; UPDATE goes to the engine (on an
    emulator of its own: both write)."""
    pytds = require_module("pytds", "python-tds")
    from bitbucket_sql.emulator import run_emulator

    with run_emulator(scale="tiny", seed=1) as writable, \
            running_tds(writable, tmp_path, allow_cleartext_login=True) as server:
        def connect(user: str) -> Any:
            return pytds.connect(dsn=server.host, port=server.port, database="acme", user=user,
                                 password=PASSWORD, login_timeout=15, autocommit=True)

        with connect("reader") as connection, pytest.raises(pytds.OperationalError, match="read-only access"):
            connection.cursor().execute("EXEC approve_pull_request @repository = N'api', @pull_request_id = 4")
        assert writable.write_requests() == {}  # refused before any request
        with connect("writer") as connection:
            cursor = connection.cursor()
            cursor.execute("EXEC approve_pull_request @repository = N'api', @pull_request_id = 4")
            row = dict(zip([column[0] for column in cursor.description], cursor.fetchone(), strict=True))
            assert writable.write_requests()
            cursor.execute("UPDATE pull_requests SET state = 'DECLINED' WHERE repository = %s AND id = %s",
                           ("api", 5))
            assert cursor.rowcount == 1
            cursor.execute("SELECT state FROM pull_requests WHERE repository = 'api' AND id = 5")
            assert cursor.fetchone() == ("DECLINED",)
    assert row["approved"] is True and row["state"] == "approved"


def test_messages_over_the_size_limit_close_that_connection(emulator: Any, tmp_path: Path) -> None:
    with running_tds(emulator, tmp_path, allow_cleartext_login=True,
                     limits=Limits(max_message_bytes=8192)) as server:
        client = RawClient(server.port)
        client.login("reader", PASSWORD, "acme")
        chunk = batch_payload("SELECT '" + "x" * 1900 + "'")
        for _ in range(3):  # three packets of 4 KB, none marked as the last one
            client.send(packet(packets.SQL_BATCH, chunk, status=0))
        client.send(packet(packets.SQL_BATCH, chunk))
        answer = client.read_message()
        assert struct.pack("<i", 4002) in answer and "limit".encode("utf-16-le") in answer
        assert client.read_message() == b""  # then closed
        client.close()
        assert _answers(server)


def test_a_client_leaving_mid_query_stops_its_query(clear_server: RunningTds) -> None:
    client = RawClient(clear_server.port)
    client.login("reader", PASSWORD, "acme")
    before = clear_server.server.connection_count
    client.send(packet(packets.SQL_BATCH, batch_payload("SELECT COUNT(*) FROM range(100000000000) r(x)")))
    time.sleep(0.3)
    client.close()
    deadline = time.monotonic() + 20
    while clear_server.server.connection_count >= before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert clear_server.server.connection_count < before  # the query was interrupted, not left running
    assert _answers(clear_server)


def test_concurrent_clients_get_their_own_answers(clear_server: RunningTds) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pytds = require_module("pytds", "python-tds")

    def client(number: int) -> list[tuple[Any, ...]]:
        with pytds.connect(dsn=clear_server.host, port=clear_server.port, database="acme", user="reader",
                           password=PASSWORD, login_timeout=15, autocommit=True) as connection:
            cursor = connection.cursor()
            cursor.execute("SELECT %s AS client, COUNT(*) AS n FROM range(%s) r(x)", (number, number * 1000))
            return list(cursor.fetchall())

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(client, range(1, 13)))
    assert answers == [[(number, number * 1000)] for number in range(1, 13)]


def test_reset_connection_is_acknowledged(clear_server: RunningTds) -> None:
    client = RawClient(clear_server.port)
    try:
        client.login("reader", PASSWORD, "acme")
        client.batch("SET NOCOUNT ON")
        flags = packets.STATUS_EOM | packets.STATUS_RESET_CONNECTION  # what pooled drivers send on reuse
        client.send(packet(packets.SQL_BATCH, batch_payload("SELECT 1 AS answer"), status=flags))
        answer = client.read_message()
        assert answer[:6] == bytes([tokens.ENVCHANGE, 3, 0, tokens.ENV_RESET_ACK, 0, 0])
        assert "answer".encode("utf-16-le") in answer
    finally:
        client.close()
