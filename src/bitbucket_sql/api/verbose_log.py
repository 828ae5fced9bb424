"""Verbosity and Logfile: what the client logs, where, and always with secrets removed.

Levels (each includes the ones before):

0. nothing beyond warnings (e.g. the Basic scheme's app-password warning);
1. retries, renewals and failed requests (logger ``bitbucket_sql.api.retry``);
2. one line per request: method, redacted URL, status, time, bytes (``bitbucket_sql.api.http``);
3. request and response headers with credentials masked (``bitbucket_sql.api.http.headers``);
4. httpx's own request lines;
5. httpx and httpcore debug traces.

Log lines are built from redacted values to begin with; the handlers installed here also
carry the process-wide :data:`~bitbucket_sql.api.redact.SCRUBBER` as a second safety net.
"""

from __future__ import annotations

import logging
import os
import threading

from bitbucket_sql.api.redact import SCRUBBER
from bitbucket_sql.api.settings import ConnectionSettings

RETRY_LOG = logging.getLogger("bitbucket_sql.api.retry")
HTTP_LOG = logging.getLogger("bitbucket_sql.api.http")
HEADERS_LOG = logging.getLogger("bitbucket_sql.api.http.headers")

_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
_installed: dict[tuple[str, int], logging.Handler] = {}
_lock = threading.Lock()


def configure_logging(settings: ConnectionSettings) -> None:
    """Install (once per destination and level) a handler for the configured verbosity."""
    verbosity = min(settings.verbosity, 5)
    if verbosity <= 0:
        return
    destination = os.path.expanduser(settings.logfile) if settings.logfile else "<stderr>"
    with _lock:
        if (destination, verbosity) in _installed:
            return
        handler: logging.Handler
        if settings.logfile:
            handler = logging.FileHandler(destination, encoding="utf-8")
        else:
            handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(SCRUBBER)
        handler.setLevel(logging.DEBUG)
        _installed[(destination, verbosity)] = handler
        package = logging.getLogger("bitbucket_sql")
        package.addHandler(handler)
        package.setLevel(logging.DEBUG)
        RETRY_LOG.setLevel(logging.DEBUG)
        HTTP_LOG.setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
        HEADERS_LOG.setLevel(logging.DEBUG if verbosity >= 3 else logging.WARNING)
        if verbosity >= 4:
            for name in ("httpx", "httpcore"):
                library = logging.getLogger(name)
                library.addHandler(handler)
                library.setLevel(logging.DEBUG if verbosity >= 5 or name == "httpx" else logging.WARNING)
                if name == "httpx" and verbosity == 4:
                    library.setLevel(logging.INFO)
