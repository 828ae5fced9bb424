"""PostgreSQL frontend/backend protocol v3: framing, backend message builders, frontend parsers.

Only bytes live here: no sockets, no SQL. Every frontend parser checks lengths and
terminators and raises :class:`ProtocolViolation` (SQLSTATE 08P01) on anything malformed, so a
hostile byte stream ends its own connection with an error, never the server.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

#: Startup-phase request codes (the "version" field of the first packet).
PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102

#: The startup packet is small; anything bigger is not a PostgreSQL client.
MAX_STARTUP_BYTES = 10_000

#: Frontend message types accepted after authentication.
FRONTEND_TYPES = frozenset(b"QPBDESHCXfcd")


class ProtocolViolation(Exception):
    """The client broke the protocol; the connection is closed after an ErrorResponse (08P01)."""

    sqlstate = "08P01"


class ClientGone(Exception):
    """The client closed its end (EOF mid-stream or between messages)."""


# ---------------------------------------------------------------------------------------------
# Reading frames


async def read_exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError as error:
        raise ClientGone("the client closed the connection") from error
    except (ConnectionError, OSError) as error:
        raise ClientGone(str(error)) from error


async def read_startup_packet(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """``(code, payload)`` of the untyped first packet (StartupMessage, SSLRequest, CancelRequest)."""
    (length,) = struct.unpack("!i", await read_exactly(reader, 4))
    if length < 8 or length > MAX_STARTUP_BYTES:
        raise ProtocolViolation(f"invalid startup packet length {length}")
    body = await read_exactly(reader, length - 4)
    (code,) = struct.unpack("!i", body[:4])
    return code, body[4:]


async def read_message(reader: asyncio.StreamReader, max_bytes: int) -> tuple[int, bytes]:
    """``(type byte, payload)`` of one typed frontend message, refusing oversized ones."""
    header = await read_exactly(reader, 5)
    kind = header[0]
    (length,) = struct.unpack("!i", header[1:])
    if length < 4:
        raise ProtocolViolation(f"invalid message length {length}")
    if length - 4 > max_bytes:
        raise ProtocolViolation(
            f"message of {length - 4} bytes exceeds the server's limit of {max_bytes} bytes"
        )
    return kind, await read_exactly(reader, length - 4)


# ---------------------------------------------------------------------------------------------
# Parsing payloads


class Payload:
    """A cursor over one message's payload with checked reads."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ProtocolViolation("message is shorter than its contents say")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def int16(self) -> int:
        return int(struct.unpack("!h", self._take(2))[0])

    def int32(self) -> int:
        return int(struct.unpack("!i", self._take(4))[0])

    def uint32(self) -> int:
        return int(struct.unpack("!I", self._take(4))[0])

    def byte(self) -> int:
        return self._take(1)[0]

    def cstring(self) -> str:
        end = self.data.find(b"\0", self.pos)
        if end < 0:
            raise ProtocolViolation("a string in the message is not terminated")
        raw = self.data[self.pos : end]
        self.pos = end + 1
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ProtocolViolation("invalid UTF-8 in a message string") from error

    def raw(self, size: int) -> bytes:
        return self._take(size)

    def rest(self) -> bytes:
        return self._take(len(self.data) - self.pos)

    def end(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolViolation("message is longer than its contents")


def parse_startup_parameters(payload: bytes) -> dict[str, str]:
    """The name/value pairs of a StartupMessage (after the version code)."""
    cursor = Payload(payload)
    params: dict[str, str] = {}
    while True:
        name = cursor.cstring()
        if not name:
            break
        params[name] = cursor.cstring()
    cursor.end()
    return params


@dataclass
class ParseMessage:
    statement: str
    query: str
    param_oids: list[int]


@dataclass
class BindMessage:
    portal: str
    statement: str
    param_formats: list[int]
    params: list[bytes | None]
    result_formats: list[int]


@dataclass
class DescribeMessage:
    kind: str  # "S" statement or "P" portal
    name: str


@dataclass
class ExecuteMessage:
    portal: str
    max_rows: int


@dataclass
class CloseMessage:
    kind: str
    name: str


def _formats(values: list[int], what: str) -> list[int]:
    for value in values:
        if value not in (0, 1):
            raise ProtocolViolation(f"invalid {what} format code {value}")
    return values


def parse_query(data: bytes) -> str:
    cursor = Payload(data)
    text = cursor.cstring()
    cursor.end()
    return text


def parse_parse(data: bytes) -> ParseMessage:
    cursor = Payload(data)
    statement = cursor.cstring()
    query = cursor.cstring()
    count = cursor.int16()
    if count < 0:
        raise ProtocolViolation("negative parameter count")
    oids = [cursor.uint32() for _ in range(count)]
    cursor.end()
    return ParseMessage(statement, query, oids)


def parse_bind(data: bytes) -> BindMessage:
    cursor = Payload(data)
    portal = cursor.cstring()
    statement = cursor.cstring()
    format_count = cursor.int16()
    if format_count < 0:
        raise ProtocolViolation("negative format count")
    param_formats = _formats([cursor.int16() for _ in range(format_count)], "parameter")
    param_count = cursor.int16()
    if param_count < 0:
        raise ProtocolViolation("negative parameter count")
    params: list[bytes | None] = []
    for _ in range(param_count):
        size = cursor.int32()
        if size == -1:
            params.append(None)
        elif size < 0:
            raise ProtocolViolation(f"invalid parameter length {size}")
        else:
            params.append(cursor.raw(size))
    result_count = cursor.int16()
    if result_count < 0:
        raise ProtocolViolation("negative result format count")
    result_formats = _formats([cursor.int16() for _ in range(result_count)], "result")
    cursor.end()
    if format_count not in (0, 1, param_count):
        raise ProtocolViolation(f"{format_count} parameter formats for {param_count} parameters")
    return BindMessage(portal, statement, param_formats, params, result_formats)


def parse_describe_or_close(data: bytes, close: bool = False) -> DescribeMessage | CloseMessage:
    cursor = Payload(data)
    kind = chr(cursor.byte())
    name = cursor.cstring()
    cursor.end()
    if kind not in ("S", "P"):
        raise ProtocolViolation(f"invalid {'Close' if close else 'Describe'} target {kind!r}")
    return CloseMessage(kind, name) if close else DescribeMessage(kind, name)


def parse_execute(data: bytes) -> ExecuteMessage:
    cursor = Payload(data)
    portal = cursor.cstring()
    max_rows = cursor.int32()
    cursor.end()
    return ExecuteMessage(portal, max(max_rows, 0))


def parse_sasl_initial(data: bytes) -> tuple[str, bytes]:
    cursor = Payload(data)
    mechanism = cursor.cstring()
    size = cursor.int32()
    response = b"" if size == -1 else cursor.raw(size)
    cursor.end()
    return mechanism, response


def parse_password(data: bytes) -> str:
    return parse_query(data)


def parse_cancel(payload: bytes) -> tuple[int, int]:
    """``(process id, secret key)`` of a CancelRequest."""
    if len(payload) != 8:
        raise ProtocolViolation("invalid CancelRequest")
    pid, key = struct.unpack("!ii", payload)
    return pid, key


# ---------------------------------------------------------------------------------------------
# Building backend messages


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def cstr(text: str) -> bytes:
    return text.replace("\0", "").encode("utf-8") + b"\0"


def authentication_ok() -> bytes:
    return message(b"R", struct.pack("!i", 0))


def authentication_cleartext() -> bytes:
    return message(b"R", struct.pack("!i", 3))


def authentication_sasl(mechanisms: Sequence[str]) -> bytes:
    return message(b"R", struct.pack("!i", 10) + b"".join(cstr(m) for m in mechanisms) + b"\0")


def authentication_sasl_continue(data: bytes) -> bytes:
    return message(b"R", struct.pack("!i", 11) + data)


def authentication_sasl_final(data: bytes) -> bytes:
    return message(b"R", struct.pack("!i", 12) + data)


def parameter_status(name: str, value: str) -> bytes:
    return message(b"S", cstr(name) + cstr(value))


def backend_key_data(pid: int, key: int) -> bytes:
    return message(b"K", struct.pack("!ii", pid, key))


def negotiate_protocol_version(newest_minor: int, unrecognized: Sequence[str]) -> bytes:
    body = struct.pack("!ii", newest_minor, len(unrecognized)) + b"".join(cstr(o) for o in unrecognized)
    return message(b"v", body)


def ready_for_query(status: str) -> bytes:
    return message(b"Z", status.encode("ascii"))


@dataclass(frozen=True)
class Column:
    """What RowDescription says about one column."""

    name: str
    type_oid: int
    type_size: int
    table_oid: int = 0
    column_number: int = 0
    type_modifier: int = -1
    format: int = 0


def row_description(columns: Sequence[Column]) -> bytes:
    parts = [struct.pack("!h", len(columns))]
    for column in columns:
        parts.append(cstr(column.name))
        parts.append(
            struct.pack(
                "!IhIhih",
                column.table_oid,
                column.column_number,
                column.type_oid,
                column.type_size,
                column.type_modifier,
                column.format,
            )
        )
    return message(b"T", b"".join(parts))


def data_row(values: Sequence[bytes | None]) -> bytes:
    parts = [struct.pack("!h", len(values))]
    for value in values:
        if value is None:
            parts.append(b"\xff\xff\xff\xff")
        else:
            parts.append(struct.pack("!i", len(value)))
            parts.append(value)
    return message(b"D", b"".join(parts))


def parameter_description(oids: Sequence[int]) -> bytes:
    return message(b"t", struct.pack("!h", len(oids)) + b"".join(struct.pack("!I", o) for o in oids))


def command_complete(tag: str) -> bytes:
    return message(b"C", cstr(tag))


def empty_query_response() -> bytes:
    return message(b"I")


def parse_complete() -> bytes:
    return message(b"1")


def bind_complete() -> bytes:
    return message(b"2")


def close_complete() -> bytes:
    return message(b"3")


def no_data() -> bytes:
    return message(b"n")


def portal_suspended() -> bytes:
    return message(b"s")


def copy_out_response(column_count: int, binary: bool = False) -> bytes:
    fmt = 1 if binary else 0
    body = struct.pack("!bh", fmt, column_count) + struct.pack("!h", fmt) * column_count
    return message(b"H", body)


def copy_data(data: bytes) -> bytes:
    return message(b"d", data)


def copy_done() -> bytes:
    return message(b"c")


@dataclass
class Report:
    """The fields of an ErrorResponse or NoticeResponse."""

    severity: str
    sqlstate: str
    message: str
    detail: str | None = None
    hint: str | None = None
    position: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def encode(self, kind: bytes) -> bytes:
        fields = [
            (b"S", self.severity),
            (b"V", self.severity),
            (b"C", self.sqlstate),
            (b"M", self.message),
        ]
        if self.detail:
            fields.append((b"D", self.detail))
        if self.hint:
            fields.append((b"H", self.hint))
        if self.position:
            fields.append((b"P", str(self.position)))
        body = b"".join(code + cstr(value) for code, value in fields) + b"\0"
        return message(kind, body)


def error_response(report: Report) -> bytes:
    return report.encode(b"E")


def notice_response(report: Report) -> bytes:
    return report.encode(b"N")
