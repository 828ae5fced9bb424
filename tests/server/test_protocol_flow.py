"""The extended-query message flow, message by message: what drivers rely on without showing it."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest
from pg_server_helpers import PASSWORD, RunningServer, repository_with_pull_requests
from pg_wire import (
    FLUSH,
    SYNC,
    WireClient,
    bind,
    close,
    describe,
    execute,
    kinds,
    parse,
    query,
)


@pytest.fixture
def wire(demo_server: RunningServer) -> Iterator[WireClient]:
    client = WireClient(demo_server.host, demo_server.port)
    replies = client.login("reader", PASSWORD, "acme")
    assert replies[-1].kind == "Z", [r.message for r in replies if r.kind == "E"]
    yield client
    client.close()


def test_login_reports_settings_and_a_cancel_key(demo_server: RunningServer) -> None:
    client = WireClient(demo_server.host, demo_server.port)
    replies = client.login("reader", PASSWORD, "acme")
    client.close()
    status = dict(tuple(r.payload[:-1].decode().split("\0")) for r in replies if r.kind == "S")
    assert status["client_encoding"] == "UTF8" and status["integer_datetimes"] == "on"
    assert int(status["server_version"].split(".")[0]) >= 12
    assert "K" in kinds(replies) and replies[-1].payload == b"I"


def test_execute_with_a_row_limit_suspends_the_portal(wire: WireClient, emulator: Any) -> None:
    repo = repository_with_pull_requests(emulator)
    sql = "SELECT id FROM pull_requests WHERE repository = $1 ORDER BY id LIMIT 5"
    wire.send(parse("", sql, (25,)), bind("", "", (repo.encode(),)), describe("P", ""), execute("", 2), FLUSH)
    first = [wire.reply() for _ in range(6)]
    assert kinds(first) == "12TDDs"
    # The portal lives until Sync ends the implicit transaction: fetch the rest before it.
    wire.send(execute("", 2), execute("", 0), SYNC)
    rest = wire.until()
    assert kinds(rest) == "DDsDCZ"
    ids = [int(r.values()[0]) for r in first + rest if r.kind == "D"]
    assert ids == sorted(ids) and len(ids) == 5


def test_after_an_error_messages_are_discarded_until_sync(wire: WireClient) -> None:
    wire.send(parse("", "SELEC nonsense"), bind("", ""), execute(""), SYNC)
    replies = wire.until()
    # The error comes at Parse or, for statements checked when run, at Execute; never a row.
    assert kinds(replies) in ("EZ", "12EZ")
    assert replies[-2].sqlstate == "42601"
    wire.send(parse("", "SELECT 1 AS one"), bind("", ""), execute(""), SYNC)
    assert kinds(wire.until()) == "12DCZ"


def test_named_statements_describe_close_and_reuse(wire: WireClient) -> None:
    wire.send(parse("s1", "SELECT $1::bigint + 1 AS n", (20,)), describe("S", "s1"), SYNC)
    replies = wire.until()
    assert kinds(replies) == "1tTZ"
    (count, oid) = struct.unpack("!hI", replies[1].payload)
    assert (count, oid) == (1, 20)
    wire.send(
        bind("p1", "s1", (struct.pack("!q", 41),), param_format=1), execute("p1"), close("P", "p1"), SYNC
    )
    replies = wire.until()
    assert kinds(replies) == "2DC3Z"
    assert replies[1].values() == [b"42"]
    wire.send(parse("s1", "SELECT 2"), SYNC)
    duplicate = wire.until()
    assert kinds(duplicate) == "EZ" and duplicate[0].sqlstate == "42P05"
    wire.send(close("S", "s1"), bind("", "s1"), SYNC)
    gone = wire.until()
    assert kinds(gone) == "3EZ" and gone[1].sqlstate == "26000"


def test_binary_results_on_request(wire: WireClient) -> None:
    wire.send(
        parse("", "SELECT CAST(7 AS BIGINT) AS n, true AS b"),
        bind("", "", result_format=1),
        execute(""),
        SYNC,
    )
    row = next(r for r in wire.until() if r.kind == "D")
    assert row.values() == [struct.pack("!q", 7), b"\x01"]


def test_wrong_parameter_count_is_an_error_not_a_crash(wire: WireClient) -> None:
    wire.send(parse("", "SELECT $1::text AS t", (25,)), bind("", "", ()), execute(""), SYNC)
    replies = wire.until()
    assert kinds(replies) == "1EZ" and "supplies 0 parameters" in replies[1].message


def test_flush_delivers_without_sync(wire: WireClient) -> None:
    wire.send(parse("", "SELECT 1"), FLUSH)
    assert wire.reply().kind == "1"
    wire.send(SYNC)
    assert kinds(wire.until()) == "Z"


def test_simple_query_with_several_statements_and_an_empty_one(wire: WireClient) -> None:
    wire.send(query("SELECT 1 AS a; SELECT 2 AS b"))
    assert kinds(wire.until()) == "TDCTDCZ"
    wire.send(query("   "))
    assert kinds(wire.until()) == "IZ"


def test_sql_deallocate_frees_a_protocol_statement(wire: WireClient) -> None:
    wire.send(parse("s2", "SELECT 1 AS one"), SYNC)
    assert kinds(wire.until()) == "1Z"
    wire.send(query("DEALLOCATE s2"))
    assert kinds(wire.until()) == "CZ"
    wire.send(bind("", "s2"), SYNC)
    replies = wire.until()
    assert kinds(replies) == "EZ" and replies[0].sqlstate == "26000"


def test_a_newer_protocol_minor_version_is_negotiated_down_to_3_0(demo_server: RunningServer) -> None:
    client = WireClient(demo_server.host, demo_server.port)
    try:
        body = struct.pack("!i", (3 << 16) | 2) + b"user\0reader\0database\0acme\0_pq_.fancy\0on\0\0"
        client.send(struct.pack("!i", len(body) + 4) + body)
        negotiation = client.reply()
        assert negotiation.kind == "v"
        newest_minor, count = struct.unpack("!ii", negotiation.payload[:8])
        assert (newest_minor, count) == (0, 1) and negotiation.payload[8:] == b"_pq_.fancy\0"
        assert client.reply().kind == "R"  # authentication goes on
    finally:
        client.sock.close()


def test_a_simple_query_before_sync_is_discarded_too(wire: WireClient) -> None:
    wire.send(bind("", "no-such-statement"), query("SELECT 1"), SYNC)
    replies = wire.until()
    assert kinds(replies) == "EZ" and replies[0].sqlstate == "26000"
    wire.send(query("SELECT 1 AS one"))
    assert kinds(wire.until()) == "TDCZ"


def test_statements_before_a_failing_one_still_answer(wire: WireClient) -> None:
    wire.send(query("SELECT 1 AS a; SELECT * FROM no_such_table; SELECT 2 AS b"))
    replies = wire.until()
    assert kinds(replies) == "TDCEZ"
    assert replies[3].sqlstate == "42P01"
