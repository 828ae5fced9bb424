"""Request counting by route template, for tests and benchmarks that check pushdown.

Counts every request except the emulator's own admin routes (``/_emulator/...``), keyed by
``"METHOD /path/{template}"`` so ``/2.0/repositories/acme/api/pullrequests`` and
``/2.0/repositories/globex/web/pullrequests`` add to the same counter. The template is found
before the request is handled, so requests rejected by auth, rate limiting or faults count too:
they reached the server, and a client that retries must pay for it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from starlette.routing import Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from bitbucket_sql.emulator.middleware.scoping import is_admin_request

UNMATCHED = "<unmatched>"
#: where the matched route template is left in the ASGI scope for inner middleware.
TEMPLATE_KEY = "bitbucket_sql.route_template"


class RequestStats:
    """Thread-safe counters read by the test thread while the server thread writes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: Counter[str] = Counter()
        self._in_flight = 0
        self._peak_in_flight = 0

    def record(self, key: str) -> None:
        with self._lock:
            self._routes[key] += 1

    def snapshot(self) -> dict[str, Any]:
        """``{"total": N, "routes": {"GET /2.0/...": n, ...}}`` (routes sorted by key)."""
        with self._lock:
            routes = dict(sorted(self._routes.items()))
        return {"total": sum(routes.values()), "routes": routes}

    def reset(self) -> None:
        with self._lock:
            self._routes.clear()
            self._peak_in_flight = self._in_flight

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._peak_in_flight = max(self._peak_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    @property
    def peak_in_flight(self) -> int:
        """Most requests inside the latency stage at once since the last reset.

        Counted by LatencyMiddleware around its sleep and the handler, so a lock that serialised
        delayed requests would keep this at 1 however many clients wait concurrently.
        """
        with self._lock:
            return self._peak_in_flight


def route_template(routes: list[Any], scope: Scope) -> str:
    """The path template of the route that will answer ``scope`` or ``<unmatched>``."""
    partial: str | None = None
    for route in routes:
        match, _ = route.matches(scope)
        path = getattr(route, "path", None)
        if path is None:
            continue
        if match is Match.FULL:
            return path
        if match is Match.PARTIAL and partial is None:
            partial = path
    return partial if partial is not None else UNMATCHED


class StatsMiddleware:
    """Counts each non-admin HTTP request under its route template."""

    def __init__(self, app: ASGIApp, stats: RequestStats, router: Router | None = None) -> None:
        self.app = app
        self.stats = stats
        self.router = router

    def _routes(self, scope: Scope) -> list[Route]:
        if self.router is not None:
            return [route for route in self.router.routes if isinstance(route, Route)]
        app = scope.get("app")
        return list(getattr(app, "routes", []))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_admin_request(scope):
            await self.app(scope, receive, send)
            return
        template = route_template(self._routes(scope), scope)
        scope[TEMPLATE_KEY] = template
        self.stats.record(f"{scope['method']} {template}")
        await self.app(scope, receive, send)
