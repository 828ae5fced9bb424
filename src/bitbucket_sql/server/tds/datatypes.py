"""TDS data types: result columns (TYPE_INFO and values) out, RPC parameter values in.

Results use the nullable variable-length types every client reads: INTN, BITN, FLTN,
DECIMALN, NVARCHAR (PLP ``nvarchar(max)`` when a value is longer than 4,000 characters),
VARBINARY, DATEN, TIMEN, DATETIME2N and GUID. Timestamps with a time zone are sent as datetime2
in UTC (Bitbucket's are all UTC, and several clients cannot read datetimeoffset). DuckDB's nested
values (lists, structs, JSON) are sent as their JSON text.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import struct
import uuid
from dataclasses import dataclass
from typing import Any

from .packets import ProtocolError

# type codes ([MS-TDS] 2.2.5.4)
NULLTYPE = 0x1F
INT1 = 0x30
BIT = 0x32
INT2 = 0x34
INT4 = 0x38
DATETIM4 = 0x3A
FLT4 = 0x3B
MONEY = 0x3C
DATETIME = 0x3D
FLT8 = 0x3E
MONEY4 = 0x7A
INT8 = 0x7F
GUID = 0x24
INTN = 0x26
DECIMAL = 0x37
NUMERIC = 0x3F
BITN = 0x68
DECIMALN = 0x6A
NUMERICN = 0x6C
FLTN = 0x6D
MONEYN = 0x6E
DATETIMN = 0x6F
DATEN = 0x28
TIMEN = 0x29
DATETIME2N = 0x2A
DATETIMEOFFSETN = 0x2B
CHAR = 0x2F
VARCHAR = 0x27
BINARY = 0x2D
VARBINARY = 0x25
BIGVARBIN = 0xA5
BIGVARCHR = 0xA7
BIGBINARY = 0xAD
BIGCHAR = 0xAF
NVARCHAR = 0xE7
NCHAR = 0xEF
XML = 0xF1
UDT = 0xF0
TEXT = 0x23
IMAGE = 0x22
NTEXT = 0x63
SSVARIANT = 0x62

_FIXED_SIZES = {NULLTYPE: 0, INT1: 1, BIT: 1, INT2: 2, INT4: 4, DATETIM4: 4, FLT4: 4, MONEY: 8, DATETIME: 8,
                FLT8: 8, MONEY4: 4, INT8: 8}
_BYTELEN = {GUID, INTN, DECIMAL, NUMERIC, BITN, DECIMALN, NUMERICN, FLTN, MONEYN, DATETIMN, CHAR, VARCHAR, BINARY,
            VARBINARY}
_USHORTLEN = {BIGVARBIN, BIGVARCHR, BIGBINARY, BIGCHAR, NVARCHAR, NCHAR}
_WITH_COLLATION = {BIGVARCHR, BIGCHAR, NVARCHAR, NCHAR, TEXT, NTEXT, CHAR, VARCHAR}
_PLP_NULL = 0xFFFFFFFFFFFFFFFF
_PLP_UNKNOWN = 0xFFFFFFFFFFFFFFFE
_USHORT_NULL = 0xFFFF
_MAX = 0xFFFF

#: Latin1_General_CI_AS (LCID 1033, case/kana/width-insensitive, sort id 52): what clients expect
COLLATION = bytes([0x09, 0x04, 0xD0, 0x00, 0x34])
NVARCHAR_LIMIT = 4000

_DATE_ZERO = datetime.date(1, 1, 1)
#: room for 38 digits and a scale (the default context keeps 28 digits and would round)
_WIDE = decimal.Context(prec=80)
_DATETIME_ZERO = datetime.datetime(1900, 1, 1)


# --- result columns ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnType:
    """One result column's SQL Server type, chosen from a DuckDB type."""

    kind: str  # bigint, int, smallint, tinyint, bit, float, real, decimal, nvarchar, varbinary,
    #            date, time, datetime2, datetimeoffset, uniqueidentifier
    precision: int = 0
    scale: int = 0
    max_chars: int = NVARCHAR_LIMIT  # nvarchar/varbinary: 0 means (max)

    @property
    def sql_name(self) -> str:
        if self.kind == "decimal":
            return f"decimal({self.precision},{self.scale})"
        if self.kind in ("nvarchar", "varbinary"):
            return f"{self.kind}({'max' if self.max_chars == 0 else self.max_chars})"
        return self.kind

    def widened(self) -> ColumnType:
        """The (max) variant of a string or binary type."""
        return ColumnType(self.kind, self.precision, self.scale, 0)


