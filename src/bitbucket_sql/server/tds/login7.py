"""LOGIN7: who connects, to which database, with which TDS version and packet size.

The password is "obfuscated" (each byte's nibbles swapped, then XOR 0xA5): that hides nothing,
which is why the connection only accepts LOGIN7 inside TLS unless the operator allowed
clear-text logins on loopback (see :mod:`.prelogin`). The password is kept in a
:class:`Secret` whose repr never shows it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from .packets import ProtocolError

TDS_7_0 = 0x70000000
TDS_7_1 = 0x71000001
TDS_7_2 = 0x72090002
TDS_7_3A = 0x730A0003
TDS_7_3B = 0x730B0003
TDS_7_4 = 0x74000004

_FIXED = struct.Struct("<IIIIII BBBB II")
_OFFSETS_START = 36
#: the (offset, length) pairs after the fixed part, in order
_STRING_FIELDS = ("host_name", "user_name", "password", "app_name", "server_name", "extension",
                  "library_name", "language", "database")
_INTEGRATED_SECURITY = 0x80  # OptionFlags2.fIntSecurity
_EXTENSION = 0x10  # OptionFlags3.fExtension


class Secret:
    """A password that never shows itself in reprs, logs or tracebacks."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


@dataclass
class Login:
    tds_version: int
    packet_size: int
    client_pid: int
    host_name: str
    user_name: str
    password: Secret
    app_name: str
    server_name: str
    library_name: str
    language: str
    database: str
    integrated_security: bool
    #: the client listed feature extensions (session recovery, UTF-8...): it gets an empty FEATUREEXTACK
    feature_extensions: bool = False


def deobfuscate(data: bytes) -> str:
    """The clear password of LOGIN7's obfuscated UCS-2 bytes."""
    clear = bytes((((byte ^ 0xA5) << 4) & 0xF0) | (((byte ^ 0xA5) >> 4) & 0x0F) for byte in data)
    return clear.decode("utf-16-le", errors="replace")


def obfuscate(password: str) -> bytes:
    """The client side of :func:`deobfuscate` (tests)."""
    data = password.encode("utf-16-le")
    return bytes(((((byte << 4) & 0xF0) | ((byte >> 4) & 0x0F)) ^ 0xA5) for byte in data)


def parse(payload: bytes) -> Login:
    """The LOGIN7 record; ProtocolError when it is malformed."""
    if len(payload) < _OFFSETS_START + 4 * len(_STRING_FIELDS):
        raise ProtocolError("LOGIN7 is too short")
    (length, version, packet_size, _prog_version, pid, _connection_id, _flags1, flags2, _type_flags,
     flags3, _timezone, _lcid) = _FIXED.unpack_from(payload, 0)
    if length > len(payload):
        raise ProtocolError("LOGIN7 is shorter than its declared length")
    values: dict[str, bytes] = {}
    for index, name in enumerate(_STRING_FIELDS):
        offset, chars = struct.unpack_from("<HH", payload, _OFFSETS_START + 4 * index)
        end = offset + 2 * chars
        if name == "extension":
            continue  # feature extensions (session recovery, column encryption...): not supported, ignored
        if chars and end > len(payload):
            raise ProtocolError(f"LOGIN7 {name} points outside the message")
        values[name] = payload[offset:end] if chars else b""

    def text(name: str) -> str:
        return values[name].decode("utf-16-le", errors="replace")

    return Login(
        tds_version=version,
        packet_size=packet_size,
        client_pid=pid,
        host_name=text("host_name"),
        user_name=text("user_name"),
        password=Secret(deobfuscate(values["password"])),
        app_name=text("app_name"),
        server_name=text("server_name"),
        library_name=text("library_name"),
        language=text("language"),
        database=text("database"),
        integrated_security=bool(flags2 & _INTEGRATED_SECURITY),
        feature_extensions=bool(flags3 & _EXTENSION) and version >= TDS_7_4,
    )


def negotiated_version(client: int) -> int:
    """The TDS version the server answers: the client's, at most 7.4 and at least 7.2."""
    if client >= TDS_7_4:
        return TDS_7_4
    if client in (TDS_7_3A, TDS_7_3B, TDS_7_2):
        return client
    if client > TDS_7_3B:
        return TDS_7_3B
    return TDS_7_2
