"""TLS and identification shared by the API client and the OAuth token client.

TLS verification is always on (there is deliberately no switch to disable it); ``CABundle``
adds a PEM bundle to the default trust store for corporate proxies and private CAs.
"""

from __future__ import annotations

import os
import ssl

import certifi

from bitbucket_sql import __version__
from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.settings import ConnectionSettings


def ssl_context(settings: ConnectionSettings) -> ssl.SSLContext:
    """A verifying TLS context: certifi's roots plus ``CABundle`` when given."""
    context = ssl.create_default_context(cafile=certifi.where())
    if settings.ca_bundle:
        path = os.path.expanduser(settings.ca_bundle)
        try:
            context.load_verify_locations(cafile=path)
        except (OSError, ssl.SSLError) as error:
            raise ConfigurationError(
                f"CABundle={settings.ca_bundle!r} could not be loaded ({error})",
                hint="Point CABundle at a readable PEM file of CA certificates",
            ) from None
    return context


def user_agent(settings: ConnectionSettings) -> str:
    """``bitbucket-sql/<version> (+httpx)`` plus the configured suffix."""
    base = f"bitbucket-sql/{__version__} (+httpx)"
    return f"{base} {settings.user_agent}" if settings.user_agent else base
