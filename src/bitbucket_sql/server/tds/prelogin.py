"""PRELOGIN: the first message both ways, where client and server agree on encryption.

Options are (token, offset, length) entries ending with 0xFF, then their data. The server's
answer picks one encryption mode from the client's ([MS-TDS] 2.2.6.5):

========================  =========================================================
client says               server answers
========================  =========================================================
ENCRYPT_ON / ENCRYPT_REQ  ENCRYPT_ON: the whole connection is TLS
ENCRYPT_OFF               ENCRYPT_OFF: TLS for LOGIN7 only (the password); or
                          ENCRYPT_REQ when the operator requires TLS for everything
ENCRYPT_NOT_SUP           refused (the password would travel in clear), unless the operator
                          allows clear-text login and the client is on loopback
========================  =========================================================
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .packets import ProtocolError

VERSION = 0x00
ENCRYPTION = 0x01
INSTOPT = 0x02
THREADID = 0x03
MARS = 0x04
TERMINATOR = 0xFF

ENCRYPT_OFF = 0x00
ENCRYPT_ON = 0x01
ENCRYPT_NOT_SUP = 0x02
ENCRYPT_REQ = 0x03

#: the version PRELOGIN and LOGINACK report: SQL Server 2019 (15.0), which clients accept everywhere
SERVER_VERSION = (15, 0, 2000)

_ENTRY = struct.Struct(">BHH")


@dataclass
class Prelogin:
    encryption: int = ENCRYPT_NOT_SUP
    mars: bool = False
    instance: str = ""


def parse(payload: bytes) -> Prelogin:
    """The client's options (unknown ones are ignored, as the specification says)."""
    options: dict[int, bytes] = {}
    position = 0
    while True:
        if position >= len(payload):
            raise ProtocolError("PRELOGIN without its terminator")
        token = payload[position]
        if token == TERMINATOR:
            break
        if position + _ENTRY.size > len(payload):
            raise ProtocolError("truncated PRELOGIN option list")
        token, offset, length = _ENTRY.unpack_from(payload, position)
        if offset + length > len(payload):
            raise ProtocolError(f"PRELOGIN option {token} points outside the message")
        options[token] = payload[offset:offset + length]
        position += _ENTRY.size
    result = Prelogin()
    if ENCRYPTION in options and options[ENCRYPTION]:
        result.encryption = options[ENCRYPTION][0] & 0x0F  # the high bits are client certificate flags
    if MARS in options and options[MARS]:
        result.mars = options[MARS][0] == 1
    if INSTOPT in options:
        result.instance = options[INSTOPT].split(b"\x00", 1)[0].decode("latin-1")
    return result


def choose_encryption(client: int, *, require_tls: bool, cleartext_allowed: bool) -> int | None:
    """The mode the server answers, or None when the client must be refused."""
    if client in (ENCRYPT_ON, ENCRYPT_REQ):
        return ENCRYPT_ON
    if client == ENCRYPT_OFF:
        return ENCRYPT_REQ if require_tls else ENCRYPT_OFF
    if require_tls or not cleartext_allowed:
        return None
    return ENCRYPT_NOT_SUP


def build(encryption: int) -> bytes:
    """The server's PRELOGIN answer."""
    major, minor, build_number = SERVER_VERSION
    options = [
        (VERSION, struct.pack(">BBHH", major, minor, build_number, 0)),
        (ENCRYPTION, bytes([encryption])),
        (INSTOPT, b"\x00"),
        (THREADID, b""),
        (MARS, b"\x00"),
    ]
    offset = len(options) * _ENTRY.size + 1
    header = bytearray()
    data = bytearray()
    for token, value in options:
        header += _ENTRY.pack(token, offset + len(data), len(value))
        data += value
    return bytes(header) + bytes([TERMINATOR]) + bytes(data)
