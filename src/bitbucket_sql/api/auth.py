"""Authentication schemes: what goes into the ``Authorization`` header of API requests.

A scheme only produces header values; the client decides where they may be sent (the BaseURL
origin only). Token schemes that can renew themselves (``OAuth``, ``Client``) live in
:mod:`bitbucket_sql.api.oauth`; :func:`build_auth` picks the scheme the settings ask for.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any

from bitbucket_sql.api.errors import APP_PASSWORDS_REMOVED
from bitbucket_sql.api.redact import SCRUBBER
from bitbucket_sql.api.settings import ConnectionSettings

log = logging.getLogger("bitbucket_sql.api.auth")


@dataclass(frozen=True)
class AuthInfo:
    """What ``bbsql auth status`` may show about a credential (never the secret itself)."""

    scheme: str
    principal: str | None = None
    expires_at: float | None = None
    scopes: tuple[str, ...] = ()
    token_file: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AuthScheme:
    """Base scheme: anonymous access (no header)."""

    name = "None"

    def authorization(self) -> str | None:
        """The Authorization header value for the next API request (may renew a token)."""
        return None

    def recover(self, rejected: str | None) -> bool:
        """After a 401: try to obtain a new credential; True when retrying makes sense."""
        return False

    def describe(self) -> AuthInfo:
        return AuthInfo(scheme=self.name)

    def fingerprint(self) -> str:
        """A stable, non-reversible id of the credential (for the per-credential rate window)."""
        return "anonymous"

    def close(self) -> None:
        """Release resources (token HTTP clients)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} scheme={self.name}>"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


class BasicScheme(AuthScheme):
    """HTTP Basic: ``APIToken`` (Atlassian e-mail + API token) or legacy ``Basic`` (user + password)."""

    def __init__(self, name: str, user: str, secret: str) -> None:
        self.name = name
        self._user = user
        self._header = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode("ascii")
        self._fingerprint = _digest(name, user, secret)
        SCRUBBER.register(secret, self._header.split(" ", 1)[1])
        if name == "Basic":
            log.warning(
                "AuthScheme=Basic sends a username and password. %s Basic remains for "
                "Bitbucket-compatible servers.",
                APP_PASSWORDS_REMOVED,
            )

    def authorization(self) -> str | None:
        return self._header

    def describe(self) -> AuthInfo:
        return AuthInfo(scheme=self.name, principal=self._user)

    def fingerprint(self) -> str:
        return self._fingerprint


class BearerScheme(AuthScheme):
    """``AccessToken``: a repository/project/workspace access token or any OAuth access token."""

    name = "AccessToken"

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"
        self._fingerprint = _digest("bearer", token)
        SCRUBBER.register(token)

    def authorization(self) -> str | None:
        return self._header

    def fingerprint(self) -> str:
        return self._fingerprint


def build_auth(settings: ConnectionSettings, *, interactive: bool = True) -> AuthScheme:
    """The scheme for these settings. ``interactive=False`` never starts a browser sign-in."""
    SCRUBBER.register(*settings.secrets())
    scheme = settings.auth_scheme
    if scheme == "APIToken":
        return BasicScheme("APIToken", settings.user or "", settings.api_token or "")
    if scheme == "Basic":
        return BasicScheme("Basic", settings.user or "", settings.password or "")
    if scheme == "AccessToken":
        return BearerScheme(settings.access_token or settings.oauth_access_token or "")
    if scheme in ("OAuth", "Client"):
        from bitbucket_sql.api.oauth import ClientCredentialsScheme, OAuthScheme

        if scheme == "Client":
            return ClientCredentialsScheme(settings)
        return OAuthScheme(settings, interactive=interactive)
    return AuthScheme()
