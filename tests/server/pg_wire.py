"""A minimal, deliberately dumb PostgreSQL wire client for protocol-level tests (imported by name).

Real drivers hide the message flow; these tests need to send exact messages (Execute with a row
limit, broken lengths, messages out of order) and to see every reply.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from dataclasses import dataclass

from scramp import ScramClient


def msg(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def cstr(text: str) -> bytes:
    return text.encode() + b"\0"


def startup_packet(user: str, database: str) -> bytes:
    body = struct.pack("!i", 196608) + cstr("user") + cstr(user) + cstr("database") + cstr(database) + b"\0"
    return struct.pack("!i", len(body) + 4) + body


def parse(name: str, sql: str, oids: tuple[int, ...] = ()) -> bytes:
    return msg(
        b"P",
        cstr(name) + cstr(sql) + struct.pack("!h", len(oids)) + b"".join(struct.pack("!I", o) for o in oids),
    )


def bind(
    portal: str,
    statement: str,
    params: tuple[bytes | None, ...] = (),
    result_format: int = 0,
    param_format: int = 0,
) -> bytes:
    body = (
        cstr(portal) + cstr(statement) + struct.pack("!hh", 1, param_format) + struct.pack("!h", len(params))
    )
    for value in params:
        body += struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value
    return msg(b"B", body + struct.pack("!hh", 1, result_format))


def describe(kind: str, name: str) -> bytes:
    return msg(b"D", kind.encode() + cstr(name))


def execute(portal: str, max_rows: int = 0) -> bytes:
    return msg(b"E", cstr(portal) + struct.pack("!i", max_rows))


def close(kind: str, name: str) -> bytes:
    return msg(b"C", kind.encode() + cstr(name))


SYNC = msg(b"S")
FLUSH = msg(b"H")
TERMINATE = msg(b"X")


def query(sql: str) -> bytes:
    return msg(b"Q", cstr(sql))


@dataclass
class Reply:
    kind: str
    payload: bytes

    @property
    def sqlstate(self) -> str:
        fields = dict((part[:1].decode(), part[1:].decode()) for part in self.payload.split(b"\0") if part)
        return fields.get("C", "")

    @property
    def message(self) -> str:
        fields = dict((part[:1].decode(), part[1:].decode()) for part in self.payload.split(b"\0") if part)
        return fields.get("M", "")

    def values(self) -> list[bytes | None]:
        """The columns of a DataRow."""
        (count,) = struct.unpack("!h", self.payload[:2])
        pos, out = 2, []
        for _ in range(count):
            (size,) = struct.unpack("!i", self.payload[pos : pos + 4])
            pos += 4
            if size < 0:
                out.append(None)
            else:
                out.append(self.payload[pos : pos + size])
                pos += size
        return out


class WireClient:
    def __init__(self, host: str, port: int, timeout: float = 20) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        self.notices: list[Reply] = []

    def send(self, *messages: bytes) -> None:
        self.sock.sendall(b"".join(messages))

    def _read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def reply(self) -> Reply:
        """The next message; NoticeResponses (which may come at any time) are set aside in ``notices``."""
        while True:
            header = self._read(5)
            (length,) = struct.unpack("!i", header[1:])
            reply = Reply(chr(header[0]), self._read(length - 4))
            if reply.kind != "N":
                return reply
            self.notices.append(reply)

    def until(self, kind: str = "Z") -> list[Reply]:
        """Replies up to and including the first of ``kind`` (ReadyForQuery by default)."""
        replies = []
        while True:
            reply = self.reply()
            replies.append(reply)
            if reply.kind == kind:
                return replies

    def login(self, user: str, password: str, database: str) -> list[Reply]:
        self.send(startup_packet(user, database))
        request = self.reply()
        assert request.kind == "R" and struct.unpack("!i", request.payload[:4])[0] == 10, request
        client = ScramClient(["SCRAM-SHA-256"], user, password)
        first = client.get_client_first().encode()
        self.send(msg(b"p", cstr("SCRAM-SHA-256") + struct.pack("!i", len(first)) + first))
        challenge = self.reply()
        if challenge.kind == "E":
            return [challenge]
        client.set_server_first(challenge.payload[4:].decode())
        self.send(msg(b"p", client.get_client_final().encode()))
        return self.until("Z") if self._peek_ok() else [self.reply()]

    def _peek_ok(self) -> bool:
        reply = self.reply()
        if reply.kind == "E":
            self.buffer = msg(b"E", reply.payload) + self.buffer
            return False
        self.buffer = msg(reply.kind.encode(), reply.payload) + self.buffer
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(TERMINATE)
        self.sock.close()


def kinds(replies: list[Reply]) -> str:
    return "".join(reply.kind for reply in replies)
