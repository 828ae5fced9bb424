"""Webhooks on repositories and workspaces: create (201 + Location), update (200), delete (204)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON, braced
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route

EVENT = re.compile(r"^[a-z_]+:[a-z_]+$")
SCOPE = "webhook"


def _validated(ctx: WriteCtx, body: JSON, current: JSON | None) -> tuple[str, str, list[str], bool]:
    url = ctx.optional_text(body, "url", current["url"] if current else "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError({"url": ["Give an absolute http(s) URL."]})
    events = body.get("events", current["events"] if current else None)
    if (
        not isinstance(events, list)
        or not events
        or not all(isinstance(e, str) and EVENT.match(e) for e in events)
    ):
        raise ValidationError({"events": ['Give a non-empty list of events such as "repo:push".']})
    description = ctx.optional_text(body, "description", current["description"] if current else "")
    active = ctx.optional_bool(body, "active", current["active"] if current else True)
    return url, description, sorted(set(events)), active


def _hooks_of(ctx: WriteCtx) -> tuple[dict[str, JSON], JSON, str]:
    """The hook collection the path names, the hook ``subject`` and its type."""
    if "repo_slug" in ctx.params:
        ws, repo = ctx.writable_repository("admin")
        return (
            ctx.store.repo_data_for_write(ws, repo["slug"]).hooks,
            o.repository_condensed(repo),
            "repository",
        )
    ws = ctx.admin_workspace()
    workspace = ctx.store.workspaces[ws]
    return workspace.hooks, o.workspace_condensed(workspace.workspace), "workspace"


def create_hook(ctx: WriteCtx) -> Response:
    hooks, subject, subject_type = _hooks_of(ctx)
    url, description, events, active = _validated(ctx, ctx.object_body(), None)
    uuid = ctx.store.new_uuid()
    hook = o.webhook(subject, subject_type, uuid, url, description, events, now_iso(), active=active)
    hooks[hook["uuid"]] = hook
    return ctx.created(hook)


def _hook(ctx: WriteCtx) -> tuple[dict[str, JSON], JSON, str]:
    hooks, subject, subject_type = _hooks_of(ctx)
    uid = braced(ctx.params["uid"])
    if uid not in hooks:
        raise ApiError(404, f"Webhook {uid} not found")
    return hooks, subject, subject_type


def update_hook(ctx: WriteCtx) -> Response:
    hooks, subject, subject_type = _hook(ctx)
    uid = braced(ctx.params["uid"])
    current = hooks[uid]
    url, description, events, active = _validated(ctx, ctx.object_body(), current)
    hook = o.webhook(
        subject, subject_type, uid, url, description, events, current["created_at"], active=active
    )
    hooks[uid] = hook
    return ctx.ok(hook)


def delete_hook(ctx: WriteCtx) -> Response:
    hooks, _, _ = _hook(ctx)
    del hooks[braced(ctx.params["uid"])]
    return no_content()


def webhook_routes(store: Store) -> list[Route]:
    routes: list[Route] = []
    for base in ("/repositories/{workspace}/{repo_slug}/hooks", "/workspaces/{workspace}/hooks"):
        routes += [
            route(store, base, "POST", create_hook, SCOPE),
            route(store, f"{base}/{{uid}}", "PUT", update_hook, SCOPE),
            route(store, f"{base}/{{uid}}", "DELETE", delete_hook, SCOPE),
        ]
    return routes
