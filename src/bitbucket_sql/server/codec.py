"""Values on the wire: PostgreSQL's text and binary formats per type OID, both directions.

Rows come from the SQL session as plain Python values (None, str, int, float, bool, Decimal,
datetime, date, time, timedelta, bytes, lists); each is encoded the way PostgreSQL itself would
send it, so drivers parse them with their stock decoders. Text output follows the server's
advertised settings (DateStyle ISO, TimeZone UTC, IntervalStyle postgres, bytea hex).
Binary parameters are decoded to Python values here; text parameters stay strings (the SQL
session coerces them by the statement's parameter types).
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import struct
import uuid
from collections.abc import Callable, Sequence
from typing import Any

# PostgreSQL's type OIDs (pg_type.oid), the ones with a wire format of their own here.
BOOL, BYTEA, CHAR, NAME, INT8, INT2, INT4, TEXT, OID = 16, 17, 18, 19, 20, 21, 23, 25, 26
JSON, FLOAT4, FLOAT8, UNKNOWN, BPCHAR, VARCHAR = 114, 700, 701, 705, 1042, 1043
DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL, NUMERIC, UUID, JSONB = (
    1082,
    1083,
    1114,
    1184,
    1186,
    1700,
    2950,
    3802,
)

#: array type OID -> element type OID (the arrays a result may carry).
ARRAY_ELEMENTS: dict[int, int] = {
    1000: BOOL,
    1001: BYTEA,
    1002: CHAR,
    1003: NAME,
    1005: INT2,
    1007: INT4,
    1016: INT8,
    1009: TEXT,
    1015: VARCHAR,
    1021: FLOAT4,
    1022: FLOAT8,
    1182: DATE,
    1115: TIMESTAMP,
    1185: TIMESTAMPTZ,
    1231: NUMERIC,
    199: JSON,
    3807: JSONB,
    2951: UUID,
    1028: OID,
}

POSTGRES_EPOCH = dt.datetime(2000, 1, 1)
POSTGRES_EPOCH_UTC = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
POSTGRES_EPOCH_DATE = dt.date(2000, 1, 1)


class CodecError(ValueError):
    """A value cannot be encoded or a parameter cannot be decoded (22P03 / 22P02 for the client)."""


# ---------------------------------------------------------------------------------------------
# Text format


def _text_timestamp(value: dt.datetime, with_zone: bool) -> str:
    if with_zone:
        value = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.year < 1000:
        text = f"{value.year:04d}" + text[text.index("-") :]
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + ("+00" if with_zone else "")


def _text_time(value: dt.time) -> str:
    text = value.strftime("%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text


def _text_interval(value: dt.timedelta) -> str:
    """IntervalStyle postgres: ``3 days 04:05:06.5``, ``-1 days +23:00:00``."""
    days = value.days
    seconds = value.seconds
    micros = value.microseconds
    parts: list[str] = []
    if days:
        parts.append(f"{days} day" + ("s" if abs(days) != 1 else ""))
    if seconds or micros or not parts:
        hours, rest = divmod(seconds, 3600)
        minutes, secs = divmod(rest, 60)
        clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
        if micros:
            clock += f".{micros:06d}".rstrip("0")
        parts.append(("+" if days < 0 else "") + clock)
    return " ".join(parts)


def _text_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _text_numeric(value: Any) -> str:
    if isinstance(value, decimal.Decimal):
        if value.is_nan():
            return "NaN"
        if value.is_infinite():
            return "Infinity" if value > 0 else "-Infinity"
        return format(value, "f")
    if isinstance(value, float):
        return _text_float(value)
    return str(value)


def _text_json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _array_item(text: str) -> str:
    if text == "" or text.upper() == "NULL" or any(c in text for c in '{},"\\ \t\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _text_array(value: Sequence[Any], element_oid: int) -> str:
    items = ["NULL" if item is None else _array_item(text_value(item, element_oid)) for item in value]
    return "{" + ",".join(items) + "}"


def text_value(value: Any, oid: int) -> str:
    """PostgreSQL's text output of a non-NULL value of type ``oid``."""
    if oid in ARRAY_ELEMENTS and isinstance(value, list | tuple):
        return _text_array(value, ARRAY_ELEMENTS[oid])
    if isinstance(value, bool):
        return "t" if value else "f"
    if oid in (JSON, JSONB):
        return _text_json(value)
    if isinstance(value, dt.datetime):
        with_zone = oid == TIMESTAMPTZ or (oid != TIMESTAMP and value.tzinfo is not None)
        return _text_timestamp(value, with_zone)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _text_time(value)
    if isinstance(value, dt.timedelta):
        return _text_interval(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, float):
        return _text_float(value)
    if isinstance(value, decimal.Decimal):
        return _text_numeric(value)
    if isinstance(value, list | tuple):
        return _text_array(value, TEXT)
    if isinstance(value, dict):
        return _text_json(value)
    return str(value)


# ---------------------------------------------------------------------------------------------
# Binary format


