"""Read routes of a workspace's snippets, their comments, commits (revisions) and watchers. The
data comes from :mod:`..extras`. ``{encoded_id}`` is the snippet's id as text.

Snippet comments "work identically to commit and pull request comments" (the spec): oldest first,
with BBQL ``q`` and ``sort``.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..extras import WorkspaceExtras, workspace_extras
from ..serializers import objects as o
from .context import JSON, ApiError, Ctx
from .schemas import RENDERED, USER, D, N, S

Route = tuple[str, Callable[[Ctx], Response]]

SNIPPET_COMMENT = {
    "id": N, "created_on": D, "updated_on": D, "content": RENDERED, "user": USER,
    "snippet": {"id": N, "title": S}, "type": S,
}


def _extras(ctx: Ctx) -> WorkspaceExtras:
    return workspace_extras(ctx.store, ctx.member_workspace())


def _snippet(ctx: Ctx) -> tuple[WorkspaceExtras, str, JSON]:
    extras = _extras(ctx)
    ident = ctx.params["encoded_id"]
    found = extras.snippets.get(ident)
    if found is None:
        raise ApiError(404, f"Snippet {ident} not found")
    return extras, ident, found


def snippets(ctx: Ctx) -> Response:
    items = sorted(_extras(ctx).snippets.values(), key=lambda s: s["created_on"], reverse=True)
    return ctx.listing(items, q=False, sort=False)


def snippet(ctx: Ctx) -> Response:
    return ctx.respond(_snippet(ctx)[2])


def comments(ctx: Ctx) -> Response:
    extras, ident, _ = _snippet(ctx)
    oldest_first = sorted(extras.snippet_comments.get(ident, []), key=lambda c: (c["created_on"], c["id"]))
    return ctx.listing(oldest_first, SNIPPET_COMMENT)


def comment(ctx: Ctx) -> Response:
    extras, ident, _ = _snippet(ctx)
    comment_id = ctx.int_param("comment_id")
    found = next((c for c in extras.snippet_comments.get(ident, []) if c["id"] == comment_id), None)
    return ctx.respond(ctx.found(found, f"Comment {comment_id} not found on snippet {ident}"))


def commits(ctx: Ctx) -> Response:
    extras, ident, _ = _snippet(ctx)
    return ctx.listing(extras.snippet_commits.get(ident, []))


def commit(ctx: Ctx) -> Response:
    extras, ident, _ = _snippet(ctx)
    revision = ctx.params["revision"]
    found = next((c for c in extras.snippet_commits.get(ident, []) if c["hash"].startswith(revision)), None)
    return ctx.respond(ctx.found(found, f"Revision {revision} not found in snippet {ident}"))


def watchers(ctx: Ctx) -> Response:
    extras, ident, _ = _snippet(ctx)
    users = [ctx.store.users[uuid] for uuid in extras.snippet_watchers.get(ident, []) if uuid in ctx.store.users]
    return ctx.listing([o.user_summary(user) for user in users])


ROUTES: list[Route] = [
    ("/snippets/{workspace}", snippets),
    ("/snippets/{workspace}/{encoded_id}", snippet),
    ("/snippets/{workspace}/{encoded_id}/comments", comments),
    ("/snippets/{workspace}/{encoded_id}/comments/{comment_id}", comment),
    ("/snippets/{workspace}/{encoded_id}/commits", commits),
    ("/snippets/{workspace}/{encoded_id}/commits/{revision}", commit),
    ("/snippets/{workspace}/{encoded_id}/watchers", watchers),
]
