"""Emulator-only control routes (``/_emulator/...``, never counted, faulted or authenticated).

They expose over HTTP what ``EmulatorHandle`` offers in process, so tests that run the emulator
in another process (``bbsql emulator``) can script it too:

- ``POST /_emulator/faults`` arms a scripted fault (body: ``outcome``, ``nth``, ``times``,
  ``after_apply``, ``methods``, ``path_contains``, ``timeout_seconds``); ``GET`` lists the armed
  ones; ``DELETE`` disarms them all.
- ``POST /_emulator/clock`` with ``{"advance": seconds}`` moves the emulator clock forward.
- ``POST /_emulator/pipelines`` with ``pending_seconds``, ``running_seconds``, ``result`` sets how
  triggered pipelines run.
- ``POST /_emulator/merges`` with ``mode`` (``requested`` | ``always``), ``pending_polls``,
  ``complete_after_seconds`` sets how merges go asynchronous.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .middleware.envelope import error_response

FAULT_FIELDS = ("outcome", "nth", "times", "after_apply", "methods", "path_contains", "timeout_seconds")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    value = json.loads(raw) if raw.strip() else {}
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def _guarded(handler: Callable[[Request, dict[str, Any]], Any]) -> Callable[[Request], Awaitable[Response]]:
    """Parse the JSON body, run ``handler``, and answer 400 naming the problem on bad input."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await _body(request)
            return JSONResponse(handler(request, body))
        except (ValueError, TypeError) as exc:
            return error_response(400, "Bad request", detail=str(exc))

    return endpoint


def _describe_faults(request: Request) -> dict[str, Any]:
    return {"armed": [fault.describe() for fault in request.app.state.controls.scripted_faults]}


def _arm_fault(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - set(FAULT_FIELDS))
    if unknown:
        raise ValueError(f"unknown fault field(s) {', '.join(unknown)}; known: {', '.join(FAULT_FIELDS)}")
    request.app.state.controls.fail_requests(**body)
    return _describe_faults(request)


def _clear_faults(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    request.app.state.controls.clear_scripted_faults()
    return _describe_faults(request)


def _advance_clock(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    seconds = body.get("advance")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise ValueError('give {"advance": <seconds>}')
    request.app.state.controls.clock.advance(float(seconds))
    return {"now": request.app.state.controls.clock.now()}


def _pipeline_timing(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    timing = request.app.state.pipeline_runs.configure(**body)
    return {
        "pending_seconds": timing.pending_seconds,
        "running_seconds": timing.running_seconds,
        "result": timing.result,
    }


def _merge_mode(request: Request, body: dict[str, Any]) -> dict[str, Any]:
    tasks = request.app.state.merge_tasks
    tasks.configure(**body)
    return {
        "mode": tasks.mode,
        "pending_polls": tasks.pending_polls,
        "complete_after_seconds": tasks.complete_after_seconds,
    }


def control_routes() -> list[Route]:
    return [
        Route(
            "/_emulator/faults", _guarded(lambda request, body: _describe_faults(request)), methods=["GET"]
        ),
        Route("/_emulator/faults", _guarded(_arm_fault), methods=["POST"]),
        Route("/_emulator/faults", _guarded(_clear_faults), methods=["DELETE"]),
        Route("/_emulator/clock", _guarded(_advance_clock), methods=["POST"]),
        Route("/_emulator/pipelines", _guarded(_pipeline_timing), methods=["POST"]),
        Route("/_emulator/merges", _guarded(_merge_mode), methods=["POST"]),
    ]
