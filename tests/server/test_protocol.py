"""Frontend message parsers: any byte string either parses or raises ProtocolViolation, nothing else."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitbucket_sql.server import protocol as pq

PARSERS = [
    pq.parse_query,
    pq.parse_parse,
    pq.parse_bind,
    pq.parse_describe_or_close,
    lambda data: pq.parse_describe_or_close(data, close=True),
    pq.parse_execute,
    pq.parse_sasl_initial,
    pq.parse_startup_parameters,
    pq.parse_cancel,
]


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: getattr(p, "__name__", "close"))
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=80))
def test_parsers_accept_or_refuse_cleanly(parser: object, data: bytes) -> None:
    with contextlib.suppress(pq.ProtocolViolation):
        parser(data)  # type: ignore[operator]


def test_bind_round_trip() -> None:
    body = (
        b"portal\0stmt\0"
        + struct.pack("!hh", 1, 1)
        + struct.pack("!h", 2)
        + struct.pack("!i", 3)
        + b"abc"
        + struct.pack("!i", -1)
        + struct.pack("!hh", 1, 1)
    )
    message = pq.parse_bind(body)
    assert (message.portal, message.statement, message.params, message.result_formats) == (
        "portal",
        "stmt",
        [b"abc", None],
        [1],
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"p\0s\0" + struct.pack("!hh", 1, 7) + struct.pack("!h", 0) + struct.pack("!h", 0), "format code 7"),
        (
            b"p\0s\0" + struct.pack("!hhh", 2, 0, 0) + struct.pack("!hi", 1, -1) + struct.pack("!h", 0),
            "2 parameter formats for 1",
        ),
        (b"p\0s\0" + struct.pack("!hh", 0, 1) + struct.pack("!i", 100) + b"short", "shorter than"),
        (b"p\0s\0" + struct.pack("!hh", 0, 0) + struct.pack("!h", 0) + b"extra", "longer than"),
    ],
)
def test_bind_refusals_say_what_is_wrong(body: bytes, error: str) -> None:
    with pytest.raises(pq.ProtocolViolation, match=error):
        pq.parse_bind(body)


def test_error_fields_are_encoded_in_order_and_terminated() -> None:
    encoded = pq.error_response(pq.Report("ERROR", "42P01", "no table", hint="list them"))
    assert encoded[:1] == b"E"
    (length,) = struct.unpack("!i", encoded[1:5])
    assert length == len(encoded) - 1
    assert encoded[5:].split(b"\0")[:5] == [b"SERROR", b"VERROR", b"C42P01", b"Mno table", b"Hlist them"]
    assert encoded.endswith(b"\0\0")