_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)", re.IGNORECASE)


def column_type(duckdb_type: str) -> ColumnType:
    """The SQL Server type a DuckDB result type is sent as."""
    name = duckdb_type.upper().strip()
    simple = {
        "BIGINT": "bigint", "INTEGER": "int", "INT": "int", "SMALLINT": "smallint", "TINYINT": "smallint",
        "UTINYINT": "tinyint", "USMALLINT": "int", "UINTEGER": "bigint", "BOOLEAN": "bit", "DOUBLE": "float",
        "FLOAT": "real", "REAL": "real", "DATE": "date", "TIME": "time", "TIMESTAMP": "datetime2",
        "TIMESTAMP_NS": "datetime2", "TIMESTAMP_MS": "datetime2", "TIMESTAMP_S": "datetime2",
        # Bitbucket's timestamps are UTC: datetime2 in UTC reads everywhere (ODBC's pyodbc, Tableau and
        # Excel do not all read datetimeoffset)
        "TIMESTAMP WITH TIME ZONE": "datetime2", "TIMESTAMPTZ": "datetime2", "UUID": "uniqueidentifier",
        "BLOB": "varbinary",
    }
    if name in simple:
        return ColumnType(simple[name])
    if name in ("HUGEINT", "UBIGINT", "UHUGEINT"):  # SUM(bigint): bigint as in SQL Server, unless a value overflows
        return ColumnType("bigint", 38, 0)
    match = _DECIMAL.fullmatch(name)
    if match:
        return ColumnType("decimal", min(int(match.group(1)), 38), int(match.group(2)))
    if name == "DECIMAL":
        return ColumnType("decimal", 18, 3)
    return ColumnType("nvarchar")  # VARCHAR, JSON, lists, structs, maps, intervals: their text


def fit_to_values(column: ColumnType, values: list[Any]) -> ColumnType:
    """nvarchar(max)/varbinary(max) when a value does not fit the 4,000-character (8,000-byte) form;
    decimal(38,0) when a 128-bit integer result does not fit bigint."""
    if column.kind == "bigint" and column.precision:
        if any(value is not None and not -(2**63) <= value < 2**63 for value in values):
            return ColumnType("decimal", 38, 0)
        return ColumnType("bigint")
    if column.kind == "nvarchar" and column.max_chars:
        for value in values:
            if value is not None and len(text_of(value).encode("utf-16-le")) > 2 * NVARCHAR_LIMIT:
                return column.widened()
    if column.kind == "varbinary" and column.max_chars:
        for value in values:
            if value is not None and len(bytes(value)) > 2 * NVARCHAR_LIMIT:
                return column.widened()
    return column


def text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str, ensure_ascii=False)
    if isinstance(value, datetime.timedelta):
        return str(value)
    return str(value)


def _int_size(kind: str) -> int:
    return {"bigint": 8, "int": 4, "smallint": 2, "tinyint": 1}[kind]


def _decimal_size(precision: int) -> int:
    if precision <= 9:
        return 5
    if precision <= 19:
        return 9
    if precision <= 28:
        return 13
    return 17


