"""The TDS listener: accepts SQL Server clients beside the PostgreSQL listener, on the same config.

One asyncio task per client, blocking SQL work on a thread pool, the connection limit, idle
timeout and graceful shutdown of the PostgreSQL listener (running requests finish within the
grace period, then are cancelled). TLS always exists here: SQL Server clients encrypt at least
the login, so without a configured certificate the listener makes a self-signed one at start,
as SQL Server itself does.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import logging
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bitbucket_sql.server.config import ServerConfig
from bitbucket_sql.server.listener import MAX_WORKER_THREADS, ServerStartError, _import_sql_front
from bitbucket_sql.server.tls import TlsError, write_self_signed

from .connection import SessionOpener, TdsConnection, TdsState
from .session import TdsSession

log = logging.getLogger("bitbucket_sql.server")

DEFAULT_PORT = 1433


def tds_tls_contexts(config: ServerConfig) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """TLS for TDS 7.x (1.2, inside PRELOGIN) and for TDS 8 strict encryption (1.2+, ALPN ``tds/8.0``),
    with the configured certificate or a self-signed one."""
    legacy = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    legacy.minimum_version = ssl.TLSVersion.TLSv1_2
    legacy.maximum_version = ssl.TLSVersion.TLSv1_2
    strict = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    strict.minimum_version = ssl.TLSVersion.TLSv1_2
    strict.set_alpn_protocols(["tds/8.0"])
    if config.tls is not None:
        for path, what in ((config.tls.cert, "certificate"), (config.tls.key, "key")):
            if not path.is_file():
                raise TlsError(f"TLS {what} file {path} does not exist")
        try:
            for context in (legacy, strict):
                context.load_cert_chain(str(config.tls.cert), str(config.tls.key))
        except (ssl.SSLError, OSError) as error:
            raise TlsError(f"cannot load TLS certificate {config.tls.cert}: {error}") from None
        return legacy, strict
    with tempfile.TemporaryDirectory(prefix="bbsql-tds-") as folder:
        host = config.host if config.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        cert, key = write_self_signed(Path(folder), host)
        for context in (legacy, strict):
            context.load_cert_chain(str(cert), str(key))
    return legacy, strict


def open_tds_session(config: ServerConfig) -> SessionOpener:
    """Sessions over an engine for each virtual database's Bitbucket connection."""

    def open_engine(name: str) -> tuple[Any, Callable[[], None]]:
        from bitbucket_sql.api.settings import parse_connection_string
        from bitbucket_sql.engine import Engine

        database = config.databases.get(name)
        if database is None:
            raise LookupError(name)
        if database.profile:
            settings = parse_connection_string(database.connection, Profile=database.profile)
        else:
            settings = parse_connection_string(database.connection)
        engine = Engine(settings)
        return engine, engine.close

    def open_session(name: str, user: str, can_write: bool, spid: int) -> TdsSession:
        engine, close = open_engine(name)

        def open_other(other: str) -> tuple[Any, Callable[[], None], bool]:
            account = config.users.get(user)
            if other not in config.databases:
                raise LookupError(other)
            right = account.right_on(other) if account is not None else None
            if right is None:
                raise PermissionError(other)
            other_engine, other_close = open_engine(other)
            return other_engine, other_close, right == "read-write"

        account = config.users.get(user)
        visible = [database for database in config.databases
                   if account is not None and account.right_on(database) is not None]
        return TdsSession(database=name, user=user, engine=engine, close_engine=close, can_write=can_write,
                          spid=spid, open_database=open_other, known_databases=list(config.databases),
                          visible_databases=visible, max_prepared=config.limits.max_prepared_statements)

    return open_session


class TdsServer:
    """A TDS (SQL Server protocol) server over the configured databases and users."""

    def __init__(self, config: ServerConfig, port: int = DEFAULT_PORT, *, allow_cleartext_login: bool = False,
                 open_session: SessionOpener | None = None) -> None:
        workers = min(config.limits.max_connections, MAX_WORKER_THREADS)
        legacy, strict = tds_tls_contexts(config)
        self.state = TdsState(
            config=config,
            ssl_context=legacy,
            strict_context=strict,
            open_session=open_session or open_tds_session(config),
            executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bbsql-tds"),
            allow_cleartext_login=allow_cleartext_login,
        )
        self.host = config.host
        self.port = port
        self._own_sessions = open_session is None
        self._server: asyncio.Server | None = None
        self._tasks: dict[int, asyncio.Task[Any]] = {}
        self._stopped: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        try:
            self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ServerStartError(
                    error.errno,
                    f"port {self.port} on {self.host} is already in use (a SQL Server?); choose another with "
                    "--tds-port, or --tds-port 0 to pick a free one") from None
            raise ServerStartError(error.errno or 0,
                                   f"cannot listen on {self.host}:{self.port}: {error.strerror or error}") from None
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]
        if self._own_sessions:
            # Import the engine and the table catalog now (seconds, once), not inside the first logins.
            await asyncio.get_running_loop().run_in_executor(self.state.executor, _import_sql_front)
        log.info("TDS listening on %s:%s", self.host, self.port)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.state.stopping:
            writer.close()
            return
        if len(self._tasks) >= self.state.config.limits.max_connections:
            # before PRELOGIN a client reads no tokens: closing is all TDS allows
            log.info("TDS: refused a client: too many connections")
            writer.close()
            return
        connection = TdsConnection(reader, writer, self.state)
        task = asyncio.current_task()
        assert task is not None
        self._tasks[connection.spid] = task
        try:
            await connection.serve()
        finally:
            self._tasks.pop(connection.spid, None)

    @property
    def stopped(self) -> bool:
        return self._stopped is not None and self._stopped.is_set()

    @property
    def connection_count(self) -> int:
        return len(self._tasks)

    async def serve_until_stopped(self) -> None:
        assert self._stopped is not None
        await self._stopped.wait()

    def stop_from_thread(self, grace_s: float | None = None) -> concurrent.futures.Future[None]:
        assert self._loop is not None, "the server was not started"
        return asyncio.run_coroutine_threadsafe(self.stop(grace_s), self._loop)

    async def stop(self, grace_s: float | None = None) -> None:
        """No new clients; idle ones closed; running requests finish within the grace period, then are cancelled."""
        grace = self.state.config.limits.shutdown_grace_s if grace_s is None else grace_s
        self.state.stopping = True
        if self._server is not None:
            self._server.close()
        for spid, connection in list(self.state.connections.items()):
            if not connection.busy and spid in self._tasks:
                self._tasks[spid].cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while any(c.busy for c in self.state.connections.values()) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for connection in list(self.state.connections.values()):
            connection.cancel_running()
        deadline = loop.time() + 2
        while self._tasks and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for task in list(self._tasks.values()):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=2)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
        self.state.executor.shutdown(wait=False, cancel_futures=True)
        if self._stopped is not None:
            self._stopped.set()
        log.info("TDS server stopped")


__all__ = ["DEFAULT_PORT", "TdsServer", "serve_in_thread"]


@contextlib.contextmanager
def serve_in_thread(config: ServerConfig, port: int = 0, **options: Any) -> Iterator[TdsServer]:
    """The TDS server on its own event loop in a background thread (tests, embedding), stopped at exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bbsql-tds-loop", daemon=True)
    thread.start()
    try:
        async def create() -> TdsServer:
            server = TdsServer(config, port, **options)
            await server.start()
            return server

        server = asyncio.run_coroutine_threadsafe(create(), loop).result()
        try:
            yield server
        finally:
            if not server.stopped:
                asyncio.run_coroutine_threadsafe(server.stop(grace_s=2), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
