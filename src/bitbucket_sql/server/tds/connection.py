"""One TDS client from PRELOGIN to disconnect: encryption, login, requests, attention.

Requests run on the listener's thread pool; while one runs, the connection keeps reading so
that an ATTENTION packet cancels it (the reply is then a DONE with the attention bit, as the
protocol wants). Any protocol error closes this connection only; an idle connection is closed
after ``idle_timeout_s``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import json
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bitbucket_sql.server.auth import check_cleartext
from bitbucket_sql.server.config import READ_WRITE, ServerConfig

from . import login7, packets, prelogin, rpc, tokens
from .channel import Channel
from .datatypes import COLLATION
from .login7 import Login
from .packets import ProtocolError
from .results import Cancelled, DatabaseChanged, Event, Result, ReturnValue, TdsError
from .session import TdsSession

log = logging.getLogger("bitbucket_sql.server")
access_log = logging.getLogger("bitbucket_sql.server.access")

LOGGED_STATEMENT_CHARS = 500
#: the first byte of a TLS ClientHello record: a TDS 8 client (strict encryption) starts with TLS
TLS_HANDSHAKE_RECORD = 0x16
PROGRAM_NAME = "Microsoft SQL Server"

#: (database name, user, can_write, spid) -> session; raises LookupError for an unknown database
SessionOpener = Callable[[str, str, bool, int], TdsSession]


@dataclass
class TdsState:
    """What every TDS connection shares."""

    config: ServerConfig
    ssl_context: Any  # TLS 1.2 inside PRELOGIN (TDS 7.x)
    strict_context: Any  # TLS first (TDS 8 strict encryption)
    open_session: SessionOpener
    executor: Any
    allow_cleartext_login: bool = False
    connections: dict[int, TdsConnection] = field(default_factory=dict)
    stopping: bool = False
    _next_spid: int = 51

    def new_spid(self) -> int:
        spid = self._next_spid
        self._next_spid = 51 if spid >= 32000 else spid + 1
        return spid


class LoginFailed(Exception):
    def __init__(self, number: int, message: str, severity: int = 14) -> None:
        super().__init__(message)
        self.number = number
        self.message = message
        self.severity = severity


class _Response:
    """A token stream being assembled; the last DONE loses its MORE bit when the stream ends."""

    def __init__(self, null_bitmap: bool) -> None:
        self.parts: list[bytes] = []
        self._last_done: tuple[int, int, int, int, int] | None = None  # index, token, status, command, rows
        self.null_bitmap = null_bitmap
        self.rows = 0
        self.requests = 0
        #: the token and status of the stream's last DONE (DONEPROC for RPC; ERROR after a failure)
        self.final = (tokens.DONE, 0)
        #: the error number of a failed request (for the access log)
        self.failed: int | None = None

    def add(self, data: bytes) -> None:
        self.parts.append(data)

    def done(self, status: int, rows: int = 0, *, token: int = tokens.DONE, command: int = 0) -> None:
        self._last_done = (len(self.parts), token, status, command, rows)
        self.parts.append(tokens.done(status | tokens.DONE_MORE, rows, token=token, command=command))

    def result(self, result: Result, token: int) -> None:
        for index, text in enumerate(result.messages):
            self.add(tokens.info(result.message_number if index == 0 else 0, text))
        self.requests += result.requests
        if result.names is not None and result.types is not None:
            self.add(tokens.colmetadata(result.names, result.types))
            for row in result.rows:
                self.add(tokens.row(result.types, row, null_bitmap=self.null_bitmap))
            self.rows += len(result.rows)
            self.done(tokens.DONE_COUNT, len(result.rows), token=token, command=tokens.CMD_SELECT)
        elif result.count is not None:
            self.done(tokens.DONE_COUNT, result.count, token=token)
        else:
            self.done(0, token=token)

    def error(self, error: TdsError) -> None:
        self.add(tokens.error(error.number, error.message, severity=error.severity, state=error.state))

    def finish(self) -> bytes:
        token, status = self.final
        if self._last_done is not None and self._last_done[0] == len(self.parts) - 1 and self._last_done[1] == token:
            index, kind, done_status, command, rows = self._last_done
            self.parts[index] = tokens.done(done_status | status, rows, token=kind, command=command)
        else:
            self.parts.append(tokens.done(status, token=token))
        return b"".join(self.parts)


class TdsConnection:
    """The protocol state of one client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: TdsState) -> None:
        self.state = state
        limits = state.config.limits
        self.channel = Channel(reader, writer, limits.max_message_bytes)
        self.spid = state.new_spid()
        peer = writer.get_extra_info("peername")
        self.peer_host = peer[0] if isinstance(peer, tuple) else ""
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.user = ""
        self.database = ""
        self.session: TdsSession | None = None
        self.busy = False
        self.tds_version = login7.TDS_7_4
        self.started = time.monotonic()
        #: Bitbucket API requests of the connection's statements (the disconnect line's total)
        self.requests = 0
        self._pending_read: asyncio.Task[tuple[packets.PacketHeader, bytes]] | None = None
        self._reset_ack = False

    # --- life cycle -------------------------------------------------------------------------------
    async def serve(self) -> None:
        self.state.connections[self.spid] = self
        try:
            if await self._handshake():
                await self._requests()
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            pass
        except ProtocolError as error:
            self._log("protocol_error", message=str(error))
            with contextlib.suppress(Exception):
                self.channel.write_message(packets.TABULAR_RESULT,
                                           tokens.error(4002, f"Protocol error in TDS stream: {error}", severity=20)
                                           + tokens.done(tokens.DONE_ERROR))
                await asyncio.wait_for(self.channel.drain(), 2)
        except asyncio.CancelledError:
            pass
        except Exception:  # noqa: BLE001 - a bug must cost this connection only
            log.exception("TDS connection %s failed", self.spid)
        finally:
            if self._pending_read is not None:
                self._pending_read.cancel()
            self.state.connections.pop(self.spid, None)
            if self.session is not None:
                session, self.session = self.session, None
                with contextlib.suppress(Exception):
                    await asyncio.get_running_loop().run_in_executor(self.state.executor, session.close)
            if self.user:
                self._log("disconnect", seconds=round(time.monotonic() - self.started, 1), requests=self.requests)
            self.channel.close()

    def cancel_running(self) -> None:
        if self.busy and self.session is not None:
            self.session.cancel()

    def _log(self, event: str, **fields: Any) -> None:
        record = {"event": event, "protocol": "tds", "spid": self.spid, "client": self.peer, "user": self.user,
                  "database": self.database}
        record.update(fields)
        access_log.info(json.dumps(record, default=str))

    # --- PRELOGIN, TLS, LOGIN7 ------------------------------------------------------------------------
    def _on_loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.peer_host.split("%", 1)[0]).is_loopback
        except ValueError:
            return False

    async def _handshake(self) -> bool:
        strict = await asyncio.wait_for(self.channel.peek_byte(), 30) == TLS_HANDSHAKE_RECORD
        if strict:  # TDS 8: TLS before anything else, then PRELOGIN and LOGIN7 inside it
            await asyncio.wait_for(self.channel.start_tls_direct(self.state.strict_context), 30)
        kind, _status, payload = await asyncio.wait_for(self.channel.read_message(), 30)
        if kind != packets.PRELOGIN:
            raise ProtocolError(f"expected PRELOGIN, got a packet of type {kind:#x}")
        client = prelogin.parse(payload)
        cleartext_ok = self.state.allow_cleartext_login and self._on_loopback()
        mode: int | None = prelogin.ENCRYPT_ON
        if not strict:
            mode = prelogin.choose_encryption(client.encryption, require_tls=self.state.config.require_tls,
                                              cleartext_allowed=cleartext_ok)
        self.channel.write_message(packets.TABULAR_RESULT, prelogin.build(
            prelogin.ENCRYPT_REQ if mode is None else mode))
        await self.channel.drain()
        if mode is None:
            self._log("refused", reason="the client cannot encrypt and clear-text login is not allowed here",
                      user="")
            return False
        if mode != prelogin.ENCRYPT_NOT_SUP and not strict:
            await asyncio.wait_for(self.channel.start_tls(self.state.ssl_context), 30)
        kind, _status, payload = await asyncio.wait_for(self.channel.read_message(), 30)
        if kind != packets.LOGIN7:
            raise ProtocolError(f"expected LOGIN7, got a packet of type {kind:#x}")
        login = login7.parse(payload)
        if mode == prelogin.ENCRYPT_OFF:
            self.channel.stop_tls()
        self.tds_version = login7.negotiated_version(login.tds_version)
        try:
            await self._login(login, login_only=mode == prelogin.ENCRYPT_OFF)
        except LoginFailed as error:
            self._log("auth_failed", user=login.user_name, number=error.number)
            self.channel.write_message(packets.TABULAR_RESULT,
                                       tokens.error(error.number, error.message, severity=error.severity)
                                       + tokens.done(tokens.DONE_ERROR))
            await self.channel.drain()
            return False
        return True

    async def _login(self, login: Login, login_only: bool) -> None:
        config = self.state.config
        failed = LoginFailed(18456, f"Login failed for user '{login.user_name}'.")
        if login.integrated_security:
            raise LoginFailed(18452, "Login failed: Windows (integrated) authentication is not supported by this "
                                     "server; use SQL Server authentication with a user of its config.")
        user = config.users.get(login.user_name)
        loop = asyncio.get_running_loop()
        verifier = user.verifier if user is not None else None
        valid = await loop.run_in_executor(self.state.executor, check_cleartext, login.password.reveal(), verifier)
        if user is None or not valid:
            raise failed
        database = login.database or self._default_database(user.grants)
        if database not in config.databases:
            raise LoginFailed(4060, f"Cannot open database \"{database}\" requested by the login. The login failed. "
                                    f"Databases here: {', '.join(sorted(config.databases)) or 'none'}.", severity=11)
        right = user.right_on(database)
        if right is None:
            raise LoginFailed(4060, f"Cannot open database \"{database}\" requested by the login: user "
                                    f"'{user.name}' has no grant on it. The login failed.", severity=11)
        self.user, self.database = user.name, database
        try:
            self.session = await loop.run_in_executor(
                self.state.executor, self.state.open_session, database, user.name, right == READ_WRITE, self.spid)
        except Exception as error:  # noqa: BLE001 - the client sees why, the server keeps running
            self.user = ""
            raise LoginFailed(4060, f"Cannot open database \"{database}\": {error}", severity=11) from None
        packet_size = packets.clamp_packet_size(login.packet_size)
        response = b"".join([
            tokens.envchange_text(tokens.ENV_DATABASE, database, "master"),
            tokens.info(5701, f"Changed database context to '{database}'."),
            tokens.envchange_bytes(tokens.ENV_COLLATION, COLLATION, b""),
            tokens.envchange_text(tokens.ENV_LANGUAGE, "us_english", ""),
            tokens.info(5703, "Changed language setting to us_english."),
            tokens.loginack(self.tds_version, PROGRAM_NAME, prelogin.SERVER_VERSION),
            tokens.envchange_text(tokens.ENV_PACKET_SIZE, str(packet_size), str(self.channel.packet_size)),
            tokens.feature_ext_ack() if login.feature_extensions else b"",
            tokens.done(0),
        ])
        self.channel.write_message(packets.TABULAR_RESULT, response)
        await self.channel.drain()
        self.channel.packet_size = packet_size
        self._log("connect", right=right, application=login.app_name, library=login.library_name,
                  tls="on" if self.channel.encrypted else "login-only" if login_only else "off",
                  tds_version=f"{self.tds_version:#x}")

    def _default_database(self, grants: dict[str, str]) -> str:
        databases = sorted(self.state.config.databases)
        granted = [name for name in databases if name in grants]
        if granted:
            return granted[0]
        return databases[0] if databases and "*" in grants else ""

    # --- requests ---------------------------------------------------------------------------------
    async def _next_message(self) -> tuple[int, int, bytes]:
        if self._pending_read is not None:
            task, self._pending_read = self._pending_read, None
            first = await task
        else:
            idle = self.state.config.limits.idle_timeout_s
            first = await asyncio.wait_for(self.channel.read_packet(), idle)
        return await self.channel.read_message(first)

    async def _requests(self) -> None:
        while not self.state.stopping:
            try:
                kind, status, payload = await self._next_message()
            except TimeoutError:
                self._log("idle_timeout")
                return
            if status & (packets.STATUS_RESET_CONNECTION | packets.STATUS_RESET_CONNECTION_SKIP_TRAN) \
                    and self.session is not None:
                self.session.options.clear()
                self.session.end_transaction(rollback=False)
                self._reset_ack = True  # the answer starts with ENVCHANGE "reset connection acknowledged"
            if kind == packets.ATTENTION:
                self._send(tokens.done(tokens.DONE_ATTN))
                await self.channel.drain()
            elif kind == packets.SQL_BATCH:
                offset = rpc.skip_all_headers(payload) if self.tds_version >= login7.TDS_7_2 else 0
                text = payload[offset:].decode("utf-16-le", errors="replace")
                await self._run(text, functools.partial(self._batch, text=text))
            elif kind == packets.RPC:
                calls = rpc.parse(payload)
                text = "; ".join(_statement_of(call) for call in calls)
                await self._run(text, functools.partial(self._calls, calls=calls))
            elif kind == packets.TRANSACTION_MANAGER:
                self._send(self._transaction_manager(payload))
                await self.channel.drain()
            else:
                raise ProtocolError(f"unexpected message of type {kind:#x} after login")

    def _send(self, payload: bytes) -> None:
        if self._reset_ack:
            payload = tokens.envchange_bytes(tokens.ENV_RESET_ACK, b"", b"") + payload
            self._reset_ack = False
        self.channel.write_message(packets.TABULAR_RESULT, payload)

    async def _run(self, text: str, work: Callable[[TdsSession], _Response]) -> None:
        """Run ``work`` on the pool, watching for ATTENTION; send its tokens (or the attention DONE)."""
        assert self.session is not None
        session = self.session
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        self.busy = True
        future = loop.run_in_executor(self.state.executor, work, session)
        attention = False
        try:
            while True:
                if self._pending_read is None:
                    self._pending_read = asyncio.ensure_future(self.channel.read_packet())
                waiting: set[asyncio.Future[Any]] = {future, self._pending_read}
                done, _pending = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if future in done:
                    break
                try:
                    header, body = self._pending_read.result()
                except BaseException:  # the client went away mid-query: stop the query, then close
                    self._pending_read = None
                    session.cancel()
                    with contextlib.suppress(BaseException):
                        await asyncio.wait_for(future, 30)
                    raise
                self._pending_read = None
                if header.type != packets.ATTENTION:
                    raise ProtocolError("a new request arrived while one was running (MARS is not supported)")
                attention = True
                session.cancel()
            try:
                response = future.result()
            except Exception as error:  # noqa: BLE001 - never lose the connection over one request
                log.exception("TDS request failed")
                response = _Response(False)
                response.error(TdsError(50000, f"internal error: {error or type(error).__name__}"))
                response.final = (tokens.DONE, tokens.DONE_ERROR)
                response.failed = 50000
            payload = tokens.done(tokens.DONE_ATTN) if attention else response.finish()
        finally:
            self.busy = False
        # Logged before the answer goes out, so a client that has its rows can already read the record.
        text_logged = " ".join(text.split())
        if len(text_logged) > LOGGED_STATEMENT_CHARS:
            text_logged = text_logged[:LOGGED_STATEMENT_CHARS] + "…"
        fields: dict[str, Any] = {"statement": text_logged, "ms": round((time.monotonic() - started) * 1000, 1)}
        if attention:
            fields["cancelled"] = True
        else:
            fields.update(rows=response.rows, requests=response.requests)
            self.requests += response.requests
            if response.failed is not None:
                fields["error"] = response.failed
        self._log("statement", **fields)
        self._send(payload)
        await self.channel.drain()

    def _null_bitmap(self) -> bool:
        return self.tds_version >= login7.TDS_7_3B

    def _emit(self, response: _Response, events: list[Event], token: int) -> list[ReturnValue]:
        returns = []
        for event in events:
            if isinstance(event, Result):
                response.result(event, token)
            elif isinstance(event, DatabaseChanged):
                response.add(tokens.envchange_text(tokens.ENV_DATABASE, event.new, event.old))
                response.add(tokens.info(5701, f"Changed database context to '{event.new}'."))
                self.database = event.new
                response.done(0, token=token)
            elif isinstance(event, ReturnValue):
                returns.append(event)
        return returns

    def _batch(self, session: TdsSession, text: str) -> _Response:
        response = _Response(self._null_bitmap())
        try:
            events = session.batch(text)
        except TdsError as error:
            self._emit(response, error.events, tokens.DONE)
            if not isinstance(error, Cancelled):
                response.error(error)
            response.failed = error.number
            response.final = (tokens.DONE, tokens.DONE_ERROR)
            return response
        self._emit(response, events, tokens.DONE)
        return response

    def _calls(self, session: TdsSession, calls: list[rpc.Call]) -> _Response:
        response = _Response(self._null_bitmap())
        for number, call in enumerate(calls):
            last = number == len(calls) - 1
            try:
                events, status = session.call(call)
            except TdsError as error:
                self._emit(response, error.events, tokens.DONEINPROC)
                response.error(error)
                response.add(tokens.return_status(1))
                response.failed = error.number
                response.done(tokens.DONE_ERROR, token=tokens.DONEPROC)
                response.final = (tokens.DONEPROC, tokens.DONE_ERROR)
                if last:
                    return response
                continue
            returns = self._emit(response, events, tokens.DONEINPROC)
            response.add(tokens.return_status(status))
            for value in returns:
                response.add(tokens.return_value(value.ordinal, value.name, value.value))
            response.done(0, token=tokens.DONEPROC)
            response.final = (tokens.DONEPROC, 0)
        return response

    def _transaction_manager(self, payload: bytes) -> bytes:
        """BEGIN/COMMIT/ROLLBACK through the transaction manager request (ODBC, tedious): accepted, nothing to do."""
        offset = rpc.skip_all_headers(payload)
        if len(payload) < offset + 2:
            raise ProtocolError("transaction manager request without its type")
        request = struct.unpack_from("<H", payload, offset)[0]
        descriptor = struct.pack("<Q", self.spid)
        session = self.session
        if request == 5:  # TM_BEGIN_XACT
            if session is not None:
                session.transaction_count += 1
            return tokens.envchange_bytes(tokens.ENV_BEGIN_TRANSACTION, descriptor, b"") + tokens.done(0)
        if request in (7, 8):  # TM_COMMIT_XACT, TM_ROLLBACK_XACT
            notice = session.end_transaction(rollback=request == 8) if session is not None else ""
            kind = tokens.ENV_COMMIT_TRANSACTION if request == 7 else tokens.ENV_ROLLBACK_TRANSACTION
            info = tokens.info(0, notice) if notice else b""
            return info + tokens.envchange_bytes(kind, b"", descriptor) + tokens.done(0)
        if request == 9:  # TM_SAVE_XACT
            return tokens.done(0)
        return (tokens.error(40517, f"transaction manager request {request} is not supported (no distributed "
                                    "transactions here)") + tokens.done(tokens.DONE_ERROR))


def _statement_of(call: rpc.Call) -> str:
    """What the access log shows for one RPC: the procedure and its SQL text, never parameter values."""
    if call.procedure in ("sp_executesql",) and call.params and isinstance(call.params[0].value, str):
        return f"{call.procedure}: {call.params[0].value}"
    if call.procedure in ("sp_prepexec", "sp_prepare") and len(call.params) > 2 \
            and isinstance(call.params[2].value, str):
        return f"{call.procedure}: {call.params[2].value}"
    return call.procedure
