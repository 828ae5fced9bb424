"""Trailing slashes: Bitbucket answers ``/pullrequests/`` exactly like ``/pullrequests``.

Clients differ (atlassian-python-api adds a slash to every collection URL; the spec writes
``/pipelines/`` for triggering), so API paths lose one trailing slash before routing, statistics
included, instead of every route being declared twice.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bitbucket_sql.emulator.middleware.scoping import API_PREFIX


class TrailingSlashMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] == "http"
            and path.startswith(API_PREFIX + "/")
            and path.endswith("/")
            and len(path) > 5
        ):
            scope = dict(scope)
            scope["path"] = path.rstrip("/")
            raw_path = scope.get("raw_path")
            if isinstance(raw_path, bytes):
                scope["raw_path"] = raw_path.rstrip(b"/")
        await self.app(scope, receive, send)
