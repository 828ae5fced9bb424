"""Credentials the emulator accepts and how a request's ``Authorization`` header becomes a Principal.

Schemes, as on Bitbucket Cloud after 2026-07-28 (see the digest, section 6):

* API token: Basic ``<atlassian e-mail>:<api token>``, acting as the token's user.
* Access token (repository/project/workspace): Bearer, confined to its workspace.
* OAuth 2.0 access token: Bearer, issued by ``/site/oauth2/access_token`` (see ``oauth.py``),
  expires after ``access_token_ttl`` seconds.
* App passwords (Basic with a username, or any Basic password that is not an API token) were
  removed, and the answer says so, so users of old scripts learn what to change.
* No header: the anonymous principal (public repositories only).

Secrets are compared with ``hmac.compare_digest`` and never appear in messages or reprs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bitbucket_sql.emulator.middleware.controls import Clock
from bitbucket_sql.emulator.principal import ALL_SCOPES, ANONYMOUS, READ_SCOPES, Principal

DEMO_EMAIL = "demo@example.com"
DEMO_API_TOKEN = "demo-api-token"
DEMO_ACCESS_TOKEN = "demo-access-token"
DEMO_READONLY_TOKEN = "demo-readonly-token"
GLOBEX_ACCESS_TOKEN = "globex-access-token"
DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_CALLBACK_URL = "http://localhost:33333"

EXPIRED_MESSAGE = "Access token expired. Use your refresh token to obtain a new access token."
APP_PASSWORD_MESSAGE = (
    "Basic authentication failed: the password is not a valid API token. App passwords were removed "
    "on 2026-07-28; use an API token with your Atlassian account e-mail as the username, or an access "
    "token with 'Authorization: Bearer'."
)
BAD_TOKEN_MESSAGE = "Access token is invalid or has been revoked."
QUERY_TOKEN_MESSAGE = (
    "Access tokens in the query string are no longer accepted; send them in the header "
    "'Authorization: Bearer <token>'."
)
REFRESH_TOKEN_LIFETIME_S = 90 * 24 * 3600
AUTHORIZATION_CODE_LIFETIME_S = 600


class AuthenticationError(Exception):
    """A request's credentials were present but unusable; the message is safe to show."""


@dataclass(frozen=True)
class OAuthConsumer:
    """A registered OAuth consumer; its secret never appears in its repr."""

    client_id: str
    secret: str = field(repr=False)
    name: str
    callback_url: str
    scopes: frozenset[str]
    owner_email: str


@dataclass(frozen=True)
class IssuedToken:
    principal: Principal
    expires_at: float


@dataclass(frozen=True)
class Grant:
    """What an authorization code or refresh token stands for."""

    client_id: str
    user_uuid: str | None
    scopes: frozenset[str]
    expires_at: float
    redirect_uri: str | None = None


def _user_field(user: Any, name: str) -> Any:
    if user is None:
        return None
    if isinstance(user, Mapping):
        return user.get(name)
    return getattr(user, name, None)


