"""OAuth 2.0 endpoints at ``/site/oauth2/...``, as on bitbucket.org (not under ``/2.0``).

* ``GET /site/oauth2/authorize``: a small consent page naming the consumer and its scopes,
  with a "Grant access" form; the emulator's consent acts for the consumer's owner (the demo
  user), so the whole authorization-code flow can be driven by an HTTP client, no browser.
* ``POST /site/oauth2/authorize``: the form's answer, a 302 to the callback with ``code`` and
  ``state`` (or ``error=access_denied``).
* ``POST /site/oauth2/access_token``: form-encoded; client authentication by Basic
  ``client_id:secret`` or ``client_id``/``client_secret`` fields; grants
  ``authorization_code``, ``client_credentials`` and ``refresh_token``. Refresh tokens rotate:
  each use returns a new one and the old one stops working. Errors are OAuth JSON
  (``{"error": ..., "error_description": ...}``), not Bitbucket's envelope.
"""

from __future__ import annotations

import base64
import binascii
import html
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bitbucket_sql.emulator.auth import CredentialRegistry, Grant, OAuthConsumer

AUTHORIZE_PATH = "/site/oauth2/authorize"
TOKEN_PATH = "/site/oauth2/access_token"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def oauth_error(status_code: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status_code)


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    document = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>"
    )
    return HTMLResponse(document, status_code=status_code)


def _error_page(message: str) -> HTMLResponse:
    return _page("Authorization error", f"<h1>Authorization error</h1><p>{html.escape(message)}</p>", 400)


def redirect_allowed(consumer: OAuthConsumer, redirect_uri: str) -> bool:
    """The consumer's callback (or a URL below it) or any loopback URL, for tests on random ports."""
    if redirect_uri.startswith(consumer.callback_url):
        return True
    parts = urlsplit(redirect_uri)
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOOPBACK_HOSTS


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), parts.fragment))


