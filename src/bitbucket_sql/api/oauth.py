"""The self-renewing token schemes: ``OAuth`` (authorization code) and ``Client`` (client credentials).

Both keep the current token in an authlib client and renew it under a lock: one refresh at a
time, a minute before expiry (or a quarter of the lifetime for short-lived tokens), and once
more after a 401 unless another thread renewed meanwhile. ``OAuth`` adds the token file
(rotated refresh tokens are persisted at once) and the InitiateOAuth modes GETANDREFRESH /
REFRESH / OFF. Bitbucket's refresh tokens are single use, and connections, threads and processes
may share one token file, so an OAuth refresh is one cycle under the file's lock: re-read the
file (another process may have refreshed already: adopt its tokens), check that the new tokens
can be saved, then spend the refresh token and save its successor before the lock is released.
"""

from __future__ import annotations

import logging
import sys
import threading
from typing import Any

from bitbucket_sql.api.auth import AuthInfo, AuthScheme, _digest
from bitbucket_sql.api.errors import AuthenticationError, OAuthFlowError
from bitbucket_sql.api.oauth_client import (
    TOKEN_ERRORS,
    OAuth2Client,
    leeway_for,
    token_client,
    token_failure,
    token_scopes,
)
from bitbucket_sql.api.oauth_login import (
    authorization_code_login,
    default_open_browser,
    has_browser,
    stdin_is_terminal,
)
from bitbucket_sql.api.redact import SCRUBBER
from bitbucket_sql.api.settings import ConnectionSettings
from bitbucket_sql.api.token_store import TokenStore

__all__ = [
    "ClientCredentialsScheme",
    "OAuth2Client",
    "OAuthScheme",
    "TokenStore",
    "authorization_code_login",
    "default_open_browser",
    "token_client",
]

log = logging.getLogger("bitbucket_sql.api.oauth")


class _TokenScheme(AuthScheme):
    """Shared machinery: an authlib client holding the current token, renewed under a lock."""

    grant = "authorization_code"

    def __init__(self, settings: ConnectionSettings) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._client = token_client(settings)
        self._client.update_token = self._on_token_updated
        if self.grant == "client_credentials":
            self._client.metadata["grant_type"] = "client_credentials"
        self._fingerprint = _digest(self.name, settings.token_url, settings.oauth_client_id or "")

    # authlib calls this after refreshing (with the rotated refresh token) or re-fetching
    def _on_token_updated(self, token: dict[str, Any], **_: Any) -> None:
        SCRUBBER.register(token.get("access_token"), token.get("refresh_token"))
        self._client.leeway = leeway_for(token)
        self._persist(dict(token))

    def _persist(self, token: dict[str, Any]) -> None:
        """Client credentials tokens live in memory only; OAuth overrides this."""

    def _install(self, token: dict[str, Any]) -> None:
        SCRUBBER.register(token.get("access_token"), token.get("refresh_token"))
        self._client.token = token
        self._client.leeway = leeway_for(token)

    def _obtain(self) -> None:
        raise NotImplementedError

    def _current_access_token(self) -> str:
        with self._lock:
            if not self._client.token:
                self._obtain()
            try:
                active = self._client.ensure_active_token(self._client.token)
            except TOKEN_ERRORS as error:
                raise token_failure("Refreshing the OAuth token", error, self.settings) from None
            if not active:
                self._on_unrenewable()
            return str(self._client.token["access_token"])

    def _on_unrenewable(self) -> None:
        raise AuthenticationError(
            f"the {self.name} access token expired and cannot be renewed (no refresh token)",
            hint="Run 'bbsql auth login' to sign in again",
        )

    def authorization(self) -> str | None:
        return f"Bearer {self._current_access_token()}"

    def recover(self, rejected: str | None) -> bool:
        with self._lock:
            token = self._client.token
            if token and rejected and rejected != f"Bearer {token.get('access_token')}":
                return True  # another thread renewed it meanwhile
            return self._renew_now()

    def _renew_now(self) -> bool:
        raise NotImplementedError

    def describe(self) -> AuthInfo:
        with self._lock:
            token = dict(self._client.token or {})
        return AuthInfo(
            scheme=self.name,
            principal=self.settings.oauth_client_id,
            expires_at=token.get("expires_at"),
            scopes=token_scopes(token),
        )

    def fingerprint(self) -> str:
        return self._fingerprint

    def close(self) -> None:
        self._client.close()


class ClientCredentialsScheme(_TokenScheme):
    """``Client``: the client-credentials grant (acts as the consumer's owner), renewed before expiry."""

    name = "Client"
    grant = "client_credentials"

    def _obtain(self) -> None:
        try:
            token = self._client.fetch_token(self.settings.token_url, grant_type="client_credentials")
        except TOKEN_ERRORS as error:
            raise token_failure("The client-credentials grant", error, self.settings) from None
        self._install(dict(token))

    def _renew_now(self) -> bool:
        self._obtain()
        return True