def type_info(column: ColumnType) -> bytes:
    """TYPE_INFO of COLMETADATA (and of RETURNVALUE)."""
    kind = column.kind
    if kind in ("bigint", "int", "smallint", "tinyint"):
        return bytes([INTN, _int_size(kind)])
    if kind == "bit":
        return bytes([BITN, 1])
    if kind == "float":
        return bytes([FLTN, 8])
    if kind == "real":
        return bytes([FLTN, 4])
    if kind == "decimal":
        return bytes([DECIMALN, _decimal_size(column.precision), column.precision, column.scale])
    if kind == "nvarchar":
        size = _MAX if column.max_chars == 0 else 2 * column.max_chars
        return struct.pack("<BH", NVARCHAR, size) + COLLATION
    if kind == "varbinary":
        size = _MAX if column.max_chars == 0 else 2 * column.max_chars
        return struct.pack("<BH", BIGVARBIN, size)
    if kind == "date":
        return bytes([DATEN])
    if kind == "time":
        return bytes([TIMEN, 7])
    if kind == "datetime2":
        return bytes([DATETIME2N, 7])
    if kind == "datetimeoffset":
        return bytes([DATETIMEOFFSETN, 7])
    if kind == "uniqueidentifier":
        return bytes([GUID, 16])
    raise ValueError(f"no TDS type for {kind}")


def _time_bytes(value: datetime.time | datetime.datetime) -> bytes:
    ticks = ((value.hour * 60 + value.minute) * 60 + value.second) * 10_000_000 + value.microsecond * 10
    return ticks.to_bytes(5, "little")


def _date_bytes(value: datetime.date) -> bytes:
    return (value.toordinal() - _DATE_ZERO.toordinal()).to_bytes(3, "little")


def encode_value(column: ColumnType, value: Any) -> bytes:
    """One value of a ROW token (``None`` as the type's NULL)."""
    kind = column.kind
    if kind == "nvarchar":
        if column.max_chars == 0:
            return _plp(None if value is None else text_of(value).encode("utf-16-le"))
        if value is None:
            return struct.pack("<H", _USHORT_NULL)
        data = text_of(value).encode("utf-16-le")
        return struct.pack("<H", len(data)) + data
    if kind == "varbinary":
        if column.max_chars == 0:
            return _plp(None if value is None else bytes(value))
        if value is None:
            return struct.pack("<H", _USHORT_NULL)
        data = bytes(value)
        return struct.pack("<H", len(data)) + data
    if value is None:
        return b"\x00"
    if kind in ("bigint", "int", "smallint", "tinyint"):
        size = _int_size(kind)
        return bytes([size]) + int(value).to_bytes(size, "little", signed=kind != "tinyint")
    if kind == "bit":
        return b"\x01" + (b"\x01" if value else b"\x00")
    if kind == "float":
        return b"\x08" + struct.pack("<d", float(value))
    if kind == "real":
        return b"\x04" + struct.pack("<f", float(value))
    if kind == "decimal":
        size = _decimal_size(column.precision)
        number = decimal.Decimal(value)
        scaled = int(number.scaleb(column.scale, context=_WIDE).to_integral_value(rounding=decimal.ROUND_HALF_EVEN))
        return bytes([size, 1 if scaled >= 0 else 0]) + abs(scaled).to_bytes(size - 1, "little")
    if kind == "date":
        return b"\x03" + _date_bytes(value)
    if kind == "time":
        return b"\x05" + _time_bytes(value)
    if kind == "datetime2":
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            value = datetime.datetime.combine(value, datetime.time())
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return b"\x08" + _time_bytes(value) + _date_bytes(value.date())
    if kind == "datetimeoffset":
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        offset = value.utcoffset() or datetime.timedelta(0)
        utc = value.astimezone(datetime.UTC).replace(tzinfo=None)
        minutes = int(offset.total_seconds() // 60)
        return b"\x0a" + _time_bytes(utc) + _date_bytes(utc.date()) + struct.pack("<h", minutes)
    if kind == "uniqueidentifier":
        return b"\x10" + (value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))).bytes_le
    raise ValueError(f"no TDS encoding for {kind}")


