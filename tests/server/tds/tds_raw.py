"""A bare TDS byte stream for the robustness tests (hostile input, attention), written from [MS-TDS].

Only for a listener that allows clear-text logins on loopback: no TLS here. Real clients
(tsql, FreeTDS ODBC, pytds, pymssql, tedious) are what the other tests use.
"""

from __future__ import annotations

import socket
import struct

from bitbucket_sql.server.tds import login7, packets, prelogin


def packet(kind: int, payload: bytes, status: int = packets.STATUS_EOM) -> bytes:
    return struct.pack(">BBHHBB", kind, status, len(payload) + 8, 0, 1, 0) + payload


def prelogin_payload(encryption: int = prelogin.ENCRYPT_NOT_SUP) -> bytes:
    options = [(0, bytes(6)), (1, bytes([encryption])), (0xFF, b"")]
    offset = 5 * 2 + 1
    head = struct.pack(">BHH", 0, offset, 6) + struct.pack(">BHH", 1, offset + 6, 1) + b"\xff"
    return head + options[0][1] + options[1][1]


def login_payload(user: str, password: str, database: str) -> bytes:
    fields = ["host", user, None, "raw-test", "", "", "raw", "", database]
    data = bytearray()
    offsets = []
    base = 94
    for value in fields:
        encoded = login7.obfuscate(password) if value is None else value.encode("utf-16-le")
        offsets.append((base + len(data), len(encoded) // 2))
        data += encoded
    fixed = struct.pack("<IIIIII BBBB II", 0, login7.TDS_7_4, 4096, 0, 0, 0, 0xE0, 0x03, 0, 0, 0, 0x409)
    pairs = b"".join(struct.pack("<HH", offset, length) for offset, length in offsets)
    body = fixed + pairs + bytes(6) + struct.pack("<HHHHHHI", base + len(data), 0, base + len(data), 0,
                                                  base + len(data), 0, 0) + bytes(data)
    return struct.pack("<I", len(body)) + body[4:]


def batch_payload(sql: str) -> bytes:
    headers = struct.pack("<IIHQI", 22, 18, 2, 0, 1)
    return headers + sql.encode("utf-16-le")


class RawClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_message(self) -> bytes:
        """The payload of the next whole server message (b"" when the server closed)."""
        parts = []
        while True:
            header = self._exactly(8)
            if not header:
                return b"".join(parts)
            _kind, status, length = struct.unpack(">BBH", header[:4])
            parts.append(self._exactly(length - 8))
            if status & packets.STATUS_EOM:
                return b"".join(parts)

    def _exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            try:
                chunk = self.sock.recv(count - len(data))
            except ConnectionResetError:
                return b""
            if not chunk:
                return b""
            data += chunk
        return data

    def login(self, user: str, password: str, database: str) -> bytes:
        self.send(packet(packets.PRELOGIN, prelogin_payload()))
        self.read_message()
        self.send(packet(packets.LOGIN7, login_payload(user, password, database)))
        return self.read_message()

    def batch(self, sql: str) -> bytes:
        self.send(packet(packets.SQL_BATCH, batch_payload(sql)))
        return self.read_message()

    def close(self) -> None:
        self.sock.close()
