"""OAuth 2.0 for Bitbucket: the ``OAuth`` (authorization code) and ``Client`` (client credentials) schemes.

Token handling (authorization URL, code exchange, refresh, expiry with leeway) is authlib's
``OAuth2Client``; this module adds what Bitbucket needs around it:

* a loopback callback listener for the authorization-code flow, with the browser opened when
  there is one and the URL printed (plus a paste-the-redirect prompt) when there is not;
* a token file (:class:`TokenStore`, mode 0600) written atomically, because Bitbucket rotates
  refresh tokens: the new refresh token replaces the old one, which dies shortly after, so a
  torn write would lose the only valid token;
* the InitiateOAuth modes GETANDREFRESH / REFRESH / OFF;
* thread-safe renewal: one refresh at a time, and a 401 renews only if nobody renewed already.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import sys
import tempfile
import threading
import time
import warnings
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import authlib.deprecate  # noqa: F401 - installs its warning filter before ours below
import httpx

from bitbucket_sql.api.auth import AuthInfo, AuthScheme, _digest
from bitbucket_sql.api.errors import AuthenticationError, ConfigurationError, OAuthFlowError
from bitbucket_sql.api.redact import SCRUBBER, redact_url
from bitbucket_sql.api.settings import ConnectionSettings
from bitbucket_sql.api.transport import ssl_context, user_agent

log = logging.getLogger("bitbucket_sql.api.oauth")

with warnings.catch_warnings():
    # authlib 1.9 prefers the httpx2 package and warns when it falls back to httpx, which is
    # exactly what we use; the integration itself is unchanged.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.oauth2.rfc6749.errors import OAuth2Error

#: Renew this many seconds before expiry (shorter for tokens that live only briefly).
DEFAULT_LEEWAY = 60


def _leeway_for(token: dict[str, Any]) -> int:
    lifetime = token.get("expires_in")
    try:
        lifetime = int(lifetime) if lifetime is not None else None
    except (TypeError, ValueError):
        lifetime = None
    if lifetime is not None and lifetime < 4 * DEFAULT_LEEWAY:
        return max(0, lifetime // 4)
    return DEFAULT_LEEWAY


def token_scopes(token: dict[str, Any]) -> tuple[str, ...]:
    """Granted scopes from a token response (Bitbucket says ``scopes``, RFC 6749 ``scope``)."""
    raw = token.get("scopes") or token.get("scope") or ""
    if isinstance(raw, list | tuple):
        return tuple(str(s) for s in raw)
    return tuple(str(raw).replace(",", " ").split())


# --- token file -----------------------------------------------------------------------------


class TokenStore:
    """Tokens of OAuth consumers in one JSON file, keyed by token endpoint and client id.

    Writes go to a temporary file in the same directory (mode 0600), are fsynced and then
    renamed over the old file, so readers always see a complete file and a crash never leaves
    a half-written token file behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    @staticmethod
    def key(settings: ConnectionSettings) -> str:
        return f"{settings.token_url} {settings.oauth_client_id or ''}"

    def _read(self) -> dict[str, Any]:
        try:
            with self.path.open("r", encoding="utf-8") as handle:
                document = json.load(handle)
        except FileNotFoundError:
            return {"version": 1, "tokens": {}}
        except (OSError, ValueError) as error:
            raise ConfigurationError(
                f"the OAuth token file {self.path} cannot be read ({type(error).__name__})",
                hint="Delete it (bbsql auth logout) and sign in again with 'bbsql auth login'",
            ) from None
        if not isinstance(document, dict) or not isinstance(document.get("tokens"), dict):
            return {"version": 1, "tokens": {}}
        return document

    def load(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            token = self._read()["tokens"].get(key)
        if isinstance(token, dict) and token.get("access_token"):
            SCRUBBER.register(token.get("access_token"), token.get("refresh_token"))
            return dict(token)
        return None

    def save(self, key: str, token: dict[str, Any]) -> None:
        with self._lock:
            document = self._read()
            document["tokens"][key] = {**dict(token), "saved_at": int(time.time())}
            self._write(document)

    def delete(self, key: str) -> bool:
        with self._lock:
            document = self._read()
            if key not in document["tokens"]:
                return False
            del document["tokens"][key]
            if document["tokens"]:
                self._write(document)
            else:
                self.path.unlink(missing_ok=True)
            return True

    def _write(self, document: dict[str, Any]) -> None:
        directory = self.path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".oauth-", suffix=".tmp", dir=directory)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable
            directory_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(directory_fd)
            finally:
                os.close(directory_fd)


