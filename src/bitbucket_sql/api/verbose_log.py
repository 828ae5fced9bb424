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
_LIBRARIES = ("httpx", "httpcore")


class _Installed:
    """One handler for one destination, shared by the clients that asked for it."""

    def __init__(self, handler: logging.Handler, verbosity: int) -> None:
        self.handler = handler
        self.verbosity = verbosity
        self.users = 0


_installed: dict[str, _Installed] = {}
_saved_levels: dict[str, int] = {}
_lock = threading.Lock()


def configure_logging(settings: ConnectionSettings) -> str | None:
    """Install (or share) a handler for the configured verbosity; returns a key for :func:`release`."""
    verbosity = min(settings.verbosity, 5)
    if verbosity <= 0:
        return None
    destination = os.path.expanduser(settings.logfile) if settings.logfile else "<stderr>"
    with _lock:
        entry = _installed.get(destination)
        if entry is None:
            handler: logging.Handler
            if settings.logfile:
                handler = logging.FileHandler(destination, encoding="utf-8")
            else:
                handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter(_FORMAT))
            handler.addFilter(SCRUBBER)
            handler.setLevel(logging.DEBUG)
            entry = _installed[destination] = _Installed(handler, verbosity)
            logging.getLogger("bitbucket_sql").addHandler(handler)
            for name in _LIBRARIES:
                logging.getLogger(name).addHandler(handler)
        entry.users += 1
        entry.verbosity = max(entry.verbosity, verbosity)
        _apply_levels()
    return destination


def release(key: str | None) -> None:
    """Undo one :func:`configure_logging`; the last user removes the handler and levels."""
    if key is None:
        return
    with _lock:
        entry = _installed.get(key)
        if entry is None:
            return
        entry.users -= 1
        if entry.users > 0:
            return
        del _installed[key]
        logging.getLogger("bitbucket_sql").removeHandler(entry.handler)
        for name in _LIBRARIES:
            logging.getLogger(name).removeHandler(entry.handler)
        entry.handler.close()
        _apply_levels()


def _apply_levels() -> None:
    """Set logger levels for the highest verbosity in use, or restore them when none is."""
    verbosity = max((entry.verbosity for entry in _installed.values()), default=0)
    wanted = {
        "bitbucket_sql": logging.DEBUG,
        RETRY_LOG.name: logging.DEBUG,
        HTTP_LOG.name: logging.DEBUG if verbosity >= 2 else logging.WARNING,
        HEADERS_LOG.name: logging.DEBUG if verbosity >= 3 else logging.WARNING,
        "httpx": logging.DEBUG if verbosity >= 5 else logging.INFO if verbosity >= 4 else None,
        "httpcore": logging.DEBUG if verbosity >= 5 else None,
    }
    for name, level in wanted.items():
        logger = logging.getLogger(name)
        if verbosity == 0:
            if name in _saved_levels:
                logger.setLevel(_saved_levels.pop(name))
            continue
        if name not in _saved_levels:
            _saved_levels[name] = logger.level
        logger.setLevel(level if level is not None else _saved_levels[name])