def _plp(data: bytes | None) -> bytes:
    if data is None:
        return struct.pack("<Q", _PLP_NULL)
    if not data:
        return struct.pack("<QI", 0, 0)
    return struct.pack("<QI", len(data), len(data)) + data + struct.pack("<I", 0)


# --- parameters in (TYPE_INFO and values of RPC parameters) ------------------------------------------
@dataclass
class ParamType:
    code: int
    size: int = 0
    precision: int = 0
    scale: int = 0


class Reader:
    """A cursor over a message's bytes; every read past the end is a ProtocolError."""

    def __init__(self, data: bytes, position: int = 0) -> None:
        self.data = data
        self.position = position

    def take(self, count: int) -> bytes:
        end = self.position + count
        if count < 0 or end > len(self.data):
            raise ProtocolError("message ends in the middle of a value")
        chunk = self.data[self.position:end]
        self.position = end
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def unpack(self, fmt: str) -> Any:
        size = struct.calcsize(fmt)
        values = struct.unpack(fmt, self.take(size))
        return values[0] if len(values) == 1 else values

    def b_varchar(self) -> str:
        return self.take(2 * self.byte()).decode("utf-16-le", errors="replace")

    def us_varchar(self) -> str:
        return self.take(2 * self.unpack("<H")).decode("utf-16-le", errors="replace")

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.data)


def read_type_info(reader: Reader) -> ParamType:
    code = reader.byte()
    if code in _FIXED_SIZES:
        return ParamType(code, _FIXED_SIZES[code])
    if code in (DATEN,):
        return ParamType(code, 3)
    if code in (TIMEN, DATETIME2N, DATETIMEOFFSETN):
        return ParamType(code, 0, 0, reader.byte())
    if code in _BYTELEN:
        size = reader.byte()
        info = ParamType(code, size)
        if code in (DECIMAL, NUMERIC, DECIMALN, NUMERICN):
            info.precision, info.scale = reader.byte(), reader.byte()
        if code in _WITH_COLLATION:
            reader.take(5)
        return info
    if code in _USHORTLEN:
        info = ParamType(code, reader.unpack("<H"))
        if code in _WITH_COLLATION:
            reader.take(5)
        return info
    if code in (TEXT, NTEXT, IMAGE):
        info = ParamType(code, reader.unpack("<i"))
        if code in _WITH_COLLATION:
            reader.take(5)
        return info
    if code == XML:
        if reader.byte():  # schema present
            reader.b_varchar()
            reader.b_varchar()
            reader.us_varchar()
        return ParamType(code, _MAX)
    raise ProtocolError(f"parameter type {code:#x} is not supported (send it as nvarchar)")


def read_value(reader: Reader, info: ParamType) -> Any:
    """One parameter value of type ``info`` (None for NULL); ProtocolError when it cannot be one."""
    try:
        return _read_value(reader, info)
    except (ValueError, OverflowError, ArithmeticError, struct.error) as error:
        raise ProtocolError(f"invalid value of parameter type {info.code:#x}: {error}") from None


def _read_value(reader: Reader, info: ParamType) -> Any:
    code = info.code
    if code == NULLTYPE:
        return None
    if code in _FIXED_SIZES:
        return _decode(code, reader.take(info.size), info)
    if code in (TIMEN, DATETIME2N, DATETIMEOFFSETN, DATEN) or code in _BYTELEN:
        size = reader.byte()
        return None if size == 0 else _decode(code, reader.take(size), info)
    if code in _USHORTLEN:
        if info.size == _MAX:
            data = _read_plp(reader)
            return None if data is None else _decode(code, data, info)
        size = reader.unpack("<H")
        return None if size == _USHORT_NULL else _decode(code, reader.take(size), info)
    if code in (TEXT, NTEXT, IMAGE):  # as an RPC parameter: a length (-1 for NULL), no text pointer
        size = reader.unpack("<i")
        return None if size < 0 else _decode(code, reader.take(size), info)
    if code == XML:
        data = _read_plp(reader)
        return None if data is None else data.decode("utf-16-le", errors="replace")
    raise ProtocolError(f"parameter type {code:#x} is not supported")