def _binary_numeric(value: Any) -> bytes:
    """PostgreSQL's numeric wire format: base-10000 digits, weight, sign, display scale."""
    number = value if isinstance(value, decimal.Decimal) else decimal.Decimal(str(value))
    if number.is_nan():
        return struct.pack("!hhHh", 0, 0, 0xC000, 0)
    if number.is_infinite():
        return struct.pack("!hhHh", 0, 0, 0xD000 if number > 0 else 0xF000, 0)
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    dscale = max(-exponent, 0)
    text = "".join(map(str, digits))
    # Pad so the decimal point falls on a base-10000 boundary.
    if exponent > 0:
        text += "0" * exponent
        exponent = 0
    int_len = len(text) + exponent
    int_part = text[:int_len] if int_len > 0 else ""
    frac_part = text[int_len:] if int_len > 0 else "0" * (-int_len) + text
    int_part = "0" * ((-len(int_part)) % 4) + int_part
    frac_part = frac_part + "0" * ((-len(frac_part)) % 4)
    groups = [int(int_part[i : i + 4]) for i in range(0, len(int_part), 4)]
    frac_groups = [int(frac_part[i : i + 4]) for i in range(0, len(frac_part), 4)]
    weight = len(groups) - 1
    all_groups = groups + frac_groups
    while all_groups and all_groups[0] == 0:
        all_groups.pop(0)
        weight -= 1
    while all_groups and all_groups[-1] == 0:
        all_groups.pop()
    if not all_groups:
        weight = 0
    header = struct.pack("!hhHh", len(all_groups), weight, 0x4000 if sign else 0, dscale)
    return header + b"".join(struct.pack("!h", g) for g in all_groups)


