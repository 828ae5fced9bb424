"""Every GET of the emulated API: ``read_routes(store)`` returns starlette routes under ``/2.0``.

Route paths use the spec's placeholder names (``{workspace}``, ``{repo_slug}``,
``{pull_request_id}``, ...) so per-template request counters read like the spec. The server
mounts these behind its authentication middleware, which puts the caller on
``request.state.principal``; without one a request is treated as anonymous.
"""

from __future__ import annotations

from starlette.routing import Route

from ..store import Store
from . import (
    accounts,
    filehistory,
    insights,
    pipeline_settings,
    pipelines,
    pullrequests,
    repositories,
    snippets,
    source,
    source_tree,
    workspaces,
)
from .context import endpoint

PREFIX = "/2.0"


def read_routes(store: Store) -> list[Route]:
    """GET routes for ``store``; more specific templates come before generic ones."""
    table = [
        *workspaces.ROUTES,
        *repositories.ROUTES,
        *source.ROUTES,
        *source_tree.ROUTES,
        *pullrequests.ROUTES,
        *pipelines.ROUTES,
        *insights.ROUTES,
        *filehistory.ROUTES,
        *pipeline_settings.ROUTES,
        *accounts.ROUTES,
        *snippets.ROUTES,
    ]
    return [
        Route(PREFIX + path, endpoint(store, handler), methods=["GET"], name=f"GET {PREFIX}{path}")
        for path, handler in table
    ]


__all__ = ["read_routes"]
