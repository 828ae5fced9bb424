"""The byte stream under TDS packets: clear, or TLS whose handshake travels inside PRELOGIN packets.

TDS 7.x negotiates encryption in PRELOGIN, then carries the TLS handshake records as the
payload of PRELOGIN packets; once the handshake is done, TLS records flow on the socket
directly and the TDS packets travel inside them. With encryption "off" only the LOGIN7 message
is encrypted and the stream is clear again after it. ``ssl``'s MemoryBIO does the TLS: this
module only moves bytes between the BIOs, the packets and the socket.
"""

from __future__ import annotations

import asyncio
import ssl

from . import packets
from .packets import PacketHeader, ProtocolError

_READ_CHUNK = 65536


class Channel:
    """Reads whole TDS messages and writes packets, over the socket or over TLS."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, max_message_bytes: int) -> None:
        self._reader = reader
        self._writer = writer
        self._max_message = max_message_bytes
        self._tls: ssl.SSLObject | None = None
        self._incoming: ssl.MemoryBIO | None = None
        self._outgoing: ssl.MemoryBIO | None = None
        self._plain = bytearray()  # decrypted bytes not yet consumed
        self._pushback = bytearray()  # clear bytes read ahead (the first byte, to tell TDS 8 from 7.x)
        self.packet_size = packets.DEFAULT_PACKET_SIZE

    @property
    def encrypted(self) -> bool:
        return self._tls is not None

    # --- reading ----------------------------------------------------------------------------
    async def peek_byte(self) -> int:
        """The first byte of the stream, left to be read again (0x16 opens TLS: TDS 8 strict encryption)."""
        if not self._pushback:
            self._pushback += await self._reader.readexactly(1)
        return self._pushback[0]

    async def _read_raw(self, limit: int) -> bytes:
        if self._pushback:
            data = bytes(self._pushback[:limit])
            del self._pushback[:limit]
            return data
        return await self._reader.read(limit)

    async def _read_exactly(self, count: int) -> bytes:
        if self._tls is None:
            if self._pushback:
                head = await self._read_raw(count)
                return head + (await self._reader.readexactly(count - len(head)) if len(head) < count else b"")
            return await self._reader.readexactly(count)
        while len(self._plain) < count:
            await self._fill_tls()
        data = bytes(self._plain[:count])
        del self._plain[:count]
        return data

    async def _fill_tls(self) -> None:
        assert self._tls is not None and self._incoming is not None
        while True:
            try:
                self._plain += self._tls.read(_READ_CHUNK)
                return
            except ssl.SSLWantReadError:
                data = await self._read_raw(_READ_CHUNK)
                if not data:
                    raise asyncio.IncompleteReadError(b"", None) from None
                self._incoming.write(data)
            except ssl.SSLError as error:
                raise ProtocolError(f"TLS error: {error.reason or error}") from None

    async def read_packet(self) -> tuple[PacketHeader, bytes]:
        header = PacketHeader.parse(await self._read_exactly(packets.HEADER_SIZE))
        body = await self._read_exactly(header.length - packets.HEADER_SIZE)
        return header, body

    async def read_message(self, first: tuple[PacketHeader, bytes] | None = None) -> tuple[int, int, bytes]:
        """(type, status of the first packet, payload) of the next whole message."""
        header, body = first or await self.read_packet()
        kind, status = header.type, header.status
        parts = [body]
        size = len(body)
        while not header.last:
            header, body = await self.read_packet()
            if header.type != kind:
                raise ProtocolError(f"packet of type {header.type:#x} inside a message of type {kind:#x}")
            size += len(body)
            if size > self._max_message:
                raise ProtocolError(f"message larger than the server's limit of {self._max_message} bytes")
            parts.append(body)
        return kind, status, b"".join(parts)

    # --- writing ----------------------------------------------------------------------------
    def write_message(self, kind: int, payload: bytes) -> None:
        for packet in packets.split(kind, payload, self.packet_size):
            self._write_raw(packet)

    def _write_raw(self, data: bytes) -> None:
        if self._tls is None:
            self._writer.write(data)
            return
        assert self._outgoing is not None
        self._tls.write(data)
        self._writer.write(self._outgoing.read())

    async def drain(self) -> None:
        await self._writer.drain()

    # --- TLS --------------------------------------------------------------------------------
    async def start_tls(self, context: ssl.SSLContext) -> None:
        """Do the server side of a TLS handshake carried in PRELOGIN packets, then encrypt the stream."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_side=True)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pending = outgoing.read()
                if pending:
                    self.write_message(packets.PRELOGIN, pending)
                    await self.drain()
                header, body = await self.read_packet()
                if header.type != packets.PRELOGIN:
                    raise ProtocolError(f"expected the TLS handshake in PRELOGIN packets, got type {header.type:#x}") from None
                incoming.write(body)
            except ssl.SSLError as error:
                pending = outgoing.read()
                if pending:  # the alert, so that the client can say why
                    self.write_message(packets.PRELOGIN, pending)
                    await self.drain()
                raise ProtocolError(f"TLS handshake failed: {error.reason or error}") from None
        pending = outgoing.read()
        if pending:
            self.write_message(packets.PRELOGIN, pending)
            await self.drain()
        self._tls, self._incoming, self._outgoing = tls, incoming, outgoing

    async def start_tls_direct(self, context: ssl.SSLContext) -> None:
        """TDS 8 (strict encryption): TLS first, on the socket itself, before any TDS packet."""
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, outgoing, server_side=True)
        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._writer.write(outgoing.read())
                await self._writer.drain()
                data = await self._read_raw(_READ_CHUNK)
                if not data:
                    raise asyncio.IncompleteReadError(b"", None) from None
                incoming.write(data)
            except ssl.SSLError as error:
                self._writer.write(outgoing.read())
                raise ProtocolError(f"TLS handshake failed: {error.reason or error}") from None
        self._writer.write(outgoing.read())
        await self._writer.drain()
        self._tls, self._incoming, self._outgoing = tls, incoming, outgoing

    def stop_tls(self) -> None:
        """Back to the clear stream (encryption negotiated for the login only)."""
        if self._incoming is not None and self._incoming.pending:
            raise ProtocolError("data after LOGIN7 inside the login-only TLS session")
        self._tls = self._incoming = self._outgoing = None
        self._plain.clear()

    def close(self) -> None:
        self._writer.close()