class OAuthScheme(_TokenScheme):
    """``OAuth``: authorization-code tokens from the token file, refreshed and rotated."""

    name = "OAuth"

    def __init__(self, settings: ConnectionSettings, *, interactive: bool = True) -> None:
        super().__init__(settings)
        self.interactive = interactive
        self.store = TokenStore(settings.token_file)
        self._key = TokenStore.key(settings)

    def _persist(self, token: dict[str, Any]) -> None:
        if self.settings.initiate_oauth != "OFF":
            self.store.save(self._key, token)

    def _obtain(self) -> None:
        settings = self.settings
        if settings.initiate_oauth == "OFF":
            self._install({"access_token": settings.oauth_access_token, "token_type": "bearer"})
            return
        stored = self.store.load(self._key)
        if stored:
            self._install(stored)
            return
        if settings.oauth_access_token or settings.oauth_refresh_token:
            given: dict[str, Any] = {"token_type": "bearer", "access_token": settings.oauth_access_token or ""}
            if settings.oauth_refresh_token:
                given["refresh_token"] = settings.oauth_refresh_token
            if not settings.oauth_access_token:
                given["expires_at"] = 0  # only a refresh token: refresh at once
            self._install(given)
            return
        if settings.initiate_oauth == "REFRESH":
            why = "InitiateOAuth=REFRESH never opens a browser"
        elif not self.interactive:
            why = "this connection was opened with interactive=False, so it never starts a sign-in"
        elif not self._can_sign_in():
            why = (
                "this run cannot sign in by itself: stdin is not a terminal to paste into and no "
                "browser can be opened, as under cron, in CI or with '</dev/null'"
            )
        else:
            self._install(
                authorization_code_login(
                    settings,
                    open_browser=default_open_browser,
                    read_pasted=sys.stdin.readline if stdin_is_terminal() else None,
                    store=self.store,
                )
            )
            return
        raise AuthenticationError(
            f"no OAuth token is stored in {settings.token_file} for this consumer",
            hint=f"Run 'bbsql auth login' first ({why})",
        )

    def _can_sign_in(self) -> bool:
        """Whether a browser sign-in could finish here rather than wait minutes for nobody.

        It needs someone at a terminal (to paste the redirect on a headless machine) or a
        browser to open; a cron job or CI run with neither fails at once instead.
        """
        return self.interactive and (stdin_is_terminal() or has_browser())

    def _current_access_token(self) -> str:
        with self._lock:
            if self.settings.initiate_oauth == "OFF":
                if not self._client.token:
                    self._obtain()
                return str(self._client.token["access_token"])
            try:
                return self._fresh_access_token()
            except OAuthFlowError:
                if self.settings.initiate_oauth != "GETANDREFRESH" or not self._can_sign_in():
                    raise
                # GETANDREFRESH: the refresh token is dead (revoked, expired, rotated away): sign in again
                log.warning("The stored OAuth refresh token no longer works; starting a new sign-in.")
                self._client.token = None
                self.store.delete(self._key)
                return self._fresh_access_token()

    def _fresh_access_token(self) -> str:
        if not self._client.token:
            self._obtain()
        if self._expired() and not self._refresh_shared(rejected=None):
            self._on_unrenewable()
        return str(self._client.token["access_token"])

    def _expired(self) -> bool:
        token = self._client.token
        return bool(token and token.is_expired(leeway=self._client.leeway))

    def _refresh_shared(self, rejected: str | None) -> bool:
        """Renew the tokens under the token file's lock; False when there is no refresh token.

        Inside the lock the file is read again first: when another connection or process
        refreshed meanwhile, its tokens are adopted and no refresh token is spent (spending
        ours would fail with invalid_grant: it was rotated away). Before spending one, the
        folder is checked to be writable, since a refreshed token that cannot be saved loses
        the only valid refresh token.
        """
        with self.store.locked():
            current = self._client.token or {}
            stored = self.store.load(self._key)
            if stored and stored.get("access_token") != current.get("access_token"):
                self._install(stored)
                if not self._expired() and rejected != f"Bearer {stored.get('access_token')}":
                    log.debug("Adopted OAuth tokens that another connection stored after refreshing.")
                    return True
            refresh = (self._client.token or {}).get("refresh_token")
            if not refresh:
                return False
            self.store.check_writable()
            try:
                # authlib calls _on_token_updated, which saves the rotated tokens (same lock, re-entrant)
                self._client.refresh_token(self.settings.token_url, refresh_token=refresh)
            except TOKEN_ERRORS as error:
                raise token_failure("Refreshing the OAuth token", error, self.settings) from None
            return True

    def recover(self, rejected: str | None) -> bool:
        with self._lock:
            if self.settings.initiate_oauth == "OFF":
                return False
            token = self._client.token
            if token and rejected and rejected != f"Bearer {token.get('access_token')}":
                return True  # another thread of this connection renewed it meanwhile
            return self._refresh_shared(rejected=rejected)

    def _renew_now(self) -> bool:
        return self._refresh_shared(rejected=None)

    def describe(self) -> AuthInfo:
        info = super().describe()
        return AuthInfo(
            scheme=info.scheme,
            principal=info.principal,
            expires_at=info.expires_at,
            scopes=info.scopes,
            token_file=str(self.settings.token_file),
        )
