"""TDS packets: an 8-byte header (type, status, length, SPID, packet id, window) before each piece
of a message; a message is the payloads of packets up to the one whose status has END_OF_MESSAGE.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

HEADER = struct.Struct(">BBHHBB")
HEADER_SIZE = HEADER.size

# packet types ([MS-TDS] 2.2.3.1.1)
SQL_BATCH = 0x01
RPC = 0x03
TABULAR_RESULT = 0x04
ATTENTION = 0x06
BULK_LOAD = 0x07
TRANSACTION_MANAGER = 0x0E
LOGIN7 = 0x10
SSPI = 0x11
PRELOGIN = 0x12

STATUS_EOM = 0x01
STATUS_RESET_CONNECTION = 0x08
STATUS_RESET_CONNECTION_SKIP_TRAN = 0x10

DEFAULT_PACKET_SIZE = 4096
MIN_PACKET_SIZE = 512
MAX_PACKET_SIZE = 32767


class ProtocolError(Exception):
    """The client broke the protocol; the connection is closed (after an ERROR token where possible)."""


@dataclass
class PacketHeader:
    type: int
    status: int
    length: int
    spid: int
    packet_id: int

    @classmethod
    def parse(cls, data: bytes) -> PacketHeader:
        kind, status, length, spid, packet_id, _window = HEADER.unpack(data)
        if length < HEADER_SIZE:
            raise ProtocolError(f"packet length {length} is shorter than its header")
        return cls(kind, status, length, spid, packet_id)

    @property
    def last(self) -> bool:
        return bool(self.status & STATUS_EOM)


def split(kind: int, payload: bytes, packet_size: int, spid: int = 0) -> Iterator[bytes]:
    """``payload`` as packets of at most ``packet_size`` bytes (header included), the last marked EOM."""
    room = packet_size - HEADER_SIZE
    offset = 0
    packet_id = 1
    while True:
        chunk = payload[offset:offset + room]
        offset += len(chunk)
        last = offset >= len(payload)
        status = STATUS_EOM if last else 0
        yield HEADER.pack(kind, status, HEADER_SIZE + len(chunk), spid, packet_id % 256, 0) + chunk
        packet_id += 1
        if last:
            return


def clamp_packet_size(requested: int) -> int:
    """The packet size the server uses for a client's request (0: the default)."""
    if requested <= 0:
        return DEFAULT_PACKET_SIZE
    return max(MIN_PACKET_SIZE, min(MAX_PACKET_SIZE, requested))
