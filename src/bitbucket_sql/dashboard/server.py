"""Serving the dashboard on loopback: a werkzeug server on a chosen or free port, in a thread.

Dash's own ``app.run`` cannot report the port it got for ``--port 0`` and cannot be stopped from
another thread; ``make_server`` can do both, which the CLI (printing the URL) and the browser
tests (one server per test module) need.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class DashboardServer:
    """A running dashboard: ``url``, ``serve_forever()`` (blocking) or ``start()``/``stop()``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app.server, threaded=True)
        self.host = host
        self.port = int(self._server.server_port)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> DashboardServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="bbsql-dashboard", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


@contextlib.contextmanager
def running_dashboard(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[DashboardServer]:
    """The dashboard served in a background thread until the block ends."""
    server = DashboardServer(app, host, port).start()
    try:
        yield server
    finally:
        server.stop()
