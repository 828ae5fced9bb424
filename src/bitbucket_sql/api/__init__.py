"""Bitbucket Cloud REST API 2.0 client: settings, auth schemes, paging, retries, accounting.

Importing this package is cheap; ``BitbucketClient`` and ``parse_connection_string`` are the
entry points (see docs/connection-properties.md and docs/authentication.md).
"""

from __future__ import annotations

from bitbucket_sql.api.errors import (
    AuthenticationError,
    BitbucketError,
    ConfigurationError,
    ConflictError,
    CrossHostError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TransportError,
    ValidationError,
)
from bitbucket_sql.api.settings import ConnectionSettings, parse_connection_string

__all__ = [
    "AuthenticationError",
    "BitbucketClient",
    "BitbucketError",
    "ConfigurationError",
    "ConflictError",
    "ConnectionSettings",
    "CrossHostError",
    "GoneError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "ValidationError",
    "parse_connection_string",
]


def __getattr__(name: str) -> object:
    # The client pulls in httpx and authlib; load it on first use only.
    if name == "BitbucketClient":
        from bitbucket_sql.api.client import BitbucketClient

        return BitbucketClient
    raise AttributeError(name)