async def _form(request: Request) -> dict[str, str]:
    """A form-encoded body as a dict (without python-multipart; these forms are flat)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _consent_page(consumer: OAuthConsumer, state: str | None, redirect_uri: str | None) -> HTMLResponse:
    scopes = "".join(f"<li>{html.escape(scope)}</li>" for scope in sorted(consumer.scopes))
    hidden = {"client_id": consumer.client_id, "response_type": "code"}
    if state is not None:
        hidden["state"] = state
    if redirect_uri is not None:
        hidden["redirect_uri"] = redirect_uri
    fields = "".join(
        f"<input type='hidden' name='{html.escape(name)}' value='{html.escape(value)}'>"
        for name, value in hidden.items()
    )
    body = (
        f"<h1>Authorize {html.escape(consumer.name)}</h1>"
        f"<p>{html.escape(consumer.name)} ({html.escape(consumer.client_id)}) would like access to your "
        "Bitbucket account with these permissions:</p>"
        f"<ul class='scopes'>{scopes}</ul>"
        f"<form method='post' action='{AUTHORIZE_PATH}'>{fields}"
        "<button type='submit' name='decision' value='grant'>Grant access</button> "
        "<button type='submit' name='decision' value='deny'>Cancel</button></form>"
    )
    return _page(f"Authorize {consumer.name}", body)


def _check_authorize_params(
    registry: CredentialRegistry, params: dict[str, str]
) -> tuple[OAuthConsumer | None, HTMLResponse | None]:
    client_id = params.get("client_id", "")
    if not client_id:
        return None, _error_page("The request has no client_id; pass your OAuth consumer's key.")
    consumer = registry.consumer(client_id)
    if consumer is None:
        return None, _error_page(f"No OAuth consumer has the key {client_id!r}.")
    response_type = params.get("response_type", "code")
    if response_type != "code":
        return None, _error_page(
            f"Unsupported response_type {response_type!r}: only 'code' is supported (the implicit grant was removed)."
        )
    redirect_uri = params.get("redirect_uri")
    if redirect_uri and not redirect_allowed(consumer, redirect_uri):
        return None, _error_page(f"redirect_uri {redirect_uri!r} does not match the consumer's callback URL.")
    return consumer, None


def make_oauth_routes(registry: CredentialRegistry) -> list[Route]:
    """The two OAuth routes, bound to one instance's credentials."""

    async def authorize_page(request: Request) -> Response:
        params = dict(request.query_params)
        consumer, problem = _check_authorize_params(registry, params)
        if problem is not None or consumer is None:
            return problem or _error_page("Unknown consumer.")
        return _consent_page(consumer, params.get("state"), params.get("redirect_uri"))

    async def authorize_decision(request: Request) -> Response:
        form = await _form(request)
        consumer, problem = _check_authorize_params(registry, form)
        if problem is not None or consumer is None:
            return problem or _error_page("Unknown consumer.")
        redirect_uri = form.get("redirect_uri") or None
        target = redirect_uri or consumer.callback_url
        answer: dict[str, str] = {}
        if form.get("decision", "grant") == "grant":
            user_uuid = registry.user_uuid_for_email(consumer.owner_email)
            answer["code"] = registry.issue_code(consumer, user_uuid, redirect_uri)
        else:
            answer["error"] = "access_denied"
            answer["error_description"] = "The user denied access."
        if "state" in form:
            answer["state"] = form["state"]
        return RedirectResponse(_with_query(target, answer), status_code=302)

    async def access_token(request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return oauth_error(
                400,
                "invalid_request",
                "Send the token request form-encoded (application/x-www-form-urlencoded).",
            )
        form = await _form(request)
        consumer_or_error = _authenticate_client(registry, request, form)
        if isinstance(consumer_or_error, Response):
            return consumer_or_error
        consumer = consumer_or_error
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            grant = _code_grant(registry, consumer, form)
        elif grant_type == "refresh_token":
            grant = _refresh_grant(registry, consumer, form)
        elif grant_type == "client_credentials":
            owner = registry.user_uuid_for_email(consumer.owner_email)
            grant = Grant(consumer.client_id, owner, consumer.scopes, float("inf"))
        elif not grant_type:
            return oauth_error(400, "invalid_request", "Missing grant_type.")
        else:
            return oauth_error(
                400,
                "unsupported_grant_type",
                f"Unsupported grant_type {grant_type!r}; use authorization_code, client_credentials or refresh_token.",
            )
        if isinstance(grant, Response):
            return grant
        tokens = registry.issue_tokens(consumer, grant.user_uuid, grant.scopes)
        tokens["state"] = grant_type
        return JSONResponse(tokens, headers={"Cache-Control": "no-store"})

    return [
        Route(AUTHORIZE_PATH, authorize_page, methods=["GET"]),
        Route(AUTHORIZE_PATH, authorize_decision, methods=["POST"]),
        Route(TOKEN_PATH, access_token, methods=["POST"]),
    ]


def _authenticate_client(
    registry: CredentialRegistry, request: Request, form: dict[str, str]
) -> OAuthConsumer | Response:
    client_id = form.get("client_id", "")
    secret = form.get("client_secret", "")
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return oauth_error(401, "invalid_client", "Malformed Basic client credentials.")
        client_id, _, secret = decoded.partition(":")
    if not client_id:
        return oauth_error(
            401, "invalid_client", "Client authentication required: Basic client_id:secret or form fields."
        )
    consumer = registry.check_client(client_id, secret)
    if consumer is None:
        return oauth_error(401, "invalid_client", "Invalid OAuth client credentials.")
    return consumer


def _redeem(
    consumer: OAuthConsumer,
    form: dict[str, str],
    grant_type: str,
    field: str,
    redeem: Callable[[str], Grant | None],
    invalid: str,
) -> Grant | Response:
    """The grant behind the single-use ``field`` of the form (a code or a refresh token), provided
    it was issued to ``consumer``; otherwise the OAuth error to answer."""
    value = form.get(field, "")
    if not value:
        return oauth_error(400, "invalid_request", f"Missing {field} for grant_type {grant_type}.")
    grant = redeem(value)
    if grant is None or grant.client_id != consumer.client_id:
        return oauth_error(400, "invalid_grant", invalid)
    return grant


def _code_grant(
    registry: CredentialRegistry, consumer: OAuthConsumer, form: dict[str, str]
) -> Grant | Response:
    grant = _redeem(
        consumer,
        form,
        "authorization_code",
        "code",
        registry.redeem_code,
        "The authorization code is invalid, expired or already used.",
    )
    if isinstance(grant, Response):
        return grant
    redirect_uri = form.get("redirect_uri")
    if redirect_uri and grant.redirect_uri and redirect_uri != grant.redirect_uri:
        return oauth_error(400, "invalid_grant", "redirect_uri does not match the one used to authorize.")
    if redirect_uri and not grant.redirect_uri and not redirect_allowed(consumer, redirect_uri):
        return oauth_error(400, "invalid_grant", "redirect_uri does not match the consumer's callback URL.")
    return grant


def _refresh_grant(
    registry: CredentialRegistry, consumer: OAuthConsumer, form: dict[str, str]
) -> Grant | Response:
    return _redeem(
        consumer,
        form,
        "refresh_token",
        "refresh_token",
        registry.redeem_refresh_token,
        "Invalid refresh_token (refresh tokens are single use).",
    )
