"""Assembles one emulator application: routes, OAuth, removed features, admin routes, middleware.

``create_app(store, config)`` returns a Starlette app whose ``state`` carries the pieces tests
and the server handle reach for: ``store``, ``registry`` (credentials), ``controls`` (faults,
rate limit, latency, clock) and ``stats`` (request counters).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bitbucket_sql.emulator.admin_controls import control_routes
from bitbucket_sql.emulator.auth import CredentialRegistry
from bitbucket_sql.emulator.middleware.authentication import AuthenticationMiddleware
from bitbucket_sql.emulator.middleware.controls import Clock, Controls
from bitbucket_sql.emulator.middleware.encoded_slash import EncodedSlashMiddleware
from bitbucket_sql.emulator.middleware.envelope import error_response
from bitbucket_sql.emulator.middleware.faults import FaultMiddleware
from bitbucket_sql.emulator.middleware.latency import LatencyMiddleware
from bitbucket_sql.emulator.middleware.paths import TrailingSlashMiddleware
from bitbucket_sql.emulator.middleware.progress import ProgressMiddleware
from bitbucket_sql.emulator.middleware.rate_limit import RateLimitMiddleware
from bitbucket_sql.emulator.middleware.read_scopes import ReadScopeMiddleware
from bitbucket_sql.emulator.middleware.stats import RequestStats, StatsMiddleware
from bitbucket_sql.emulator.oauth import make_oauth_routes
from bitbucket_sql.emulator.removed import removed_routes
from bitbucket_sql.emulator.routes_read import read_routes
from bitbucket_sql.emulator.routes_write import write_routes
from bitbucket_sql.emulator.routes_write.merge_tasks import MergeTasks
from bitbucket_sql.emulator.routes_write.pipeline_runs import PipelineRuns

if TYPE_CHECKING:
    from bitbucket_sql.emulator.server import EmulatorConfig

logger = logging.getLogger(__name__)

STATUS_MESSAGES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Resource not found",
    405: "Method not allowed",
    411: "Length required",
}


def _admin_routes(stats: RequestStats) -> list[Route]:
    """Emulator-only routes (not part of Bitbucket): request statistics for tests and benchmarks."""

    async def read_stats(request: Request) -> Response:
        return JSONResponse(stats.snapshot())

    async def reset_stats(request: Request) -> Response:
        stats.reset()
        return JSONResponse(stats.snapshot())

    return [
        Route("/_emulator/stats", read_stats, methods=["GET"]),
        Route("/_emulator/stats/reset", reset_stats, methods=["POST"]),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = STATUS_MESSAGES.get(exc.status_code, exc.detail or "Error")
    detail = None
    if exc.status_code == 404:
        detail = f"No API resource at {request.url.path}."
    elif exc.status_code == 405:
        detail = f"{request.method} is not supported on {request.url.path}."
    return error_response(exc.status_code, message, detail=detail, headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    logger.error("emulator error on %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
    return error_response(500, "Internal Server Error", detail="The emulator failed to handle this request.")


def create_app(store: Any, config: EmulatorConfig) -> Starlette:
    """The ASGI application for ``store`` with ``config``'s faults, limits and latency."""
    clock = Clock()
    controls = Controls(
        seed=config.seed,
        latency_ms=config.latency_ms,
        jitter_ms=config.jitter_ms,
        rate_limit=config.rate_limit,
        retry_after=config.retry_after,
        fault_rate=config.fault_rate,
        clock=clock,
    )
    registry = CredentialRegistry(store, clock, access_token_ttl=config.access_token_ttl)
    stats = RequestStats()
    pipeline_runs = PipelineRuns(clock)
    merge_tasks = MergeTasks(clock)
    routes: list[BaseRoute] = [
        *_admin_routes(stats),
        *control_routes(),
        *make_oauth_routes(registry),
        *removed_routes(),
        *write_routes(store),
        *read_routes(store),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(TrailingSlashMiddleware),
            Middleware(EncodedSlashMiddleware),
            Middleware(StatsMiddleware, stats=stats),
            Middleware(AuthenticationMiddleware, registry=registry),
            Middleware(ReadScopeMiddleware),
            Middleware(RateLimitMiddleware, controls=controls),
            Middleware(LatencyMiddleware, controls=controls, stats=stats),
            Middleware(FaultMiddleware, controls=controls),
            Middleware(ProgressMiddleware, store=store, workers=(pipeline_runs, merge_tasks)),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.store = store
    app.state.config = config
    app.state.registry = registry
    app.state.controls = controls
    app.state.stats = stats
    app.state.pipeline_runs = pipeline_runs
    app.state.merge_tasks = merge_tasks
    return app
