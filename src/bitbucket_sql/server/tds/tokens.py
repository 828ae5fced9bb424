"""The server's token stream ([MS-TDS] 2.2.7): each function returns one token's bytes."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from . import datatypes
from .datatypes import ColumnType

COLMETADATA = 0x81
ERROR = 0xAA
INFO = 0xAB
RETURNVALUE = 0xAC
LOGINACK = 0xAD
ENVCHANGE = 0xE3
ROW = 0xD1
NBCROW = 0xD2
RETURNSTATUS = 0x79
FEATUREEXTACK = 0xAE
DONE = 0xFD
DONEPROC = 0xFE
DONEINPROC = 0xFF

DONE_FINAL = 0x00
DONE_MORE = 0x01
DONE_ERROR = 0x02
DONE_INXACT = 0x04
DONE_COUNT = 0x10
DONE_ATTN = 0x20

CMD_SELECT = 0xC1

ENV_DATABASE = 1
ENV_LANGUAGE = 2
ENV_PACKET_SIZE = 4
ENV_COLLATION = 7
ENV_BEGIN_TRANSACTION = 8
ENV_COMMIT_TRANSACTION = 9
ENV_ROLLBACK_TRANSACTION = 10
ENV_RESET_ACK = 18

SERVER_NAME = "bbsql"


def _utf16(text: str, max_units: int) -> bytes:
    """UTF-16 of ``text`` cut to ``max_units`` code units (never inside a surrogate pair)."""
    data = text.encode("utf-16-le")[:2 * max_units]
    if len(data) >= 2 and 0xD8 <= data[-1] <= 0xDB:  # a high surrogate without its pair
        data = data[:-2]
    return data


def b_varchar(text: str) -> bytes:
    data = _utf16(text, 255)
    return bytes([len(data) // 2]) + data


def us_varchar(text: str) -> bytes:
    data = _utf16(text, 32767)
    return struct.pack("<H", len(data) // 2) + data


def _with_length(token: int, body: bytes) -> bytes:
    return struct.pack("<BH", token, len(body)) + body


def loginack(tds_version: int, program: str, version: tuple[int, int, int]) -> bytes:
    major, minor, build = version
    body = bytes([1]) + struct.pack(">I", tds_version) + b_varchar(program) + bytes([major, minor, build >> 8, build & 0xFF])
    return _with_length(LOGINACK, body)


def envchange_text(kind: int, new: str, old: str) -> bytes:
    return _with_length(ENVCHANGE, bytes([kind]) + b_varchar(new) + b_varchar(old))


def envchange_bytes(kind: int, new: bytes, old: bytes) -> bytes:
    return _with_length(ENVCHANGE, bytes([kind, len(new)]) + new + bytes([len(old)]) + old)


def message(token: int, number: int, text: str, *, state: int = 1, severity: int = 16, procedure: str = "",
            line: int = 1) -> bytes:
    """An ERROR (severity > 10) or INFO token."""
    body = (struct.pack("<iBB", number, state, severity) + us_varchar(text) + b_varchar(SERVER_NAME)
            + b_varchar(procedure) + struct.pack("<i", line))
    return _with_length(token, body)


def error(number: int, text: str, *, severity: int = 16, state: int = 1, procedure: str = "") -> bytes:
    return message(ERROR, number, text, state=state, severity=severity, procedure=procedure)


def info(number: int, text: str, *, procedure: str = "") -> bytes:
    return message(INFO, number, text, severity=0, procedure=procedure)


def done(status: int = DONE_FINAL, rows: int = 0, *, token: int = DONE, command: int = 0) -> bytes:
    return struct.pack("<BHHQ", token, status, command, rows)


def colmetadata(names: Sequence[str], types: Sequence[ColumnType]) -> bytes:
    parts = [struct.pack("<BH", COLMETADATA, len(names))]
    for name, column in zip(names, types, strict=True):
        parts.append(struct.pack("<IH", 0, 0x0001))  # user type 0, nullable
        parts.append(datatypes.type_info(column))
        parts.append(b_varchar(name))
    return b"".join(parts)


def no_metadata() -> bytes:
    return struct.pack("<BH", COLMETADATA, 0xFFFF)


def row(types: Sequence[ColumnType], values: Sequence[Any], *, null_bitmap: bool) -> bytes:
    """ROW, or NBCROW (a bitmap instead of each NULL) when a value is NULL and the client reads it (7.3B+)."""
    if null_bitmap and any(value is None for value in values):
        bitmap = bytearray((len(values) + 7) // 8)
        parts = []
        for index, (column, value) in enumerate(zip(types, values, strict=True)):
            if value is None:
                bitmap[index // 8] |= 1 << (index % 8)
            else:
                parts.append(datatypes.encode_value(column, value))
        return bytes([NBCROW]) + bytes(bitmap) + b"".join(parts)
    return bytes([ROW]) + b"".join(datatypes.encode_value(column, value)
                                   for column, value in zip(types, values, strict=True))


def feature_ext_ack() -> bytes:
    """FEATUREEXTACK acknowledging none of the client's feature extensions (none is supported)."""
    return bytes([FEATUREEXTACK, 0xFF])


def return_status(value: int) -> bytes:
    return struct.pack("<Bi", RETURNSTATUS, value)


def return_value(ordinal: int, name: str, value: Any) -> bytes:
    column, encoded = datatypes.encode_param_value(value)
    return (struct.pack("<BH", RETURNVALUE, ordinal) + b_varchar(name) + bytes([0x01])
            + struct.pack("<IH", 0, 0x0001) + datatypes.type_info(column) + encoded)
