"""Values on the wire match what PostgreSQL sends: checked against psycopg's own (independent) adapters."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from pg_server_helpers import require_module

from bitbucket_sql.server import codec

psycopg = require_module("psycopg", "psycopg[binary]")  # an independent implementation to check against
from psycopg.adapt import PyFormat, Transformer  # noqa: E402
from psycopg.pq import Format  # noqa: E402

UTC = dt.UTC


def _loaded(data: bytes, oid: int, fmt: Format) -> object:
    """What psycopg makes of these bytes for a column of type ``oid`` in format ``fmt``."""
    transformer = Transformer()
    return transformer.get_loader(oid, fmt).load(data)


VALUES = [
    (True, codec.BOOL),
    (False, codec.BOOL),
    (-32768, codec.INT2),
    (2147483647, codec.INT4),
    (-(2**63), codec.INT8),
    (1.5, codec.FLOAT8),
    (-0.1, codec.FLOAT8),
    (decimal.Decimal("0"), codec.NUMERIC),
    (decimal.Decimal("12345.678"), codec.NUMERIC),
    (decimal.Decimal("-0.00012"), codec.NUMERIC),
    (decimal.Decimal("100000000"), codec.NUMERIC),
    (decimal.Decimal("1E+5"), codec.NUMERIC),
    (decimal.Decimal("99999999999999999999.123456789"), codec.NUMERIC),
    ("héllo, wörld\t\n", codec.TEXT),
    ("", codec.VARCHAR),
    (dt.datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC), codec.TIMESTAMPTZ),
    (dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC), codec.TIMESTAMPTZ),
    (dt.datetime(2026, 3, 4, 5, 6, 7), codec.TIMESTAMP),
    (dt.date(2026, 2, 28), codec.DATE),
    (dt.date(1970, 1, 1), codec.DATE),
    (b"\x00\xffbytes", codec.BYTEA),
    ([1, 2, None, 4], 1016),
    (["a", "b c", None, ""], 1009),
]


@pytest.mark.parametrize(("value", "oid"), VALUES, ids=lambda v: repr(v)[:30])
@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_psycopg_reads_back_what_we_send(value: object, oid: int, binary: bool) -> None:
    data = codec.binary_value(value, oid) if binary else codec.text_value(value, oid).encode()
    loaded = _loaded(data, oid, Format.BINARY if binary else Format.TEXT)
    if isinstance(value, decimal.Decimal):
        assert loaded == value
    else:
        assert loaded == value


@pytest.mark.parametrize(
    "value",
    [decimal.Decimal("0.5"), decimal.Decimal("-123.4500"), decimal.Decimal("10000"), decimal.Decimal("1E-7")],
)
def test_numeric_binary_bytes_equal_psycopgs(value: decimal.Decimal) -> None:
    dumper = Transformer().get_dumper(value, PyFormat.BINARY)
    assert codec.binary_value(value, codec.NUMERIC) == bytes(dumper.dump(value))


def test_json_values_are_sent_as_json_text() -> None:
    assert codec.text_value({"a": [1, None]}, codec.JSON) == '{"a": [1, null]}'
    assert codec.text_value('{"already": "text"}', codec.JSONB) == '{"already": "text"}'
    assert _loaded(codec.binary_value('{"x": 1}', codec.JSONB), codec.JSONB, Format.BINARY) == {"x": 1}


def test_text_formats_follow_the_advertised_settings() -> None:
    assert codec.text_value(dt.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC), codec.TIMESTAMPTZ) == (
        "2026-01-02 03:04:05.12+00"
    )
    assert (
        codec.text_value(dt.timedelta(days=3, hours=4, minutes=5, seconds=6), codec.INTERVAL)
        == "3 days 04:05:06"
    )
    assert codec.text_value(float("inf"), codec.FLOAT8) == "Infinity"
    assert codec.text_value(decimal.Decimal("1E+3"), codec.NUMERIC) == "1000"
    assert codec.text_value(b"\x01\xab", codec.BYTEA) == "\\x01ab"


@pytest.mark.parametrize(
    ("value", "oid"),
    [
        (42, codec.INT4),
        (-7, codec.INT8),
        (2.25, codec.FLOAT8),
        (True, codec.BOOL),
        (decimal.Decimal("-1.05"), codec.NUMERIC),
    ],
)
def test_binary_parameters_decode_to_python_values(value: object, oid: int) -> None:
    dumper = Transformer().get_dumper(value, PyFormat.BINARY)
    assert codec.decode_binary_parameter(bytes(dumper.dump(value)), oid) == value


def test_binary_timestamp_and_date_parameters() -> None:
    moment = dt.datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert (
        codec.decode_binary_parameter(codec.binary_value(moment, codec.TIMESTAMPTZ), codec.TIMESTAMPTZ)
        == moment
    )
    day = dt.date(2024, 2, 29)
    assert codec.decode_binary_parameter(codec.binary_value(day, codec.DATE), codec.DATE) == day


def test_a_truncated_binary_parameter_is_a_clear_error() -> None:
    with pytest.raises(codec.CodecError, match="type 20"):
        codec.decode_binary_parameter(b"\x00\x01\x02", codec.INT8)


def test_copy_text_escapes_and_nulls() -> None:
    lines = codec.copy_lines(
        [("a\tb", None), ("back\\slash", 3)], [codec.TEXT, codec.INT4], ["x", "y"], "text"
    )
    assert lines == [b"a\\tb\t\\N\n", b"back\\\\slash\t3\n"]


def test_copy_csv_with_header_keeps_a_multiline_field_in_one_record() -> None:
    lines = codec.copy_lines(
        [("two\nlines", True), (None, False)], [codec.TEXT, codec.BOOL], ["t", "b"], "csv header"
    )
    assert lines == [b"t,b\n", b'"two\nlines",t\n', b",f\n"]
