"""A total deadline per HTTP request: connect, TLS, send and every read of the answer together.

httpx's timeouts apply per socket operation, so a server that sends one byte a second keeps a
request alive forever. Here every socket operation of a request gets at most the time left
until that request's deadline: the deadline lives in a context variable set around the request
(:func:`request_deadline`), and a network backend for httpcore clips each operation's timeout
to it. Connections are pooled and reused, so the limit is looked up per operation, not per
socket. When the time is up the operation raises httpcore's timeout, which httpx reports as
``httpx.TimeoutException`` like any other timeout.
"""

from __future__ import annotations

import contextlib
import ssl
import time
import typing
from collections.abc import Iterator
from contextvars import ContextVar

import httpcore

from bitbucket_sql.api._httpx import httpx

_DEADLINE: ContextVar[float | None] = ContextVar("bitbucket_sql_request_deadline", default=None)


@contextlib.contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Every socket operation inside the block ends by ``seconds`` from now."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _clip(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` shortened to the time left before the deadline; raise when none is left."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's total deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clip(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clip(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        upgraded = self._inner.start_tls(ssl_context, server_hostname, _clip(timeout, httpcore.ConnectTimeout))
        return _DeadlineStream(upgraded)

    def get_extra_info(self, info: str) -> typing.Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's synchronous sockets, with every operation bounded by the request's deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _clip(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[typing.Any] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(path, _clip(timeout, httpcore.ConnectTimeout), socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's HTTP transport on a connection pool that uses :class:`DeadlineBackend`.

    httpx does not take a network backend, so the pool it built is replaced by an equivalent
    one that does (same TLS context and limits; HTTP/1.1 only, as before). With ``total`` the
    transport sets the deadline itself and reads the whole answer before returning (for
    clients whose requests are not sent by our code, such as authlib's token requests);
    without it, the caller wraps each request in :func:`request_deadline`.
    """

    def __init__(
        self, *, verify: ssl.SSLContext, limits: httpx.Limits | None = None, total: float | None = None
    ) -> None:
        limits = limits or httpx.Limits()
        self._total = total
        super().__init__(verify=verify, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=DeadlineBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._total is None:
            return super().handle_request(request)
        with request_deadline(self._total):
            response = super().handle_request(request)
            stream = response.stream
            assert isinstance(stream, httpx.SyncByteStream)
            try:
                content = b"".join(stream)
            finally:
                stream.close()
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            content=content,
            extensions=response.extensions,
        )