def _same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class CredentialRegistry:
    """Every credential one emulator instance knows, including OAuth tokens it has issued.

    Guarded by a lock because the test thread may add credentials while the server thread
    authenticates requests.
    """

    def __init__(self, store: Any, clock: Clock, access_token_ttl: int = 7200) -> None:
        self.store = store
        self.clock = clock
        self.access_token_ttl = access_token_ttl
        self._lock = threading.Lock()
        self._api_tokens: dict[tuple[str, str], frozenset[str]] = {}
        self._access_tokens: dict[str, Principal] = {}
        self._consumers: dict[str, OAuthConsumer] = {}
        self._oauth_tokens: dict[str, IssuedToken] = {}
        self._refresh_tokens: dict[str, Grant] = {}
        self._codes: dict[str, Grant] = {}
        self._install_demo_credentials()

    # -- registration ---------------------------------------------------------------------------

    def _install_demo_credentials(self) -> None:
        self.add_api_token(DEMO_EMAIL, DEMO_API_TOKEN, ALL_SCOPES)
        self.add_access_token(DEMO_ACCESS_TOKEN, "acme", ALL_SCOPES, name="acme workspace token")
        self.add_access_token(DEMO_READONLY_TOKEN, "acme", READ_SCOPES, name="acme read-only token")
        self.add_access_token(GLOBEX_ACCESS_TOKEN, "globex", ALL_SCOPES, name="globex workspace token")
        self.add_consumer(
            OAuthConsumer(
                client_id=DEMO_CLIENT_ID,
                secret=DEMO_CLIENT_SECRET,
                name="bitbucket-sql demo",
                callback_url=DEMO_CALLBACK_URL,
                scopes=ALL_SCOPES,
                owner_email=DEMO_EMAIL,
            )
        )

    def add_api_token(self, email: str, token: str, scopes: frozenset[str] = ALL_SCOPES) -> None:
        with self._lock:
            self._api_tokens[(email.lower(), token)] = frozenset(scopes)

    def add_access_token(
        self, token: str, workspace: str, scopes: frozenset[str] = ALL_SCOPES, *, name: str | None = None
    ) -> None:
        principal = Principal(
            kind="access_token",
            user_uuid=None,
            scopes=frozenset(scopes),
            workspaces=frozenset({workspace}),
            name=name or f"{workspace} access token",
        )
        with self._lock:
            self._access_tokens[token] = principal

    def add_consumer(self, consumer: OAuthConsumer) -> None:
        with self._lock:
            self._consumers[consumer.client_id] = consumer

    def consumer(self, client_id: str) -> OAuthConsumer | None:
        with self._lock:
            return self._consumers.get(client_id)

    def check_client(self, client_id: str, secret: str) -> OAuthConsumer | None:
        consumer = self.consumer(client_id)
        if consumer is None or not _same_secret(secret, consumer.secret):
            return None
        return consumer

    # -- users ----------------------------------------------------------------------------------

    def user_uuid_for_email(self, email: str) -> str | None:
        finder = getattr(self.store, "user_by_email", None)
        if finder is None:
            return None
        lock = getattr(self.store, "lock", None)
        if lock is not None:
            with lock:
                user = finder(email)
        else:
            user = finder(email)
        return _user_field(user, "uuid")

    # -- authentication -------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an ``Authorization`` header value; raises AuthenticationError."""
        if not authorization or not authorization.strip():
            return ANONYMOUS
        scheme, _, credentials = authorization.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "basic":
            return self._basic(credentials)
        if scheme.lower() == "bearer":
            return self._bearer(credentials)
        raise AuthenticationError(
            f"Unsupported authentication scheme {scheme!r}; use Basic (e-mail and API token) or Bearer."
        )

    def _basic(self, credentials: str) -> Principal:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise AuthenticationError(
                "Malformed Basic credentials; expected base64 of 'email:token'."
            ) from error
        username, separator, password = decoded.partition(":")
        if not separator:
            raise AuthenticationError("Malformed Basic credentials; expected base64 of 'email:token'.")
        if "@" not in username:
            raise AuthenticationError(APP_PASSWORD_MESSAGE)
        with self._lock:
            scopes = next(
                (
                    granted
                    for (email, token), granted in self._api_tokens.items()
                    if email == username.lower() and _same_secret(password, token)
                ),
                None,
            )
        if scopes is None:
            raise AuthenticationError(APP_PASSWORD_MESSAGE)
        user_uuid = self.user_uuid_for_email(username)
        return Principal(kind="api_token", user_uuid=user_uuid, scopes=scopes, name=username.lower())

    def _bearer(self, token: str) -> Principal:
        if not token:
            raise AuthenticationError(BAD_TOKEN_MESSAGE)
        with self._lock:
            principal = self._access_tokens.get(token)
            issued = self._oauth_tokens.get(token)
        if principal is not None:
            return principal
        if issued is not None:
            if self.clock.now() >= issued.expires_at:
                raise AuthenticationError(EXPIRED_MESSAGE)
            return issued.principal
        raise AuthenticationError(BAD_TOKEN_MESSAGE)

    # -- OAuth token issuing (the grant logic lives in oauth.py) --------------------------------

    def issue_code(self, consumer: OAuthConsumer, user_uuid: str | None, redirect_uri: str | None) -> str:
        code = secrets.token_urlsafe(24)
        grant = Grant(
            consumer.client_id,
            user_uuid,
            consumer.scopes,
            self.clock.now() + AUTHORIZATION_CODE_LIFETIME_S,
            redirect_uri,
        )
        with self._lock:
            self._codes[code] = grant
        return code

    def redeem_code(self, code: str) -> Grant | None:
        """The code's grant if it is known and fresh; a code works once, even when it fails."""
        with self._lock:
            grant = self._codes.pop(code, None)
        if grant is None or self.clock.now() >= grant.expires_at:
            return None
        return grant

    def redeem_refresh_token(self, refresh_token: str) -> Grant | None:
        """The grant of a live refresh token, which is consumed (refresh tokens rotate)."""
        with self._lock:
            grant = self._refresh_tokens.pop(refresh_token, None)
        if grant is None or self.clock.now() >= grant.expires_at:
            return None
        return grant

    def issue_tokens(
        self, consumer: OAuthConsumer, user_uuid: str | None, scopes: frozenset[str]
    ) -> dict[str, Any]:
        """A new access token and refresh token; returns the token endpoint's JSON fields."""
        access_token = secrets.token_urlsafe(32)
        refresh_token = secrets.token_urlsafe(32)
        now = self.clock.now()
        principal = Principal(
            kind="oauth",
            user_uuid=user_uuid,
            scopes=scopes,
            workspaces=None,
            name=f"oauth consumer {consumer.client_id}",
        )
        with self._lock:
            self._oauth_tokens[access_token] = IssuedToken(principal, now + self.access_token_ttl)
            self._refresh_tokens[refresh_token] = Grant(
                consumer.client_id, user_uuid, scopes, now + REFRESH_TOKEN_LIFETIME_S
            )
        return {
            "access_token": access_token,
            "scopes": " ".join(sorted(scopes)),
            "expires_in": self.access_token_ttl,
            "token_type": "bearer",
            "refresh_token": refresh_token,
        }