# --- authlib client -------------------------------------------------------------------------


def token_client(settings: ConnectionSettings, redirect_uri: str | None = None) -> OAuth2Client:
    """An authlib OAuth2 client for the consumer (client_secret_basic at the token endpoint)."""
    return OAuth2Client(
        client_id=settings.oauth_client_id,
        client_secret=settings.oauth_client_secret,
        token_endpoint_auth_method="client_secret_basic",
        scope=settings.scope,
        redirect_uri=redirect_uri or settings.callback_url,
        token_endpoint=settings.token_url,
        timeout=settings.timeout,
        verify=ssl_context(settings),
        headers={"User-Agent": user_agent(settings)},
        follow_redirects=False,
        trust_env=False,
    )


def _token_failure(action: str, error: Exception, settings: ConnectionSettings) -> AuthenticationError:
    """Translate authlib/httpx failures at the token endpoint into one readable error."""
    url = redact_url(settings.token_url)
    if isinstance(error, OAuthError | OAuth2Error):
        code = getattr(error, "error", None) or "error"
        description = getattr(error, "description", None) or ""
        summary = f"{action} failed at the token endpoint: {code} {description}".strip()
        if code == "invalid_grant":
            hint = (
                "The refresh token or authorization code is no longer valid (Bitbucket rotates refresh "
                "tokens and expires unused ones after 3 months). Run 'bbsql auth login' to sign in again"
            )
        elif code in ("invalid_client", "unauthorized_client"):
            hint = "Check OAuthClientId and OAuthClientSecret (the consumer's key and secret)"
        else:
            hint = "Run 'bbsql auth login' to sign in again"
        return OAuthFlowError(summary, method="POST", url=url, hint=hint)
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return OAuthFlowError(
            f"{action} failed: the token endpoint answered HTTP {status}",
            status=status,
            method="POST",
            url=url,
            hint="Check OAuthTokenURL and the consumer credentials, or retry later",
        )
    if isinstance(error, httpx.HTTPError):
        return OAuthFlowError(
            f"{action} failed: the token endpoint could not be reached ({type(error).__name__})",
            method="POST",
            url=url,
            hint="Check the network, BaseURL/OAuthTokenURL and CABundle",
        )
    return OAuthFlowError(f"{action} failed: {type(error).__name__}", method="POST", url=url)


# --- authorization-code flow ------------------------------------------------------------------


