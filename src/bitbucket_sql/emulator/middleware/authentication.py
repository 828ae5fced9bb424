"""Turns the ``Authorization`` header into ``request.state.principal`` (or a 401)."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from bitbucket_sql.emulator.auth import QUERY_TOKEN_MESSAGE, AuthenticationError, CredentialRegistry
from bitbucket_sql.emulator.middleware.envelope import error_response
from bitbucket_sql.emulator.middleware.scoping import is_api_request
from bitbucket_sql.emulator.principal import ANONYMOUS

WWW_AUTHENTICATE = 'Basic realm="Bitbucket.org HTTP"'


class AuthenticationMiddleware:
    """Sets ``scope["state"]["principal"]``; answers 401 in the envelope for unusable credentials."""

    def __init__(self, app: ASGIApp, registry: CredentialRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if not is_api_request(scope):
            state["principal"] = ANONYMOUS
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if "access_token" in query:
            response = error_response(
                401, QUERY_TOKEN_MESSAGE, headers={"WWW-Authenticate": WWW_AUTHENTICATE}
            )
            await response(scope, receive, send)
            return
        try:
            principal = self.registry.authenticate(Headers(scope=scope).get("authorization"))
        except AuthenticationError as error:
            response = error_response(401, str(error), headers={"WWW-Authenticate": WWW_AUTHENTICATE})
            await response(scope, receive, send)
            return
        state["principal"] = principal
        await self.app(scope, receive, send)
