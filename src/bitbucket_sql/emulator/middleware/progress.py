"""Work the API does after answering: triggered pipelines advance, queued merges complete.

Before each API request, the pipeline runs and merge tasks on ``app.state`` are brought up to the
emulator clock, so any read (and any write) sees the state the real service would show by then.
Nothing runs in the background: without requests, nothing changes, which keeps tests
deterministic (``emu.advance_time`` moves the clock; the next request sees the effect).
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from bitbucket_sql.emulator.middleware.scoping import is_api_request


class ProgressMiddleware:
    def __init__(self, app: ASGIApp, store: Any, workers: tuple[Any, ...]) -> None:
        self.app = app
        self.store = store
        self.workers = workers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_api_request(scope):
            with self.store.lock:
                for worker in self.workers:
                    worker.tick()
        await self.app(scope, receive, send)