class CallbackListener:
    """A one-shot HTTP listener on the loopback CallbackURL that receives ``?code=&state=``.

    Port 0 in CallbackURL binds a free port (the redirect URI then names the bound port).
    Requests are never logged (the query holds the authorization code).
    """

    def __init__(self, callback_url: str) -> None:
        parts = urlsplit(callback_url)
        host = parts.hostname or "localhost"
        bind_host = "127.0.0.1" if host == "localhost" else host
        self._path = parts.path or "/"
        self._result: str | None = None
        self._arrived = threading.Event()
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                split = urlsplit(self.path)
                query = parse_qs(split.query)
                if (split.path or "/") != listener._path or not ({"code", "error"} & query.keys()):
                    self.send_response(404)
                    self.end_headers()
                    return
                ok = "code" in query
                body = (
                    "<html><body><h1>bitbucket-sql is signed in</h1><p>You can close this window.</p>"
                    if ok
                    else "<html><body><h1>Sign-in was not completed</h1><p>Return to the terminal.</p>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                listener.offer(f"{listener.redirect_uri}?{split.query}")

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # the request line holds the authorization code

        try:
            self._server = http.server.HTTPServer((bind_host, parts.port or 80), Handler)
        except OSError as error:
            raise OAuthFlowError(
                f"cannot listen on CallbackURL {callback_url} ({error.strerror or error})",
                hint="Another program uses that port; set CallbackURL to a free loopback port that is "
                "registered as the consumer's callback URL",
            ) from None
        port = self._server.server_address[1]
        netloc = f"{host}:{port}"
        self.redirect_uri = urlunsplit(("http", netloc, parts.path or "", "", ""))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="oauth-callback", daemon=True
        )

    def offer(self, redirected_url: str) -> None:
        """Accept a redirect URL (from the listener or pasted by the user); the first one wins."""
        if not self._arrived.is_set():
            self._result = redirected_url.strip()
            self._arrived.set()

    def __enter__(self) -> CallbackListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> str | None:
        self._arrived.wait(timeout)
        return self._result


