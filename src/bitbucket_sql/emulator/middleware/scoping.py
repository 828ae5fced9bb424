"""Which requests the API middleware applies to.

Only the REST API (``/2.0/...``) is authenticated, rate limited and faulted; OAuth endpoints
(``/site/oauth2/...``) authenticate clients themselves, and admin routes (``/_emulator/...``)
are the emulator's own and never disturbed, so tests can always read statistics.
"""

from __future__ import annotations

from starlette.types import Scope

API_PREFIX = "/2.0"
ADMIN_PREFIX = "/_emulator"


def is_api_request(scope: Scope) -> bool:
    path: str = scope.get("path", "")
    return scope["type"] == "http" and (path == API_PREFIX or path.startswith(API_PREFIX + "/"))


def is_admin_request(scope: Scope) -> bool:
    return scope["type"] == "http" and scope.get("path", "").startswith(ADMIN_PREFIX)
