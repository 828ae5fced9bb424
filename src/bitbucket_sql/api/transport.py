"""TLS and identification shared by the API client and the OAuth token client.

TLS verification is always on (there is deliberately no switch to disable it); ``CABundle``
adds a PEM bundle to the default trust store for corporate proxies and private CAs.
"""

from __future__ import annotations

import functools
import os
import ssl

import certifi

from bitbucket_sql import __version__
from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.settings import ConnectionSettings


def ssl_context(settings: ConnectionSettings) -> ssl.SSLContext:
    """A verifying TLS context: certifi's roots plus ``CABundle`` when given.

    Building one parses certifi's bundle (~15 ms of CPU), so contexts are shared: one per distinct
    CA configuration (the bundle file's path, size and modification time, so an edited bundle is
    read again). A context only holds trust settings and is safe to share between clients.
    """
    path = os.path.expanduser(settings.ca_bundle) if settings.ca_bundle else None
    stamp: tuple[int, int] | None = None
    if path is not None:
        try:
            info = os.stat(path)
            stamp = (info.st_size, info.st_mtime_ns)
        except OSError:
            stamp = None  # _new_ssl_context reports it, naming the setting
    return _shared_ssl_context(settings.ca_bundle, path, stamp)


@functools.lru_cache(maxsize=16)
def _shared_ssl_context(
    ca_bundle: str | None, path: str | None, stamp: tuple[int, int] | None
) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    if path is not None:
        try:
            context.load_verify_locations(cafile=path)
        except (OSError, ssl.SSLError) as error:
            raise ConfigurationError(
                f"CABundle={ca_bundle!r} could not be loaded ({error})",
                hint="Point CABundle at a readable PEM file of CA certificates",
            ) from None
    return context


def user_agent(settings: ConnectionSettings) -> str:
    """``bitbucket-sql/<version> (+httpx)`` plus the configured suffix."""
    base = f"bitbucket-sql/{__version__} (+httpx)"
    return f"{base} {settings.user_agent}" if settings.user_agent else base
