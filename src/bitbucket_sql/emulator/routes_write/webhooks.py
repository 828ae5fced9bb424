"""Webhooks on repositories and workspaces: create (201 + Location), update (200), delete (204).

``secret`` is write-only, as on Bitbucket: it is never stored in the served object nor echoed;
the hook says only ``secret_set``. On update an absent ``secret`` keeps it, ``null`` or ``""``
removes it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.responses import Response
from starlette.routing import Route

from ..principal import implied_scopes
from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON, braced
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route, scope_refusal

#: the spec's ``webhook_subscription.events`` enum
EVENTS = frozenset(
    {
        "issue:comment_created",
        "issue:created",
        "issue:updated",
        "pipeline:span_created",
        "project:updated",
        "pullrequest:approved",
        "pullrequest:changes_request_created",
        "pullrequest:changes_request_removed",
        "pullrequest:comment_created",
        "pullrequest:comment_deleted",
        "pullrequest:comment_reopened",
        "pullrequest:comment_resolved",
        "pullrequest:comment_updated",
        "pullrequest:created",
        "pullrequest:fulfilled",
        "pullrequest:push",
        "pullrequest:rejected",
        "pullrequest:unapproved",
        "pullrequest:updated",
        "repo:commit_comment_created",
        "repo:commit_status_created",
        "repo:commit_status_updated",
        "repo:created",
        "repo:deleted",
        "repo:fork",
        "repo:imported",
        "repo:push",
        "repo:transfer",
        "repo:updated",
    }
)
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
        or not all(isinstance(e, str) and e in EVENTS for e in events)
    ):
        unknown = sorted(str(e) for e in events or [] if e not in EVENTS) if isinstance(events, list) else []
        hint = f" Unknown: {', '.join(unknown)}." if unknown else ""
        raise ValidationError({"events": [f'Give a non-empty list of events such as "repo:push".{hint}']})
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


def _secret_set(body: JSON, current: JSON | None) -> bool:
    if "secret" not in body:
        return bool(current and current.get("secret_set"))
    secret = body["secret"]
    if secret is not None and not isinstance(secret, str):
        raise ValidationError({"secret": ["Expected a string (or null to remove the secret)."]})
    return bool(secret)


#: the read scope each event family needs besides ``webhook`` (spec: "as well as any scope that
#: applies to the events that the webhook subscribes to")
EVENT_SCOPES = {
    "repo": "repository",
    "pullrequest": "pullrequest",
    "issue": "issue",
    "project": "project",
    "pipeline": "pipeline",
}


def _event_scopes(ctx: WriteCtx, events: list[str]) -> Response | None:
    """The 403 when the credentials lack the scope of a subscribed event's resource, else None."""
    required = sorted({EVENT_SCOPES[event.split(":", 1)[0]] for event in events})
    granted = implied_scopes(frozenset(ctx.principal.scopes))
    missing = [scope for scope in required if scope not in granted]
    if not missing:
        return None
    return scope_refusal(("webhook", *required), missing, sorted(ctx.principal.scopes))


def create_hook(ctx: WriteCtx) -> Response:
    hooks, subject, subject_type = _hooks_of(ctx)
    body = ctx.object_body()
    url, description, events, active = _validated(ctx, body, None)
    refused = _event_scopes(ctx, events)
    if refused is not None:
        return refused
    uuid = ctx.store.new_uuid()
    hook = o.webhook(subject, subject_type, uuid, url, description, events, now_iso(), active=active)
    hook["secret_set"] = _secret_set(body, None)
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
    body = ctx.object_body()
    url, description, events, active = _validated(ctx, body, current)
    refused = _event_scopes(ctx, events)
    if refused is not None:
        return refused
    hook = o.webhook(
        subject, subject_type, uid, url, description, events, current["created_at"], active=active
    )
    hook["created_at"] = current["created_at"]
    hook["secret_set"] = _secret_set(body, current)
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
