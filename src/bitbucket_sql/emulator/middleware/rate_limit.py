"""Per-credential request limits over a rolling hour, answered the way Bitbucket answers them.

Counting follows the digest (section 7): API tokens count per user, access tokens per token,
OAuth per consumer, anonymous callers per client IP. Beyond the limit the answer is exactly
Bitbucket's: 429, ``Content-Type: text/plain``, body ``Rate limit for this resource has been
exceeded`` and no ``Retry-After`` unless the emulator was started with ``retry_after``.
Rejected requests do not count, so a client that backs off regains access as the window rolls.
"""

from __future__ import annotations

from collections import deque

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bitbucket_sql.emulator.middleware.controls import Controls
from bitbucket_sql.emulator.middleware.scoping import is_api_request
from bitbucket_sql.emulator.principal import ANONYMOUS, Principal

WINDOW_SECONDS = 3600.0
RATE_LIMIT_BODY = "Rate limit for this resource has been exceeded"
NEAR_LIMIT_FRACTION = 0.1


def _credential_key(principal: Principal, scope: Scope) -> str:
    if principal.is_anonymous:
        client = scope.get("client") or ("unknown", 0)
        return f"ip:{client[0]}"
    return principal.identity


class RateLimitMiddleware:
    """Rolling-window limiter; a deque of request times per credential."""

    def __init__(self, app: ASGIApp, controls: Controls) -> None:
        self.app = app
        self.controls = controls
        self._windows: dict[str, deque[float]] = {}
        self._generation = controls.rate_limit_generation

    def _admit(self, key: str, limit: int) -> tuple[bool, int]:
        """Whether the request may proceed, and how many requests remain in the window after it."""
        if self._generation != self.controls.rate_limit_generation:
            self._windows.clear()
            self._generation = self.controls.rate_limit_generation
        now = self.controls.clock.now()
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= limit:
            return False, 0
        window.append(now)
        return True, limit - len(window)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.controls.rate_limit
        if limit is None or not is_api_request(scope):
            await self.app(scope, receive, send)
            return
        principal: Principal = scope.get("state", {}).get("principal", ANONYMOUS)
        admitted, remaining = self._admit(_credential_key(principal, scope), limit)
        if not admitted:
            # Exactly "text/plain", without the charset Starlette would add, as Bitbucket sends it.
            headers = {"Content-Type": "text/plain"}
            if self.controls.retry_after is not None:
                headers["Retry-After"] = str(self.controls.retry_after)
            response = Response(RATE_LIMIT_BODY.encode(), status_code=429, headers=headers)
            await response(scope, receive, send)
            return
        if principal.kind != "access_token" or not scope["path"].startswith("/2.0/repositories/"):
            await self.app(scope, receive, send)
            return

        # Only access tokens on repository data see the scaled-limit headers (digest section 7).
        near = remaining <= limit * NEAR_LIMIT_FRACTION
        extra = [
            (b"x-ratelimit-limit", str(limit).encode()),
            (b"x-ratelimit-resource", b"api"),
            (b"x-ratelimit-nearlimit", b"true" if near else b"false"),
        ]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