def _read_plp(reader: Reader) -> bytes | None:
    total = reader.unpack("<Q")
    if total == _PLP_NULL:
        return None
    parts = []
    while True:
        size = reader.unpack("<I")
        if size == 0:
            break
        parts.append(reader.take(size))
    return b"".join(parts)


def _scaled_time(data: bytes, scale: int) -> datetime.time:
    ticks = int.from_bytes(data, "little")
    microseconds = ticks * 10**6 // 10**scale
    seconds, micro = divmod(microseconds, 10**6)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return datetime.time(hour % 24, minute, second, micro)


def _time_length(scale: int) -> int:
    return 3 if scale <= 2 else 4 if scale <= 4 else 5


def _decode(code: int, data: bytes, info: ParamType) -> Any:
    if code in (INT1,) or (code == INTN and len(data) == 1):
        return data[0]
    if code in (INT2, INT4, INT8, INTN):
        return int.from_bytes(data, "little", signed=True)
    if code in (BIT, BITN):
        return bool(data[0])
    if code in (FLT4, FLT8, FLTN):
        return struct.unpack("<f" if len(data) == 4 else "<d", data)[0]
    if code in (MONEY, MONEY4, MONEYN):
        if len(data) == 4:
            raw = struct.unpack("<i", data)[0]
        else:
            high, low = struct.unpack("<iI", data)
            raw = (high << 32) | low
        return decimal.Decimal(raw).scaleb(-4, context=_WIDE)
    if code in (DECIMAL, NUMERIC, DECIMALN, NUMERICN):
        magnitude = int.from_bytes(data[1:], "little")
        return decimal.Decimal(magnitude if data[0] == 1 else -magnitude).scaleb(-info.scale, context=_WIDE)
    if code in (DATETIME, DATETIM4, DATETIMN):
        if len(data) == 4:
            days, minutes = struct.unpack("<HH", data)
            return _DATETIME_ZERO + datetime.timedelta(days=days, minutes=minutes)
        days, ticks = struct.unpack("<iI", data)
        return _DATETIME_ZERO + datetime.timedelta(days=days, milliseconds=round(ticks * 10 / 3))
    if code == DATEN:
        return _DATE_ZERO + datetime.timedelta(days=int.from_bytes(data, "little"))
    if code == TIMEN:
        return _scaled_time(data, info.scale)
    if code in (DATETIME2N, DATETIMEOFFSETN):
        length = _time_length(info.scale)
        time = _scaled_time(data[:length], info.scale)
        date = _DATE_ZERO + datetime.timedelta(days=int.from_bytes(data[length:length + 3], "little"))
        value = datetime.datetime.combine(date, time)
        if code == DATETIMEOFFSETN:
            minutes = struct.unpack("<h", data[length + 3:length + 5])[0]
            zone = datetime.timezone(datetime.timedelta(minutes=minutes))
            return value.replace(tzinfo=datetime.UTC).astimezone(zone)
        return value
    if code == GUID:
        return uuid.UUID(bytes_le=data)
    if code in (NVARCHAR, NCHAR, NTEXT):
        return data.decode("utf-16-le", errors="replace")
    if code in (BIGVARCHR, BIGCHAR, CHAR, VARCHAR, TEXT):
        return data.decode("cp1252", errors="replace")
    if code in (BIGVARBIN, BIGBINARY, BINARY, VARBINARY, IMAGE):
        return bytes(data)
    raise ProtocolError(f"parameter type {code:#x} is not supported")


def encode_param_value(value: Any) -> tuple[ColumnType, bytes]:
    """TYPE_INFO and value of an output parameter (RETURNVALUE): the handles of sp_prepare and friends."""
    if value is None or isinstance(value, int):
        column = ColumnType("int")
        return column, encode_value(column, value)
    column = ColumnType("nvarchar")
    return column, encode_value(column, value)
