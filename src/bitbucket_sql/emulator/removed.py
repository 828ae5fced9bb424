"""410 Gone for features Bitbucket Cloud removed on 2026-08-20: the issue tracker and wikis.

Every method on the old issue-tracker endpoints (issues and everything below them, components,
milestones, versions) and on wiki paths answers 410 in the error envelope, saying what was
removed and when, so a client can tell "removed" from "not found".
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bitbucket_sql.emulator.middleware.envelope import error_response

REMOVAL_DATE = "2026-08-20"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"]
REPO = "/2.0/repositories/{workspace}/{repo_slug}"

ISSUE_TRACKER_PATHS = [
    f"{REPO}/issues",
    f"{REPO}/issues/{{rest:path}}",
    f"{REPO}/components",
    f"{REPO}/components/{{rest:path}}",
    f"{REPO}/milestones",
    f"{REPO}/milestones/{{rest:path}}",
    f"{REPO}/versions",
    f"{REPO}/versions/{{rest:path}}",
]
WIKI_PATHS = [f"{REPO}/wiki", f"{REPO}/wiki/{{rest:path}}"]


async def issue_tracker_gone(request: Request) -> Response:
    return error_response(
        410,
        f"The issue tracker was removed from Bitbucket Cloud on {REMOVAL_DATE}.",
        detail="Issues, components, milestones and versions are no longer available through the API.",
    )


async def wiki_gone(request: Request) -> Response:
    return error_response(
        410,
        f"Wikis were removed from Bitbucket Cloud on {REMOVAL_DATE}.",
        detail="Repository wikis are no longer available.",
    )


def removed_routes() -> list[Route]:
    """Routes answering 410; mount them before the read routes so they take precedence."""
    routes = [Route(path, issue_tracker_gone, methods=ALL_METHODS) for path in ISSUE_TRACKER_PATHS]
    routes += [Route(path, wiki_gone, methods=ALL_METHODS) for path in WIKI_PATHS]
    return routes
