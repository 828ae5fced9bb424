"""Injected server failures, reproducible by seed, to exercise client retries.

A ``fault_rate`` fraction of API requests fail before reaching their route (so a failed write
changes nothing): 500, 502 or 503 in the error envelope, or a dropped connection (the socket
is closed without any response). The choices come from ``random.Random(seed)``, so the same
seed and request sequence give the same faults.

Scripted faults (``Controls.fail_requests``) are deterministic instead: "the 3rd write from now
fails with 500", optionally *after* the route has applied the change (its answer is replaced by
the fault, or the connection is dropped, or held until the client times out), which is how a
client meets a write that reached the server but whose answer was lost.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from bitbucket_sql.emulator.middleware.controls import Controls, ScriptedFault
from bitbucket_sql.emulator.middleware.envelope import error_response
from bitbucket_sql.emulator.middleware.scoping import is_api_request

FAULT_MESSAGES = {
    "500": (500, "Internal Server Error", "Something went wrong (emulated fault). Retry the request."),
    "502": (502, "Bad Gateway", "The upstream server failed to answer (emulated fault). Retry the request."),
    "503": (
        503,
        "Service Unavailable",
        "Bitbucket is temporarily unavailable (emulated fault). Retry later.",
    ),
}


def _server_transport(receive: Receive) -> tuple[Any, Any]:
    """The connection's asyncio transport and uvicorn's request cycle, or (None, None).

    ``receive`` reaches the middleware unwrapped; it is a bound method of uvicorn's
    RequestResponseCycle, which holds the transport. Other servers: (None, None).
    """
    cycle = getattr(receive, "__self__", None)
    return getattr(cycle, "transport", None), cycle


async def drop_connection(scope: Scope, receive: Receive, send: Send) -> None:
    """Close the client's connection without sending a response."""
    transport, cycle = _server_transport(receive)
    if transport is not None:
        transport.close()
        if cycle is not None and hasattr(cycle, "disconnected"):
            cycle.disconnected = True  # tell uvicorn not to send its own 500
        await asyncio.sleep(0)
        return
    # Not under uvicorn: start a response and abandon it; the server must cut the connection.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
    await send({"type": "http.response.body", "body": b"{", "more_body": False})


class FaultMiddleware:
    def __init__(self, app: ASGIApp, controls: Controls) -> None:
        self.app = app
        self.controls = controls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scripted = (
            self.controls.draw_scripted_fault(scope["method"], scope.get("path", ""))
            if is_api_request(scope)
            else None
        )
        if scripted is not None:
            await self._scripted(scripted, scope, receive, send)
            return
        fault = self.controls.draw_fault() if is_api_request(scope) else None
        if fault is None:
            await self.app(scope, receive, send)
        elif fault == "drop":
            await drop_connection(scope, receive, send)
        else:
            status, message, detail = FAULT_MESSAGES[fault]
            response = error_response(status, message, detail=detail)
            await response(scope, receive, send)

    async def _scripted(self, fault: ScriptedFault, scope: Scope, receive: Receive, send: Send) -> None:
        if fault.after_apply:
            await self.app(scope, receive, _discard)  # the change happens; its answer is lost
        if fault.outcome == "timeout":
            await asyncio.sleep(fault.timeout_seconds)
        if fault.outcome in ("drop", "timeout"):
            await drop_connection(scope, receive, send)
            return
        status, message, detail = FAULT_MESSAGES[fault.outcome]
        await error_response(status, message, detail=detail)(scope, receive, send)


async def _discard(message: Any) -> None:
    """A ``send`` that throws the route's answer away."""
