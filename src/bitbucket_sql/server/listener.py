"""The asyncio listener: accepts clients, enforces the connection limit, shuts down gracefully.

One process, one event loop, one task per client; blocking SQL work runs on a thread pool sized
for the connection limit (queries mostly wait for Bitbucket, so threads are cheap here). On
SIGTERM/SIGINT the listener stops accepting, closes idle connections (57P01), lets running
queries finish for ``shutdown_grace_s`` and then cancels them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import logging
import signal
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bitbucket_sql.server import protocol as pq
from bitbucket_sql.server.config import DatabaseConfig, ServerConfig
from bitbucket_sql.server.connection import ClientConnection, ServerState, Session, SessionFactory
from bitbucket_sql.server.tls import server_context

log = logging.getLogger("bitbucket_sql.server")

#: Threads for blocking SQL work, at most (one per busy connection).
MAX_WORKER_THREADS = 64


class ServerStartError(OSError):
    """The listener cannot start (port taken, bad address); the message says what to do."""


def open_sql_session(
    database: DatabaseConfig, user: str, can_write: bool
) -> tuple[Session, Callable[[], None]]:
    """An engine for the database's Bitbucket connection and H8's SQL session over it."""
    from bitbucket_sql.api.settings import parse_connection_string
    from bitbucket_sql.engine import Engine
    from bitbucket_sql.server.session import SqlSession

    if database.profile:
        settings = parse_connection_string(database.connection, Profile=database.profile)
    else:
        settings = parse_connection_string(database.connection)
    engine = Engine(settings)
    try:
        session = SqlSession(database=database.name, user=user, engine=engine, can_write=can_write)
    except BaseException:
        engine.close()
        raise

    def close() -> None:
        closer = getattr(session, "close", None)
        try:
            if callable(closer):
                closer()
        finally:
            engine.close()

    return session, close


def _import_sql_front() -> None:
    import bitbucket_sql.engine  # noqa: F401
    import bitbucket_sql.server.session  # noqa: F401
    from bitbucket_sql.catalog.registry import all_tables

    all_tables()  # the table modules load lazily, under the import lock


class PgServer:
    """A PostgreSQL-protocol server over the configured databases."""

    def __init__(
        self,
        config: ServerConfig,
        open_session: SessionFactory | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if ssl_context is None and config.tls is not None:
            ssl_context = server_context(config.tls.cert, config.tls.key)
        workers = min(config.limits.max_connections, MAX_WORKER_THREADS)
        self.state = ServerState(
            config=config,
            ssl_context=ssl_context,
            open_session=open_session or open_sql_session,
            executor=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bbsql-serve"),
        )
        self._server: asyncio.Server | None = None
        self._tasks: dict[int, asyncio.Task[Any]] = {}
        self._stopped: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.port = config.port
        self.host = config.host

    async def start(self) -> None:
        """Bind the socket; ServerStartError with a clear remedy when the port is taken."""
        config = self.state.config
        self._loop = asyncio.get_running_loop()
        self._stopped = asyncio.Event()
        try:
            self._server = await asyncio.start_server(
                self._accept, config.host, config.port, reuse_address=True, limit=2**16
            )
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise ServerStartError(
                    error.errno,
                    f"port {config.port} on {config.host} is already in use (another PostgreSQL server?); "
                    "choose another with --port, or --port 0 to pick a free one",
                ) from None
            raise ServerStartError(
                error.errno or 0, f"cannot listen on {config.host}:{config.port}: {error.strerror or error}"
            ) from None
        sockets = self._server.sockets
        if sockets:
            self.port = sockets[0].getsockname()[1]
        if self.state.open_session is open_sql_session:
            # Import the engine and SQL front now (seconds, once), not inside the first clients' logins.
            await asyncio.get_running_loop().run_in_executor(self.state.executor, _import_sql_front)
        log.info(
            "listening on %s:%s (TLS %s)", self.host, self.port, "on" if self.state.ssl_context else "off"
        )

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.state.stopping:
            writer.close()
            return
        if len(self._tasks) >= self.state.config.limits.max_connections:
            writer.write(pq.error_response(pq.Report("FATAL", "53300", "sorry, too many clients already")))
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()
            return
        connection = ClientConnection(reader, writer, self.state)
        task = asyncio.current_task()
        assert task is not None
        self._tasks[connection.pid] = task
        try:
            await connection.serve()
        finally:
            self._tasks.pop(connection.pid, None)

    @property
    def stopped(self) -> bool:
        return self._stopped is not None and self._stopped.is_set()

    @property
    def connection_count(self) -> int:
        return len(self._tasks)

    def stop_from_thread(self, grace_s: float | None = None) -> concurrent.futures.Future[None]:
        """Start a graceful stop from another thread (tests, embedding); the future ends with it."""
        assert self._loop is not None, "the server was not started"
        return asyncio.run_coroutine_threadsafe(self.stop(grace_s), self._loop)

    async def serve_until_stopped(self) -> None:
        assert self._stopped is not None
        await self._stopped.wait()

    async def stop(self, grace_s: float | None = None) -> None:
        """Graceful shutdown: no new clients, idle ones closed, running queries finish or are cancelled."""
        grace = self.state.config.limits.shutdown_grace_s if grace_s is None else grace_s
        self.state.stopping = True
        if self._server is not None:
            self._server.close()
        connections = dict(self.state.registry.connections)
        for pid, connection in connections.items():
            if not connection.busy and pid in self._tasks:
                self._tasks[pid].cancel()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while any(c.busy for c in self.state.registry.connections.values()) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for connection in list(self.state.registry.connections.values()):
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
        log.info("server stopped")


async def serve_forever(server: PgServer, on_ready: Callable[[PgServer], None] | None = None) -> None:
    """Start, report readiness, and run until SIGTERM/SIGINT (then stop gracefully)."""
    await server.start()
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Task[None]] = []

    def request_stop() -> None:
        if not stopping:
            log.info("shutting down: finishing running queries")
            stopping.append(loop.create_task(server.stop()))

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, request_stop)
    if on_ready is not None:
        on_ready(server)
    await server.serve_until_stopped()
    if stopping:
        await stopping[0]


@contextlib.contextmanager
def serve_in_thread(
    config: ServerConfig,
    open_session: SessionFactory | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Iterator[PgServer]:
    """The server on its own event loop in a background thread (tests, ``--demo``), stopped at exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bbsql-serve-loop", daemon=True)
    thread.start()
    try:
        server = asyncio.run_coroutine_threadsafe(_create(config, open_session, ssl_context), loop).result()
        try:
            yield server
        finally:
            if not server.stopped:
                asyncio.run_coroutine_threadsafe(server.stop(grace_s=2), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _create(
    config: ServerConfig, open_session: SessionFactory | None, ssl_context: ssl.SSLContext | None
) -> PgServer:
    server = PgServer(config, open_session, ssl_context)
    await server.start()
    return server
