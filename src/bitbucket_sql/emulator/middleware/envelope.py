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
    detail: str | Mapping[str, Any] | None = None,
    fields: Mapping[str, Sequence[str]] | None = None,
    data: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON document of an error; optional members appear only when given."""
    error: dict[str, Any] = {"message": message}
    if detail is not None:
        error["detail"] = detail if isinstance(detail, str) else dict(detail)
    if fields:
        error["fields"] = {name: list(problems) for name, problems in fields.items()}
    if data:
        error["data"] = dict(data)
    return {"type": "error", "error": error}


def error_response(
    status_code: int,
    message: str,
    *,
    detail: str | Mapping[str, Any] | None = None,
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


MISSING_SCOPES_MESSAGE = "Your credentials lack one or more required privilege scopes."


def missing_scopes_response(
    required: Sequence[str], missing: Sequence[str], granted: Sequence[str]
) -> JSONResponse:
    """Bitbucket's 403 for credentials without a scope the operation needs.

    As live Bitbucket answers (recorded in several public clients' tests), ``detail`` is an
    object, ``{"granted": [...], "required": [...]}``; the emulator adds
    ``data: {"required", "granted", "missing"}`` so tests can read which scopes were missing.
    """
    return error_response(
        403,
        MISSING_SCOPES_MESSAGE,
        detail={"granted": list(granted), "required": list(required)},
        data={"required": list(required), "granted": list(granted), "missing": list(missing)},
    )