def has_browser() -> bool:
    """Whether a graphical browser can be opened (text browsers would hijack the terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def default_open_browser(url: str) -> bool:
    if not has_browser():
        return False
    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error:
        return False


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def authorization_code_login(
    settings: ConnectionSettings,
    *,
    open_browser: Callable[[str], bool] | None = default_open_browser,
    announce: Callable[[str], None] = _stderr,
    read_pasted: Callable[[], str] | None = None,
    timeout: float = 300.0,
    store: TokenStore | None = None,
) -> dict[str, Any]:
    """Run the authorization-code flow and return (and store) the token.

    The browser is opened when ``open_browser`` manages to; the URL is always announced. On
    a headless machine the user opens the URL elsewhere and pastes the address the browser
    was redirected to (``read_pasted`` reads it); whichever arrives first is used.
    """
    if not (settings.oauth_client_id and settings.oauth_client_secret):
        raise ConfigurationError(
            "OAuth sign-in needs OAuthClientId and OAuthClientSecret",
            hint="Create an OAuth consumer in Bitbucket workspace settings and add both to the connection",
        )
    store = store or TokenStore(settings.token_file)
    with (
        CallbackListener(settings.callback_url) as listener,
        token_client(settings, redirect_uri=listener.redirect_uri) as client,
    ):
        url, state = client.create_authorization_url(settings.authorization_url)
        opened = bool(open_browser(url)) if open_browser else False
        if opened:
            announce(f"Opened your browser to sign in to Bitbucket. If it did not open, visit:\n  {url}")
        else:
            announce(
                "Sign in to Bitbucket by opening this URL in a browser:\n"
                f"  {url}\n"
                f"After you grant access, the browser is sent to {listener.redirect_uri}. If that "
                "page does not load (the browser runs on another machine), copy the address from "
                "the browser's address bar and paste it here."
            )
            if read_pasted is not None:
                threading.Thread(
                    target=lambda: _offer_pasted(listener, read_pasted), name="oauth-paste", daemon=True
                ).start()
        redirected = listener.wait(timeout)
        if redirected is None:
            raise OAuthFlowError(
                f"no authorization arrived at {listener.redirect_uri} within {timeout:g} seconds",
                hint="Run 'bbsql auth login' again and complete the consent page in time",
            )
        query = parse_qs(urlsplit(redirected).query)
        if "error" in query:
            reason = " ".join(query.get("error_description", query["error"]))
            raise OAuthFlowError(
                f"Bitbucket did not grant access: {reason}",
                hint="Run 'bbsql auth login' again and choose 'Grant access'",
            )
        if query.get("state", [None])[0] != state:
            raise OAuthFlowError(
                "the authorization response does not belong to this sign-in (state mismatch)",
                hint="Run 'bbsql auth login' again and use the newest URL only",
            )
        SCRUBBER.register(*query.get("code", []))
        try:
            token = client.fetch_token(settings.token_url, authorization_response=redirected, state=state)
        except (OAuthError, OAuth2Error, httpx.HTTPError, ValueError) as error:
            raise _token_failure("Exchanging the authorization code", error, settings) from None
    token = dict(token)
    SCRUBBER.register(token.get("access_token"), token.get("refresh_token"))
    store.save(TokenStore.key(settings), token)
    return token


def _offer_pasted(listener: CallbackListener, read_pasted: Callable[[], str]) -> None:
    with contextlib.suppress(EOFError, OSError, ValueError):
        pasted = read_pasted()
        if pasted and ("code=" in pasted or "error=" in pasted):
            listener.offer(pasted)


# --- schemes --------------------------------------------------------------------------------


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
        self._client.leeway = _leeway_for(token)
        self._persist(dict(token))

    def _persist(self, token: dict[str, Any]) -> None:
        """Client credentials tokens live in memory only; OAuth overrides this."""

    def _install(self, token: dict[str, Any]) -> None:
        SCRUBBER.register(token.get("access_token"), token.get("refresh_token"))
        self._client.token = token
        self._client.leeway = _leeway_for(token)

    def _obtain(self) -> None:
        raise NotImplementedError

    def _current_access_token(self) -> str:
        with self._lock:
            if not self._client.token:
                self._obtain()
            try:
                active = self._client.ensure_active_token(self._client.token)
            except (OAuthError, OAuth2Error, httpx.HTTPError, ValueError) as error:
                raise _token_failure("Refreshing the OAuth token", error, self.settings) from None
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
        except (OAuthError, OAuth2Error, httpx.HTTPError, ValueError) as error:
            raise _token_failure("The client-credentials grant", error, self.settings) from None
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
        if settings.initiate_oauth == "REFRESH" or not self.interactive:
            raise AuthenticationError(
                f"no OAuth token is stored in {settings.token_file} for this consumer",
                hint="Run 'bbsql auth login' first (InitiateOAuth=REFRESH never opens a browser)",
            )
        self._install(authorization_code_login(settings, store=self.store))

    def _current_access_token(self) -> str:
        with self._lock:
            if self.settings.initiate_oauth == "OFF":
                if not self._client.token:
                    self._obtain()
                return str(self._client.token["access_token"])
            token = self._client.token
            if token and token.is_expired(leeway=self._client.leeway):
                self._adopt_newer_stored_token()
            return super()._current_access_token()

    def _adopt_newer_stored_token(self) -> bool:
        """Use tokens another process stored meanwhile (its refresh killed our refresh token)."""
        current = self._client.token or {}
        stored = self.store.load(self._key)
        if stored and stored.get("refresh_token") != current.get("refresh_token"):
            self._install(stored)
            return True
        return False

    def _renew_now(self) -> bool:
        if self.settings.initiate_oauth == "OFF":
            return False
        if self._adopt_newer_stored_token():
            token = self._client.token
            if not token.is_expired(leeway=self._client.leeway):
                return True  # another process rotated the tokens already
        token = self._client.token or {}
        refresh = token.get("refresh_token")
        if not refresh:
            return False
        try:
            self._client.refresh_token(self.settings.token_url, refresh_token=refresh)
        except (OAuthError, OAuth2Error, httpx.HTTPError, ValueError) as error:
            raise _token_failure("Refreshing the OAuth token", error, self.settings) from None
        return True

    def describe(self) -> AuthInfo:
        info = super().describe()
        return AuthInfo(
            scheme=info.scheme,
            principal=info.principal,
            expires_at=info.expires_at,
            scopes=info.scopes,
            token_file=str(self.settings.token_file),
        )
