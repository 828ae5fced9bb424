"""A hostile or broken client ends only its own connection; limits hold; the server keeps answering.

Includes the protocol fuzz test: random bytes, truncated messages, bad lengths and messages in the
wrong order, before and after authentication, each followed by EOF; afterwards a normal client
still gets correct answers.
"""

from __future__ import annotations

import random
import socket
import struct
import time
from typing import Any

import pytest
from pg_server_helpers import PASSWORD, RunningServer, require_module, running_server
from pg_wire import SYNC, WireClient, bind, cstr, execute, kinds, msg, parse, query, startup_packet

from bitbucket_sql.server.config import Limits

psycopg = require_module("psycopg", "psycopg[binary]")

#: Seconds a broken connection may take to be closed by the server after the client's EOF.
CLOSE_WITHIN_S = 10


def _drain_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (fails on a hang)."""
    sock.settimeout(CLOSE_WITHIN_S)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the server did not close a broken connection within {CLOSE_WITHIN_S} s")
    except ConnectionResetError:
        pass
    return received


def _send_and_close(server: RunningServer, data: bytes, login: bool) -> bytes:
    client = WireClient(server.host, server.port)
    try:
        if login:
            assert client.login("reader", PASSWORD, "acme")[-1].kind == "Z"
        try:
            client.sock.sendall(data)
            client.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may already have closed on the first bad byte
        return _drain_until_closed(client.sock)
    finally:
        client.sock.close()


def _random_message(rng: random.Random) -> bytes:
    kind = rng.choice(b"QPBDESHCXfcdpFzZ\x00\xff")
    payload = rng.randbytes(rng.randint(0, 64))
    choice = rng.random()
    if choice < 0.15:  # a length that lies (too short, negative, or far too long)
        length = rng.choice([0, 1, 3, -1, -(2**31), 2**31 - 1, len(payload) + 100])
        return bytes([kind]) + struct.pack("!i", length) + payload
    if choice < 0.3:  # truncated message
        whole = msg(bytes([kind]), payload)
        return whole[: rng.randint(1, len(whole) - 1)]
    if choice < 0.45:  # a known message with garbage inside
        return msg(bytes([kind]), cstr("x") + rng.randbytes(rng.randint(0, 12)))
    return msg(bytes([kind]), payload)


def _wrong_order(rng: random.Random) -> bytes:
    messages = [
        execute("nope"),
        bind("", "missing"),
        msg(b"D", b"S" + cstr("missing")),
        msg(b"p", cstr("password-after-login")),
        msg(b"d", b"copy data nobody asked for"),
        SYNC,
        parse("", "SELECT 1"),
        startup_packet("reader", "acme"),
    ]
    rng.shuffle(messages)
    return b"".join(messages[: rng.randint(1, len(messages))])


def test_fuzzed_streams_close_only_their_connection(demo_server: RunningServer) -> None:
    rng = random.Random(20261204)
    for case in range(60):
        login = case % 2 == 1
        if case % 3 == 0:
            data = _wrong_order(rng)
        elif not login and case % 3 == 1:
            data = rng.randbytes(rng.randint(0, 300))
        else:
            data = b"".join(_random_message(rng) for _ in range(rng.randint(1, 6)))
        _send_and_close(demo_server, data, login)
    # Afterwards, a normal client still works and no connection was left behind.
    with psycopg.connect(demo_server.dsn()) as connection:
        assert connection.execute("SELECT 40 + 2 AS answer").fetchone() == (42,)
    deadline = time.monotonic() + CLOSE_WITHIN_S
    while demo_server.server.connection_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert demo_server.server.connection_count == 0


@pytest.mark.parametrize(
    "length", [0, 3, 7, 20_000, -5], ids=["zero", "three", "seven", "too-big", "negative"]
)
def test_a_bad_startup_length_is_refused(demo_server: RunningServer, length: int) -> None:
    reply = _send_and_close(demo_server, struct.pack("!ii", length, 196608), login=False)
    assert reply == b"" or (reply[:1] == b"E" and b"08P01" in reply)


def test_an_oversized_message_is_refused_without_reading_it(emulator: Any) -> None:
    with running_server(emulator, limits=Limits(max_message_bytes=1024)) as server:
        reply = _send_and_close(server, b"Q" + struct.pack("!i", 50_000_000), login=True)
        assert b"08P01" in reply and b"exceeds the server's limit of 1024 bytes" in reply
        with psycopg.connect(server.dsn()) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)


def test_an_idle_connection_is_closed_after_the_idle_timeout(emulator: Any) -> None:
    with running_server(emulator, limits=Limits(idle_timeout_s=0.5)) as server:
        client = WireClient(server.host, server.port)
        assert client.login("reader", PASSWORD, "acme")[-1].kind == "Z"
        reply = _drain_until_closed(client.sock)
        client.sock.close()
        assert b"57P05" in reply and b"idle-session timeout" in reply


def test_connections_beyond_the_limit_are_refused_with_53300(emulator: Any) -> None:
    with (
        running_server(emulator, limits=Limits(max_connections=1)) as server,
        psycopg.connect(server.dsn()) as first,
    ):
        with pytest.raises(psycopg.OperationalError, match="too many clients"):
            psycopg.connect(server.dsn(), connect_timeout=10)
        assert first.execute("SELECT 1").fetchone() == (1,)


def test_one_clients_error_does_not_disturb_another(demo_server: RunningServer) -> None:
    steady = WireClient(demo_server.host, demo_server.port)
    broken = WireClient(demo_server.host, demo_server.port)
    try:
        assert steady.login("reader", PASSWORD, "acme")[-1].kind == "Z"
        assert broken.login("reader", PASSWORD, "acme")[-1].kind == "Z"
        broken.send(parse("", "SELECT 1"), b"\x00garbage")
        steady.send(query("SELECT 7 AS seven"))
        assert kinds(steady.until()) == "TDCZ"
        assert b"08P01" in _drain_until_closed(broken.sock)
        steady.send(query("SELECT 8 AS eight"))
        assert kinds(steady.until()) == "TDCZ"
    finally:
        steady.close()
        broken.sock.close()


def test_graceful_stop_closes_idle_clients_with_57P01(emulator: Any) -> None:
    with running_server(emulator) as server:
        client = WireClient(server.host, server.port)
        assert client.login("reader", PASSWORD, "acme")[-1].kind == "Z"
    # Leaving the block stopped the server gracefully: the idle client was told why.
    reply = _drain_until_closed(client.sock)
    client.sock.close()
    assert b"57P01" in reply and b"administrator command" in reply


def test_graceful_stop_lets_a_running_query_finish() -> None:
    from bitbucket_sql.emulator import run_emulator

    with run_emulator(scale="tiny", seed=1, latency_ms=150) as emulator, running_server(emulator) as server:
        client = WireClient(server.host, server.port)
        assert client.login("reader", PASSWORD, "acme")[-1].kind == "Z"
        client.send(query("SELECT count(*) AS n FROM pull_request_comments"))
        time.sleep(0.5)  # the query is now fetching
        stopping = server.server.stop_from_thread(grace_s=60)
        replies = client.until("C")
        assert kinds(replies)[-3:] == "TDC" and int(replies[-2].values()[0] or b"0") > 0
        rest = client.buffer + _drain_until_closed(client.sock)  # what the client had read ahead, and the rest
        client.sock.close()
        stopping.result(timeout=30)
        assert b"57P01" in rest


def test_a_slow_query_does_not_hold_up_another_client() -> None:
    import threading

    from bitbucket_sql.emulator import run_emulator

    with run_emulator(scale="tiny", seed=1, latency_ms=400) as emulator, running_server(emulator) as server:
        slow_done = threading.Event()

        def slow() -> None:
            with psycopg.connect(server.dsn()) as connection:
                connection.execute("SELECT count(*) FROM pull_request_comments").fetchone()
            slow_done.set()

        worker = threading.Thread(target=slow)
        worker.start()
        try:
            time.sleep(0.3)
            with psycopg.connect(server.dsn()) as connection:
                assert connection.execute("SELECT 1 + 1").fetchone() == (2,)
            assert not slow_done.is_set(), "the slow query finished first; the check proves nothing"
        finally:
            worker.join(timeout=120)
        assert slow_done.is_set()


def test_garbage_instead_of_a_tls_handshake_closes_only_that_connection(emulator: Any, tmp_path: Any) -> None:
    with running_server(emulator, tmp_path, tls=True) as server:
        with socket.create_connection((server.host, server.port), timeout=CLOSE_WITHIN_S) as sock:
            sock.sendall(struct.pack("!ii", 8, 80877103))
            assert sock.recv(1) == b"S"
            sock.sendall(b"\x16\x03\x01 this is not a ClientHello" * 4)
            sock.shutdown(socket.SHUT_WR)
            _drain_until_closed(sock)
        with psycopg.connect(server.dsn(sslmode="require")) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
