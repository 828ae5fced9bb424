"""One client connection: startup, TLS, authentication, then the simple and extended query flows.

The state machine follows the PostgreSQL protocol v3 message flow. SQL goes to the connection's
SQL session (server/session.py), whose calls block (the engine is synchronous); they run on the
listener's thread pool one at a time per connection, so one client's slow query never stalls
another's. Every failure a client should see becomes an ErrorResponse with a real SQLSTATE;
a protocol violation ends only this connection.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from bitbucket_sql.server import codec
from bitbucket_sql.server import protocol as pq
from bitbucket_sql.server.auth import MECHANISM, AuthenticationFailed, ScramExchange, check_cleartext
from bitbucket_sql.server.config import READ_WRITE, DatabaseConfig, ServerConfig

access_log = logging.getLogger("bitbucket_sql.server.access")
error_log = logging.getLogger("bitbucket_sql.server")

T = TypeVar("T")

#: How long a client may take to send its startup packet and password.
STARTUP_TIMEOUT_S = 30.0
#: Rows written between two waits for the socket to drain (bounds memory per slow reader).
DRAIN_EVERY_ROWS = 500
#: The longest statement text written to the access log.
LOGGED_STATEMENT_CHARS = 2000


class Session(Protocol):
    """What the protocol layer needs of the SQL session (server/session.py's ``SqlSession``)."""

    #: ReadyForQuery's letter: "I" idle, "T" in a transaction block, "E" in a failed block
    transaction_status: str

    def apply_startup_parameters(self, parameters: dict[str, str]) -> None: ...
    def parameter_status(self) -> dict[str, str]: ...
    def fail_transaction(self) -> None: ...
    def execute(self, sql: str, stream: bool = False) -> list[Any]: ...
    def prepare(self, sql: str, param_oids: list[int]) -> Any: ...
    def execute_prepared(self, sql: str, params: list[Any], param_types: list[Any], stream: bool = False) -> Any: ...
    def cancel(self) -> None: ...


#: Opens a session for (database, user, can_write); blocking, run in a worker thread.
SessionFactory = Callable[[DatabaseConfig, str, bool], tuple[Session, Callable[[], None]]]


class Fatal(Exception):
    """An error that ends the connection (FATAL severity)."""

    def __init__(self, sqlstate: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.report = pq.Report("FATAL", sqlstate, message, hint=hint)


class ClientError(Exception):
    """An error reported to the client inside a working connection (ERROR severity)."""

    def __init__(
        self, sqlstate: str, message: str, hint: str | None = None, detail: str | None = None
    ) -> None:
        super().__init__(message)
        self.report = pq.Report("ERROR", sqlstate, message, detail=detail, hint=hint)


def report_for(error: BaseException) -> pq.Report:
    """The ErrorResponse fields of any exception raised by the SQL session or the codec."""
    if isinstance(error, ClientError):
        return error.report
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and len(sqlstate) == 5:
        message = getattr(error, "message", None) or str(error)
        return pq.Report(
            getattr(error, "severity", "ERROR") or "ERROR",
            sqlstate,
            str(message),
            detail=getattr(error, "detail", None),
            hint=getattr(error, "hint", None),
            position=_position(getattr(error, "position", None)),
        )
    if isinstance(error, codec.CodecError):
        return pq.Report("ERROR", "22P03", str(error))
    error_log.error("internal error while answering a query", exc_info=error)
    return pq.Report("ERROR", "XX000", f"internal error: {str(error) or error.__class__.__name__}")


def _position(value: object) -> int | None:
    """ErrorResponse's P field: a 1-based character index into the query (psql underlines it)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@dataclass
class Statement:
    sql: str
    param_types: list[Any]
    fields: list[Any] | None


@dataclass
class Portal:
    statement: Statement
    params: list[Any]
    result_formats: list[int]
    result: Any = None
    position: int = 0


@dataclass
class ConnectionRegistry:
    """Live connections by backend process id, for CancelRequest and shutdown."""

    connections: dict[int, ClientConnection] = field(default_factory=dict)

    def new_key(self) -> tuple[int, int]:
        while True:
            pid = secrets.randbelow(2**31 - 2) + 1
            if pid not in self.connections:
                return pid, secrets.randbits(31)

    def cancel(self, pid: int, key: int) -> bool:
        connection = self.connections.get(pid)
        if connection is None or not hmac.compare_digest(
            key.to_bytes(4, "big", signed=True), connection.secret
        ):
            return False
        connection.cancel_running()
        return True


@dataclass
class ServerState:
    """What every connection shares: configuration, TLS, the session factory, threads, registry."""

    config: ServerConfig
    ssl_context: ssl.SSLContext | None
    open_session: SessionFactory
    executor: Executor
    registry: ConnectionRegistry = field(default_factory=ConnectionRegistry)
    stopping: bool = False


class ClientConnection:
    """The protocol state of one client, from its first byte to Terminate or disconnect."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: ServerState
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.state = state
        self.pid, key = state.registry.new_key()
        self.secret = key.to_bytes(4, "big", signed=True)
        self.key = key
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self.user = ""
        self.database = ""
        self.tls = False
        self.session: Session | None = None
        self._close_session: Callable[[], None] | None = None
        self.statements: dict[str, Statement] = {}
        self.portals: dict[str, Portal] = {}
        self.transaction = "I"
        self.failed = False  # extended protocol: an error happened, skip until Sync
        self.busy = False
        self.requests = 0
        self.started = time.monotonic()

    # --- life cycle ---------------------------------------------------------------------------
    async def serve(self) -> None:
        """Run the connection to its end; never raises (a task per client)."""
        self.state.registry.connections[self.pid] = self
        try:
            if await self._startup():
                await self._query_loop()
        except pq.ClientGone:
            pass
        except pq.ProtocolViolation as error:
            await self._send_fatal(pq.Report("FATAL", "08P01", f"protocol violation: {error}"))
        except Fatal as error:
            await self._send_fatal(error.report)
        except asyncio.CancelledError:
            await self._send_fatal(
                pq.Report("FATAL", "57P01", "terminating connection due to administrator command")
            )
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        except Exception as error:  # noqa: BLE001 - one connection's bug never reaches the server
            error_log.error("connection %s failed", self.pid, exc_info=error)
            await self._send_fatal(pq.Report("FATAL", "XX000", "internal error; the connection is closed"))
        finally:
            self.state.registry.connections.pop(self.pid, None)
            await self._finish()

    async def _finish(self) -> None:
        if self._close_session is not None:
            close, self._close_session = self._close_session, None
            try:
                await asyncio.get_running_loop().run_in_executor(self.state.executor, close)
            except Exception as error:  # noqa: BLE001 - closing must not fail the shutdown
                error_log.warning("closing the session of connection %s failed: %s", self.pid, error)
        if self.user:
            self._log("disconnect", seconds=round(time.monotonic() - self.started, 3), requests=self.requests)
        try:
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (Exception, asyncio.CancelledError):  # noqa: BLE001 - the peer may be gone already
            pass

    async def _send_fatal(self, report: pq.Report) -> None:
        try:
            self.writer.write(pq.error_response(report))
            await asyncio.wait_for(self.writer.drain(), 2)
        except (Exception, asyncio.CancelledError):  # noqa: BLE001 - the peer may be gone already
            pass
        if self.user and report.sqlstate not in ("57P01",):
            self._log("fatal", sqlstate=report.sqlstate, message=report.message)

    def cancel_running(self) -> None:
        """CancelRequest: cancel the running statement, if any (thread-safe in the session)."""
        if self.busy and self.session is not None:
            self.session.cancel()

    def _log(self, event: str, **fields: Any) -> None:
        record = {
            "event": event,
            "pid": self.pid,
            "client": self.peer,
            "user": self.user,
            "database": self.database,
        }
        record.update(fields)
        access_log.info(json.dumps(record, default=str))

    # --- startup ------------------------------------------------------------------------------
    async def _startup(self) -> bool:
        """Handle SSLRequest/GSSENCRequest/CancelRequest and the StartupMessage; True when ready."""
        loop_deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            code, payload = await self._in_time(pq.read_startup_packet(self.reader), loop_deadline)
            if code == pq.SSL_REQUEST:
                await self._negotiate_tls(payload)
            elif code == pq.GSSENC_REQUEST:
                self.writer.write(b"N")
                await self.writer.drain()
            elif code == pq.CANCEL_REQUEST:
                pid, key = pq.parse_cancel(payload)
                self.state.registry.cancel(pid, key)
                return False
            elif code >> 16 == 3:
                params = pq.parse_startup_parameters(payload)
                await self._check_protocol_options(code, params)
                await self._in_time(self._authenticate(params), loop_deadline)
                await self._open_session(params)
                return True
            else:
                raise Fatal(
                    "0A000",
                    f"unsupported frontend protocol {code >> 16}.{code & 0xFFFF}: this server speaks 3.0",
                )

    async def _in_time(self, awaitable: Any, deadline: float) -> Any:
        try:
            return await asyncio.wait_for(awaitable, max(deadline - time.monotonic(), 0.01))
        except TimeoutError:
            raise Fatal("08006", "startup and authentication took too long") from None

    async def _negotiate_tls(self, payload: bytes) -> None:
        if payload or self.tls:
            raise pq.ProtocolViolation("unexpected SSLRequest")
        if self.state.ssl_context is None:
            self.writer.write(b"N")
            await self.writer.drain()
            return
        if self.reader._buffer:  # type: ignore[attr-defined]  # bytes sent before the handshake: injection
            raise pq.ProtocolViolation("data received before the TLS handshake")
        self.writer.write(b"S")
        await self.writer.drain()
        await self.writer.start_tls(self.state.ssl_context)
        self.tls = True

    async def _check_protocol_options(self, code: int, params: dict[str, str]) -> None:
        unknown = [name for name in params if name.startswith("_pq_.")]
        if code & 0xFFFF or unknown:
            self.writer.write(pq.negotiate_protocol_version(0, unknown))
        for name in unknown:
            params.pop(name)

    async def _authenticate(self, params: dict[str, str]) -> None:
        config = self.state.config
        user = params.get("user", "")
        if not user:
            raise Fatal("28000", "no user name in the startup packet")
        self.database = params.get("database") or user
        if config.require_tls and not self.tls:
            raise Fatal("28000", "this server requires TLS", hint="connect with sslmode=require")
        account = config.users.get(user)
        verifier = account.verifier if account else None
        if self.tls and config.allow_cleartext_password:
            self.writer.write(pq.authentication_cleartext())
            password = pq.parse_password(await self._expect_password())
            if not check_cleartext(password, verifier):
                await self._reject(user)
        else:
            await self._scram(user, verifier)
        assert account is not None
        database = config.databases.get(self.database)
        if database is None:
            raise Fatal(
                "3D000",
                f'database "{self.database}" does not exist',
                hint=f"databases on this server: {', '.join(sorted(config.databases)) or 'none'}",
            )
        right = account.right_on(self.database)
        if right is None:
            raise Fatal(
                "42501",
                f'permission denied for database "{self.database}"',
                hint=f'user "{user}" has no grant on it',
            )
        self.user = user
        self._right = right
        self.writer.write(pq.authentication_ok())

    async def _reject(self, user: str) -> None:
        access_log.info(
            json.dumps({"event": "auth_failed", "pid": self.pid, "client": self.peer, "user": user})
        )
        raise Fatal("28P01", f'password authentication failed for user "{user}"')

    async def _expect_password(self) -> bytes:
        await self.writer.drain()
        kind, data = await pq.read_message(self.reader, 64 * 1024)
        if kind != ord("p"):
            raise pq.ProtocolViolation(f"expected a password message, got {chr(kind)!r}")
        return data

    async def _scram(self, user: str, verifier: Any) -> None:
        self.writer.write(pq.authentication_sasl([MECHANISM]))
        mechanism, client_first = pq.parse_sasl_initial(await self._expect_password())
        if mechanism != MECHANISM:
            raise Fatal("28000", f"unsupported SASL mechanism {mechanism!r}; use SCRAM-SHA-256")
        exchange = ScramExchange(verifier)
        try:
            self.writer.write(pq.authentication_sasl_continue(exchange.first(client_first)))
            client_final = await self._expect_password()
            self.writer.write(pq.authentication_sasl_final(exchange.final(client_final)))
        except AuthenticationFailed:
            await self._reject(user)

    async def _open_session(self, params: dict[str, str]) -> None:
        database = self.state.config.databases[self.database]
        can_write = self._right == READ_WRITE
        try:
            self.session, self._close_session = await self._run(
                self.state.open_session, database, self.user, can_write
            )
        except Exception as error:  # noqa: BLE001 - a bad connection setting is this client's FATAL
            sqlstate = getattr(error, "sqlstate", None)
            error_log.warning("cannot open database %r for %r: %s", self.database, self.user, error)
            raise Fatal(
                sqlstate if isinstance(sqlstate, str) and len(sqlstate) == 5 else "08006",
                f'cannot open database "{self.database}": {getattr(error, "message", None) or error}',
                hint=getattr(error, "hint", None)
                or "the server's configuration for this database is wrong; tell its administrator",
            ) from None
        assert self.session is not None
        try:
            # application_name, DateStyle, options=-c name=value...: SHOW and current_setting() see them
            await self._run(self.session.apply_startup_parameters, params)
        except Exception as error:  # noqa: BLE001 - a value PostgreSQL would refuse ends the login
            report = report_for(error)
            raise Fatal(report.sqlstate, report.message, hint=report.hint) from None
        status = self.session.parameter_status()
        for name, value in status.items():
            self.writer.write(pq.parameter_status(name, value))
        self.writer.write(pq.backend_key_data(self.pid, self.key))
        self.writer.write(pq.ready_for_query(self.transaction))
        await self.writer.drain()
        self._log("connect", tls=self.tls, right=self._right, application=params.get("application_name", ""))

    # --- query loop ---------------------------------------------------------------------------
    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        self.busy = True
        try:
            return await loop.run_in_executor(self.state.executor, function, *args)
        finally:
            self.busy = False

    async def _query_loop(self) -> None:
        limits = self.state.config.limits
        while True:
            if self.state.stopping:
                raise asyncio.CancelledError
            try:
                kind, data = await asyncio.wait_for(
                    pq.read_message(self.reader, limits.max_message_bytes), limits.idle_timeout_s
                )
            except TimeoutError:
                raise Fatal("57P05", "terminating connection due to idle-session timeout") from None
            if kind == ord("X"):
                return
            await self._dispatch(kind, data)

    async def _dispatch(self, kind: int, data: bytes) -> None:
        letter = chr(kind)
        if self.failed and letter != "S" and kind in pq.FRONTEND_TYPES:
            return  # after an error in the extended protocol, everything up to Sync is discarded
        if letter == "Q":
            await self._simple_query(pq.parse_query(data))
            return
        if letter == "S":
            self.failed = False
            if self.transaction == "I":
                self.portals.pop("", None)
            self.writer.write(pq.ready_for_query(self.transaction))
            await self.writer.drain()
            return
        if letter == "H":
            await self.writer.drain()
            return
        if letter in "dcf":  # CopyData/CopyDone/CopyFail outside COPY FROM: ignored, as PostgreSQL does
            return
        handler = {
            "P": self._parse,
            "B": self._bind,
            "D": self._describe,
            "E": self._execute,
            "C": self._close,
        }.get(letter)
        if handler is None:
            if letter == "F":
                await self._error(ClientError("0A000", "the function call protocol is not supported"))
                return
            raise pq.ProtocolViolation(f"unexpected message type {letter!r}")
        try:
            await handler(data)
        except pq.ProtocolViolation:
            raise
        except Exception as error:  # noqa: BLE001 - reported to the client as ErrorResponse
            self.failed = True
            await self._error(error)

    async def _error(self, error: BaseException) -> None:
        report = report_for(error)
        if self.session is not None:
            # Any error inside a transaction block fails it, also one the session never saw (a Bind
            # naming no statement): the session then refuses statements with 25P02 until ROLLBACK.
            self.session.fail_transaction()
        self._track_transaction()
        self.writer.write(pq.error_response(report))
        await self.writer.drain()

    def _track_transaction(self) -> None:
        """ReadyForQuery's letter is the session's own state (it knows savepoints and failed blocks:
        ``ROLLBACK TO SAVEPOINT`` answers with the tag ROLLBACK but keeps the block open)."""
        if self.session is not None:
            self.transaction = self.session.transaction_status

    # --- simple query -------------------------------------------------------------------------
    async def _simple_query(self, sql: str) -> None:
        assert self.session is not None
        started = time.monotonic()
        try:
            if not sql.strip().strip(";").strip():
                self.writer.write(pq.empty_query_response())
            else:
                try:
                    results = await self._run(self.session.execute, sql, True)
                except Exception as error:
                    # The statements before the failing one still happened: their results come first.
                    done = getattr(error, "results", None) or []
                    sent = await self._send_results(done, sql)
                    self._log_statement(sql, started, **sent, sqlstate=report_for(error).sqlstate)
                    await self._error(error)
                else:
                    sent = await self._send_results(results, sql)
                    if not results:
                        self.writer.write(pq.empty_query_response())
                    self._log_statement(sql, started, **sent)
        except Exception as error:  # noqa: BLE001 - reported to the client as ErrorResponse
            self._log_statement(sql, started, sqlstate=report_for(error).sqlstate)
            await self._error(error)
        self.writer.write(pq.ready_for_query(self.transaction))
        await self.writer.drain()

    async def _send_results(self, results: Sequence[Any], sql: str) -> dict[str, Any]:
        """Send a simple query's statement results; rows, Bitbucket requests and notices for the access log."""
        rows = requests = 0
        notices: list[str] = []
        for result in results:
            self._forget_deallocated(result.command_tag, sql)
            rows += await self._send_result(result, None, 0)
            requests += int(getattr(result, "requests", 0) or 0)
            notices += _notices_of(result)
        self._track_transaction()
        return _log_fields(rows, requests, notices)

    def _forget_deallocated(self, tag: str, sql: str) -> None:
        """SQL ``DEALLOCATE [PREPARE] name|ALL`` frees protocol-level statements too, as in PostgreSQL."""
        if tag == "DEALLOCATE ALL":
            self.statements = {name: s for name, s in self.statements.items() if not name}
        elif tag == "DEALLOCATE":
            words = sql.replace(";", " ").split()
            if words:
                self.statements.pop(words[-1].strip('"'), None)

    def _log_statement(self, sql: str, started: float, **fields: Any) -> None:
        self.requests += int(fields.get("requests", 0) or 0)
        text = logged_statement(sql)
        if len(text) > LOGGED_STATEMENT_CHARS:
            text = text[:LOGGED_STATEMENT_CHARS] + "…"
        self._log("statement", statement=text, ms=round((time.monotonic() - started) * 1000, 1), **fields)

    def _columns(self, fields: Sequence[Any], formats: Sequence[int]) -> list[pq.Column]:
        columns = []
        for index, column in enumerate(fields):
            binary = formats[index] if index < len(formats) else 0
            columns.append(
                pq.Column(
                    name=column.name,
                    type_oid=column.type.oid,
                    type_size=column.type.size,
                    table_oid=getattr(column, "table_oid", 0) or 0,
                    column_number=getattr(column, "column_number", 0) or 0,
                    type_modifier=getattr(column, "type_modifier", -1),
                    format=binary,
                )
            )
        return columns

    async def _send_result(
        self, result: Any, formats: Sequence[int] | None, max_rows: int, portal: Portal | None = None
    ) -> int:
        """Write one statement's result; the number of rows sent. ``formats`` None = simple query."""
        self._write_notices(getattr(result, "notices", None) or [])
        if getattr(result, "copy_out", None):
            return await self._send_copy(result)
        if result.fields is None:
            self.writer.write(pq.command_complete(result.command_tag))
            return 0
        fields = result.fields
        if formats is None:
            formats = [0] * len(fields)
            self.writer.write(pq.row_description(self._columns(fields, formats)))
        encoders = [
            codec.encoder(f.type.oid, bool(formats[i]) if i < len(formats) else False)
            for i, f in enumerate(fields)
        ]
        streamed = getattr(result, "stream", None)
        if streamed is not None:
            return await self._send_streamed(result, streamed, encoders)
        start = portal.position if portal else 0
        stop = len(result.rows) if not max_rows else min(len(result.rows), start + max_rows)
        for number, index in enumerate(range(start, stop), start=1):
            row = result.rows[index]
            self.writer.write(
                pq.data_row([encode(value) for encode, value in zip(encoders, row, strict=False)])
            )
            if number % DRAIN_EVERY_ROWS == 0:
                await self.writer.drain()
        if portal is not None:
            portal.position = stop
            if stop < len(result.rows):
                self.writer.write(pq.portal_suspended())
                return stop - start
        tag = result.command_tag
        if portal is not None and max_rows and tag.upper().startswith("SELECT"):
            tag = f"SELECT {stop - start}"
        self.writer.write(pq.command_complete(tag))
        return stop - start

    def _write_notices(self, notices: Sequence[Any]) -> None:
        for notice in notices:
            self.writer.write(pq.notice_response(pq.Report("NOTICE", "01000", str(notice))))

    async def _send_streamed(self, result: Any, streamed: Any, encoders: Sequence[Any]) -> int:
        """A large result (server/streamed.py): each batch is read from the engine on a worker
        thread and written before the next is read; the engine's notices come after the rows."""
        sent = 0
        try:
            while (batch := await self._run(streamed.next_batch)) is not None:
                for row in batch:
                    self.writer.write(pq.data_row([encode(value) for encode, value in zip(encoders, row, strict=False)]))
                sent += len(batch)
                await self.writer.drain()
        finally:
            streamed.close()  # read to its end, failed, or the client went away: the fetch stops
        result.notices, result.requests = streamed.notices, streamed.requests
        self._write_notices(streamed.notices)
        self.writer.write(pq.command_complete(f"SELECT {sent}"))
        return sent

    async def _send_copy(self, result: Any) -> int:
        fields = result.fields or []
        lines = codec.copy_lines(
            result.rows, [f.type.oid for f in fields], [f.name for f in fields], str(result.copy_out)
        )
        self.writer.write(pq.copy_out_response(len(fields)))
        for number, line in enumerate(lines, start=1):
            self.writer.write(pq.copy_data(line))
            if number % DRAIN_EVERY_ROWS == 0:
                await self.writer.drain()
        self.writer.write(pq.copy_done())
        self.writer.write(pq.command_complete(result.command_tag))
        return len(result.rows)

    # --- extended query -----------------------------------------------------------------------
    def _check_capacity(self) -> None:
        limit = self.state.config.limits.max_prepared_statements
        if len(self.statements) + len(self.portals) >= limit:
            raise ClientError(
                "54000",
                f"too many prepared statements and portals on this connection (limit {limit})",
                hint="close (DEALLOCATE) statements you no longer need",
            )

    async def _parse(self, data: bytes) -> None:
        assert self.session is not None
        message = pq.parse_parse(data)
        if message.statement and message.statement in self.statements:
            raise ClientError("42P05", f'prepared statement "{message.statement}" already exists')
        if message.statement:
            self._check_capacity()
        if not message.query.strip().strip(";").strip():
            statement = Statement(message.query, [], None)
        else:
            prepared = await self._run(self.session.prepare, message.query, list(message.param_oids))
            statement = Statement(message.query, list(prepared.param_types), prepared.fields)
        self.statements[message.statement] = statement
        self.writer.write(pq.parse_complete())

    async def _bind(self, data: bytes) -> None:
        message = pq.parse_bind(data)
        statement = self.statements.get(message.statement)
        if statement is None:
            raise ClientError("26000", f'prepared statement "{message.statement}" does not exist')
        if len(message.params) != len(statement.param_types):
            raise ClientError(
                "08P01",
                f'bind message supplies {len(message.params)} parameters, but prepared statement "{message.statement}" '
                f"requires {len(statement.param_types)}",
            )
        if message.portal and message.portal in self.portals:
            raise ClientError("42P03", f'cursor "{message.portal}" already exists')
        if message.portal:
            self._check_capacity()
        params: list[Any] = []
        for index, raw in enumerate(message.params):
            binary = (
                message.param_formats[0 if len(message.param_formats) == 1 else index]
                if message.param_formats
                else 0
            )
            if raw is None:
                params.append(None)
            elif binary:
                params.append(codec.decode_binary_parameter(raw, statement.param_types[index].oid))
            else:
                params.append(codec.decode_text_parameter(raw))
        field_count = len(statement.fields or [])
        formats = message.result_formats
        if len(formats) == 1:
            formats = formats * field_count
        elif formats and len(formats) != field_count:
            raise ClientError(
                "08P01",
                f"bind message has {len(formats)} result formats but the query has {field_count} columns",
            )
        # A type without a binary format here goes as text; RowDescription tells the client so.
        formats = [
            fmt if fmt == 0 or codec.can_send_binary(field.type.oid) else 0
            for fmt, field in zip(formats or [0] * field_count, statement.fields or [], strict=False)
        ]
        self.portals[message.portal] = Portal(statement, params, formats)
        self.writer.write(pq.bind_complete())

    async def _describe(self, data: bytes) -> None:
        message = pq.parse_describe_or_close(data)
        if message.kind == "S":
            statement = self.statements.get(message.name)
            if statement is None:
                raise ClientError("26000", f'prepared statement "{message.name}" does not exist')
            self.writer.write(pq.parameter_description([t.oid for t in statement.param_types]))
            fields, formats = statement.fields, [0] * len(statement.fields or [])
        else:
            portal = self.portals.get(message.name)
            if portal is None:
                raise ClientError("34000", f'portal "{message.name}" does not exist')
            fields, formats = portal.statement.fields, portal.result_formats
        if fields is None:
            self.writer.write(pq.no_data())
        else:
            self.writer.write(pq.row_description(self._columns(fields, formats)))

    async def _execute(self, data: bytes) -> None:
        assert self.session is not None
        message = pq.parse_execute(data)
        portal = self.portals.get(message.portal)
        if portal is None:
            raise ClientError("34000", f'portal "{message.portal}" does not exist')
        statement = portal.statement
        if not statement.sql.strip().strip(";").strip():
            self.writer.write(pq.empty_query_response())
            return
        started = time.monotonic()
        if portal.result is None:
            try:
                # a result read whole by this Execute may be streamed; one read in pieces may not
                portal.result = await self._run(
                    self.session.execute_prepared, statement.sql, portal.params, statement.param_types,
                    not message.max_rows,
                )
            except Exception as error:
                self._log_statement(statement.sql, started, sqlstate=report_for(error).sqlstate)
                raise
            self._track_transaction()
            requests = int(getattr(portal.result, "requests", 0) or 0)
            notices = _notices_of(portal.result)
        else:
            requests, notices = 0, []
        result = portal.result
        if (
            result.fields is not None
            and statement.fields is not None
            and len(result.fields) == len(statement.fields)
        ):
            # Encode with the types the client was told in RowDescription.
            result.fields = statement.fields
        sent = await self._send_result(result, portal.result_formats, message.max_rows, portal)
        if getattr(result, "stream", None) is not None:  # known once its rows were read
            requests, notices = int(result.requests or 0), _notices_of(result)
        self._log_statement(statement.sql, started, **_log_fields(sent, requests, notices))

    async def _close(self, data: bytes) -> None:
        message = pq.parse_describe_or_close(data, close=True)
        if message.kind == "S":
            self.statements.pop(message.name, None)
        else:
            self.portals.pop(message.name, None)
        self.writer.write(pq.close_complete())


def logged_statement(sql: str) -> str:
    """A statement as the access log shows it: one line, credentials masked, and every text
    literal of an INSERT or UPDATE masked (written values may be secrets; numbers stay). Bound
    parameters of the extended protocol are never logged."""
    from bitbucket_sql.api.redact import redact_text
    from bitbucket_sql.engine.writes.masking import mask_written_literals

    return redact_text(mask_written_literals(" ".join(sql.split())))


def _notices_of(result: Any) -> list[str]:
    return [str(notice) for notice in getattr(result, "notices", None) or []]


def _log_fields(rows: int, requests: int, notices: list[str]) -> dict[str, Any]:
    """A statement's access-log fields; the engine's warnings (sent as NoticeResponse) are logged too."""
    fields: dict[str, Any] = {"rows": rows, "requests": requests}
    if notices:
        fields["notices"] = notices
    return fields
