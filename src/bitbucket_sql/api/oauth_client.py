"""authlib's OAuth 2.0 client, configured for Bitbucket's token endpoint, and its failures explained.

Token handling (authorization URL, code exchange, refresh, client credentials, expiry with a
leeway) is authlib's ``OAuth2Client``; this module builds one per consumer with the connection's
TLS and User-Agent settings and turns authlib/httpx errors into one readable error.
"""

from __future__ import annotations

import warnings
from typing import Any

import authlib.deprecate  # noqa: F401 - installs its warning filter before ours below

from bitbucket_sql.api._httpx import httpx
from bitbucket_sql.api.deadline import DeadlineTransport
from bitbucket_sql.api.errors import AuthenticationError, OAuthFlowError
from bitbucket_sql.api.redact import redact_url
from bitbucket_sql.api.settings import ConnectionSettings
from bitbucket_sql.api.transport import ssl_context, user_agent

with warnings.catch_warnings():
    # authlib 1.9 prefers the httpx2 package and warns when it falls back to httpx, which is
    # exactly what we use; the integration itself is unchanged.
    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.httpx_client import OAuth2Client
    from authlib.oauth2.rfc6749.errors import OAuth2Error

#: What a token request can raise: OAuth error answers, HTTP failures, non-JSON answers.
TOKEN_ERRORS = (OAuthError, OAuth2Error, httpx.HTTPError, ValueError)

#: Renew this many seconds before expiry (shorter for tokens that live only briefly).
DEFAULT_LEEWAY = 60


def leeway_for(token: dict[str, Any]) -> int:
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
        # Timeout bounds each token request as a whole, as for API requests (api/deadline.py)
        transport=DeadlineTransport(verify=ssl_context(settings), total=settings.timeout),
        verify=ssl_context(settings),
        headers={"User-Agent": user_agent(settings)},
        follow_redirects=False,
        trust_env=False,
    )


def token_failure(action: str, error: Exception, settings: ConnectionSettings) -> AuthenticationError:
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
    if isinstance(error, httpx.TimeoutException):
        return OAuthFlowError(
            f"{action} failed: the token endpoint did not answer within Timeout={settings.timeout:g} seconds",
            method="POST",
            url=url,
            hint="Timeout bounds the whole token request; retry later or raise Timeout",
        )
    if isinstance(error, httpx.HTTPError):
        return OAuthFlowError(
            f"{action} failed: the token endpoint could not be reached ({type(error).__name__})",
            method="POST",
            url=url,
            hint="Check the network, BaseURL/OAuthTokenURL and CABundle",
        )
    return OAuthFlowError(f"{action} failed: {type(error).__name__}", method="POST", url=url)
