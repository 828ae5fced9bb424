"""``%2F`` inside an identifier segment: 404, as on Bitbucket, never a different resource.

The server decodes ``%2F`` to ``/`` before routing, so ``/repositories/acme%2Fapi/pullrequests``
would otherwise be served as ``/repositories/acme/api/pullrequests`` and a workspace slug could
smuggle path segments. Bitbucket accepts an encoded slash only where a value may contain ``/``:
ref names (``refs/branches/{name}``, ``refs/tags/{name}``), revisions and paths after ``commits``,
``diffstat``, ``diff``, ``patch``, ``src`` and ``filehistory``. Anywhere before such a tail an
encoded slash (or an encoded backslash) names no resource: 404 with the error envelope.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bitbucket_sql.emulator.middleware.envelope import error_response
from bitbucket_sql.emulator.middleware.scoping import is_api_request

#: Segments after which the rest of the path is one value that may hold ``/``.
TAIL_MARKERS = frozenset({"commits", "diffstat", "diff", "patch", "src", "filehistory"})
REF_KINDS = frozenset({"branches", "tags"})
ENCODED_SEPARATORS = ("%2f", "%5c")


def encoded_slash_outside_tail(raw_path: str) -> bool:
    """True when an encoded ``/`` or ``\\`` sits in a segment that is not part of a value tail."""
    segments = raw_path.split("/")
    for index, segment in enumerate(segments):
        lowered = segment.lower()
        if lowered in TAIL_MARKERS or (lowered in REF_KINDS and index and segments[index - 1] == "refs"):
            return False
        if any(separator in lowered for separator in ENCODED_SEPARATORS):
            return True
    return False


class EncodedSlashMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_api_request(scope):
            raw = scope.get("raw_path")
            raw_path = raw.decode("latin-1") if isinstance(raw, bytes) else scope.get("path", "")
            if encoded_slash_outside_tail(raw_path):
                response = error_response(
                    404,
                    "Resource not found",
                    detail="An encoded '/' is not allowed in this part of the path; no resource is named here.",
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