def _micros(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _binary_timestamp(value: dt.datetime, oid: int) -> bytes:
    if oid == TIMESTAMPTZ:
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return struct.pack("!q", _micros(aware - POSTGRES_EPOCH_UTC))
    naive = (
        value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(dt.UTC).replace(tzinfo=None)
    )
    return struct.pack("!q", _micros(naive - POSTGRES_EPOCH))


def _binary_array(value: Sequence[Any], element_oid: int) -> bytes:
    has_null = any(item is None for item in value)
    parts = [struct.pack("!iiIii", 1, int(has_null), element_oid, len(value), 1)]
    for item in value:
        if item is None:
            parts.append(struct.pack("!i", -1))
        else:
            encoded = binary_value(item, element_oid)
            parts.append(struct.pack("!i", len(encoded)) + encoded)
    return b"".join(parts)


_INT_FORMATS = {INT2: "!h", INT4: "!i", INT8: "!q", OID: "!I"}
_INT_BY_WIDTH = {2: "!h", 4: "!i", 8: "!q"}


def binary_value(value: Any, oid: int) -> bytes:
    """PostgreSQL's binary send format of a non-NULL value of type ``oid``."""
    try:
        if oid in _INT_FORMATS:
            return struct.pack(_INT_FORMATS[oid], int(value))
        if oid == BOOL:
            return b"\x01" if value else b"\x00"
        if oid == FLOAT8:
            return struct.pack("!d", float(value))
        if oid == FLOAT4:
            return struct.pack("!f", float(value))
        if oid == NUMERIC:
            return _binary_numeric(value)
        if oid in (TIMESTAMP, TIMESTAMPTZ) and isinstance(value, dt.datetime):
            return _binary_timestamp(value, oid)
        if oid == DATE and isinstance(value, dt.date):
            day = value.date() if isinstance(value, dt.datetime) else value
            return struct.pack("!i", (day - POSTGRES_EPOCH_DATE).days)
        if oid == TIME and isinstance(value, dt.time):
            return struct.pack(
                "!q", ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
            )
        if oid == INTERVAL and isinstance(value, dt.timedelta):
            return struct.pack(
                "!qii",
                _micros(dt.timedelta(seconds=value.seconds, microseconds=value.microseconds)),
                value.days,
                0,
            )
        if oid == BYTEA:
            return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else str(value).encode()
        if oid == UUID:
            return (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).bytes
        if oid == JSONB:
            return b"\x01" + _text_json(value).encode("utf-8")
        if oid in ARRAY_ELEMENTS and isinstance(value, list | tuple):
            return _binary_array(value, ARRAY_ELEMENTS[oid])
        if oid in (TEXT, VARCHAR, NAME, BPCHAR, CHAR, JSON, UNKNOWN):
            return text_value(value, oid).encode("utf-8")
    except (struct.error, ValueError, TypeError, OverflowError, decimal.InvalidOperation) as error:
        raise CodecError(f"cannot send {value!r} as binary type {oid}: {error}") from error
    raise CodecError(f"cannot send a {type(value).__name__} value as binary type {oid}")


_KNOWN_BINARY = frozenset(
    {
        BOOL,
        BYTEA,
        INT2,
        INT4,
        INT8,
        OID,
        FLOAT4,
        FLOAT8,
        NUMERIC,
        DATE,
        TIME,
        TIMESTAMP,
        TIMESTAMPTZ,
        INTERVAL,
        UUID,
        JSONB,
    }
    | set(ARRAY_ELEMENTS)
)


def can_send_binary(oid: int) -> bool:
    """Whether a binary result column of this type is sent in PostgreSQL's format (else as text bytes)."""
    return oid in _KNOWN_BINARY or oid in (TEXT, VARCHAR, NAME, BPCHAR, CHAR, JSON, UNKNOWN)


Encoder = Callable[[Any], bytes | None]


def encoder(oid: int, binary: bool) -> Encoder:
    """A function turning one column's Python values into wire bytes (None stays NULL)."""
    if binary:
        return lambda value: None if value is None else binary_value(value, oid)
    return lambda value: None if value is None else text_value(value, oid).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Binary parameters


def _decode_numeric(data: bytes) -> decimal.Decimal:
    ndigits, weight, sign, dscale = struct.unpack("!hhHh", data[:8])
    if sign == 0xC000:
        return decimal.Decimal("NaN")
    if sign in (0xD000, 0xF000):
        return decimal.Decimal("Infinity" if sign == 0xD000 else "-Infinity")
    digits = struct.unpack(f"!{ndigits}h", data[8 : 8 + 2 * ndigits])
    value = decimal.Decimal(0)
    for index, group in enumerate(digits):
        value += decimal.Decimal(group).scaleb(4 * (weight - index))
    if sign == 0x4000:
        value = -value
    return value.quantize(decimal.Decimal(1).scaleb(-dscale)) if dscale else value


def decode_binary_parameter(data: bytes, oid: int) -> Any:
    """A binary-format Bind parameter as a Python value, by its declared type."""
    try:
        if oid in _INT_FORMATS:
            # Any integer width is accepted: drivers pick the smallest that holds the value.
            if oid != OID and len(data) in _INT_BY_WIDTH:
                return struct.unpack(_INT_BY_WIDTH[len(data)], data)[0]
            expected = struct.calcsize(_INT_FORMATS[oid])
            if len(data) != expected:
                raise CodecError(f"binary parameter of type {oid} has {len(data)} bytes, expected {expected}")
            return struct.unpack(_INT_FORMATS[oid], data)[0]
        if oid == BOOL:
            return data != b"\x00"
        if oid == FLOAT8:
            return struct.unpack("!d", data)[0]
        if oid == FLOAT4:
            return struct.unpack("!f", data)[0]
        if oid == NUMERIC:
            return _decode_numeric(data)
        if oid == TIMESTAMPTZ:
            return POSTGRES_EPOCH_UTC + dt.timedelta(microseconds=struct.unpack("!q", data)[0])
        if oid == TIMESTAMP:
            return POSTGRES_EPOCH + dt.timedelta(microseconds=struct.unpack("!q", data)[0])
        if oid == DATE:
            return POSTGRES_EPOCH_DATE + dt.timedelta(days=struct.unpack("!i", data)[0])
        if oid == BYTEA:
            return bytes(data)
        if oid == UUID:
            return str(uuid.UUID(bytes=bytes(data)))
        if oid == JSONB:
            return data[1:].decode("utf-8")
        if oid in (TEXT, VARCHAR, NAME, BPCHAR, CHAR, JSON, UNKNOWN, 0):
            return data.decode("utf-8")
    except (struct.error, ValueError, UnicodeDecodeError, OverflowError) as error:
        raise CodecError(f"invalid binary value for a parameter of type {oid}: {error}") from error
    raise CodecError(f"binary parameters of type {oid} are not supported; send it in text format")


def decode_text_parameter(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CodecError("a parameter is not valid UTF-8") from error


# ---------------------------------------------------------------------------------------------
# COPY TO STDOUT


def _copy_text_field(value: Any, oid: int) -> str:
    if value is None:
        return "\\N"
    text = text_value(value, oid)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_lines(
    rows: Sequence[Sequence[Any]], oids: Sequence[int], names: Sequence[str], options: str
) -> list[bytes]:
    """COPY's text or CSV lines for ``rows`` (``options``: ``text``, ``csv``, ``csv header`` ...)."""
    words = options.lower().replace(",", " ").split()
    if "csv" in words:
        lines: list[bytes] = []
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if "header" in words:
            writer.writerow(names)
        for row in rows:
            writer.writerow(
                ["" if v is None else text_value(v, oid) for v, oid in zip(row, oids, strict=False)]
            )
        for line in buffer.getvalue().splitlines(keepends=True):
            lines.append(line.encode("utf-8"))
        return _rejoin_quoted(lines)
    return [
        ("\t".join(_copy_text_field(v, oid) for v, oid in zip(row, oids, strict=False)) + "\n").encode(
            "utf-8"
        )
        for row in rows
    ]


def _rejoin_quoted(lines: list[bytes]) -> list[bytes]:
    """One CopyData per CSV record: a quoted field may span physical lines."""
    records: list[bytes] = []
    pending = b""
    for line in lines:
        pending += line
        if pending.count(b'"') % 2 == 0:
            records.append(pending)
            pending = b""
    if pending:
        records.append(pending)
    return records
