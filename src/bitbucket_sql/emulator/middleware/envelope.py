"""Bitbucket's error envelope, shared by middleware, auth, OAuth and write routes.

Every error the emulator produces (except the plain-text 429 and OAuth's own JSON errors)
uses ``{"type": "error", "error": {"message": ..., "detail"?, "fields"?, "data"?}}``, exactly
as the API does, so clients can parse failures in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.responses import JSONResponse


def error_body(
    message: str,
    *,
    detail: str | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON document of an error; optional members appear only when given."""
    error: dict[str, Any] = {"message": message}
    if detail is not None:
        error["detail"] = detail
    if fields:
        error["fields"] = {name: list(problems) for name, problems in fields.items()}
    if data:
        error["data"] = dict(data)
    return {"type": "error", "error": error}


def error_response(
    status_code: int,
    message: str,
    *,
    detail: str | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    data: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the envelope."""
    return JSONResponse(
        error_body(message, detail=detail, fields=fields, data=data),
        status_code=status_code,
        headers=dict(headers) if headers else None,
    )
