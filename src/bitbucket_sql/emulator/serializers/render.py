"""JSON responses: canonical hrefs rewritten to the serving URL, weak ETags, error envelopes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .common import API_ROOT

CONTENT_TYPE = "application/json; charset=utf-8"


def api_base(request: Request) -> str:
    """``http://host:port/2.0`` for the request (honours a mount's root path)."""
    return str(request.base_url).rstrip("/") + "/2.0"


def encode(request: Request, body: Any) -> bytes:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return text.replace(API_ROOT, api_base(request)).encode("utf-8")


def json_response(
    request: Request, body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """``body`` as JSON with hrefs pointing at this server; 304 for a matching If-None-Match."""
    payload = encode(request, body)
    etag = 'W/"' + hashlib.blake2b(payload, digest_size=10).hexdigest() + '"'
    all_headers = {"ETag": etag, **(headers or {})}
    if status == 200 and request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=all_headers)
    return Response(payload, status_code=status, media_type=CONTENT_TYPE, headers=all_headers)


def error_body(message: str, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if detail is not None:
        error["detail"] = detail
    error.update(extra)
    return {"type": "error", "error": error}


def error_response(status: int, message: str, detail: str | None = None) -> Response:
    payload = json.dumps(error_body(message, detail), ensure_ascii=False).encode("utf-8")
    return Response(payload, status_code=status, media_type=CONTENT_TYPE)
