"""The paging envelope in its two styles, and ``pagelen``/``page`` validation.

* List style (most collections): ``size``, ``page``, ``pagelen``, ``next``, ``previous``,
  ``values``; ``?page=N`` may be requested directly.
* Cursor style (commits, PR commits, PR activity): only ``pagelen``, ``values`` and ``next``, whose
  position is an opaque token in ``page=`` (commits) or ``ctx=`` (activity).

``next``/``previous`` repeat the request's query string verbatim, replacing only the position
parameter, on the absolute URL the request came in on. ``pagelen`` above the endpoint's maximum is a
400 ``Invalid pagelen`` (never clamped), as on Bitbucket.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

JSON = dict[str, Any]


class PagingError(Exception):
    """A 400 for a bad ``pagelen``/``page``/cursor; ``message`` goes into the error envelope."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


def pagelen_of(request: Request, default: int = 10, maximum: int = 100) -> int:
    raw = request.query_params.get("pagelen")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PagingError(
            "Invalid pagelen", f"pagelen must be an integer between 1 and {maximum}, got {raw!r}"
        ) from None
    if value < 1 or value > maximum:
        raise PagingError(
            "Invalid pagelen", f"pagelen must be between 1 and {maximum} for this endpoint, got {value}"
        )
    return value


def url_with(request: Request, param: str, value: str) -> str:
    """The request URL with ``param`` set to ``value`` and every other parameter kept verbatim."""
    kept = [part for part in request.url.query.split("&") if part and part.split("=", 1)[0] != param]
    kept.append(f"{param}={value}")
    base = str(request.url.replace(query=""))
    return base.rstrip("?") + "?" + "&".join(kept)


def list_page(
    request: Request,
    items: Sequence[Any],
    *,
    default_pagelen: int = 10,
    max_pagelen: int = 100,
    sized: bool = True,
) -> JSON:
    """A list-style page of ``items`` for the request's ``page``/``pagelen``; ``sized=False`` leaves
    out ``size``, as live tag and pull request commit listings do."""
    pagelen = pagelen_of(request, default_pagelen, max_pagelen)
    raw_page = request.query_params.get("page", "1")
    try:
        page = int(raw_page)
    except ValueError:
        raise PagingError("Invalid page", f"page must be a positive integer, got {raw_page!r}") from None
    if page < 1:
        raise PagingError("Invalid page", f"page must be a positive integer, got {page}")
    start = (page - 1) * pagelen
    envelope: JSON = {
        "size": len(items),
        "page": page,
        "pagelen": pagelen,
        "values": list(items[start : start + pagelen]),
    }
    if not sized:
        del envelope["size"]
    if start + pagelen < len(items):
        envelope["next"] = url_with(request, "page", str(page + 1))
    if page > 1:
        envelope["previous"] = url_with(request, "page", str(page - 1))
    return envelope


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"cursor:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(token: str) -> int:
    if token.isdigit():  # lenient: a plain page number (1-based) some clients send
        return -int(token)
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, offset = text.split(":", 1)
        if prefix != "cursor" or int(offset) < 0:
            raise ValueError
        return int(offset)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise PagingError(
            "Invalid cursor",
            f"{token!r} is not a position this collection handed out; follow 'next' verbatim",
        ) from None


def cursor_page(
    request: Request,
    items: Sequence[Any],
    *,
    param: str = "page",
    default_pagelen: int = 10,
    max_pagelen: int = 100,
) -> JSON:
    """A cursor-style page: ``pagelen``, ``values`` and (unless last) an opaque ``next``."""
    pagelen = pagelen_of(request, default_pagelen, max_pagelen)
    token = request.query_params.get(param)
    offset = 0
    if token:
        decoded = _decode_cursor(token)
        offset = (-decoded - 1) * pagelen if decoded < 0 else decoded
        if offset < 0:
            raise PagingError(
                "Invalid page", f"{param} must be a positive integer or a cursor, got {token!r}"
            )
    envelope: JSON = {"pagelen": pagelen, "values": list(items[offset : offset + pagelen])}
    if offset + pagelen < len(items):
        envelope["next"] = url_with(request, param, _encode_cursor(offset + pagelen))
    return envelope
