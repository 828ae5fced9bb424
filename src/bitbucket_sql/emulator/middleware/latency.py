"""Artificial network latency: each request waits on its own, so concurrency is preserved.

The delay is an ``asyncio.sleep`` inside the request's own task and no lock is held while
waiting, so N concurrent requests with latency L take about L in total, not N x L: a client's
concurrent page fetching shows its real benefit against the emulator.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from bitbucket_sql.emulator.middleware.controls import Controls
from bitbucket_sql.emulator.middleware.scoping import is_admin_request
from bitbucket_sql.emulator.middleware.stats import RequestStats


class LatencyMiddleware:
    """Sleeps before handing the request on; tracks how many requests are inside at once."""

    def __init__(self, app: ASGIApp, controls: Controls, stats: RequestStats) -> None:
        self.app = app
        self.controls = controls
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_admin_request(scope):
            await self.app(scope, receive, send)
            return
        self.stats.enter()
        try:
            delay = self.controls.draw_delay_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.app(scope, receive, send)
        finally:
            self.stats.leave()
