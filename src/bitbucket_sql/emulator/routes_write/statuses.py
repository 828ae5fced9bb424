"""Commit build statuses: POST creates or overwrites by ``key``; PUT updates one key.

Like Bitbucket, a POST with a key the commit already has replaces that status (keeping its
``created_on`` and ``uuid``), which is how CI systems report progress on one build.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON
from ..store import Store
from .base import ValidationError, WriteCtx, now_iso, route

STATES = ("SUCCESSFUL", "FAILED", "INPROGRESS", "STOPPED")
SCOPE = "repository"


def _commit(ctx: WriteCtx) -> tuple[str, JSON, JSON]:
    ws, repo = ctx.writable_repository("write")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    wanted = ctx.params["commit"]
    commit = data.commit_by_prefix(wanted)
    if commit is None:
        raise ApiError(404, f"Commit {wanted} not found in {repo['full_name']}")
    return ws, repo, commit


def _state(ctx: WriteCtx, body: JSON, default: str | None) -> str:
    state = body.get("state", default)
    if state not in STATES:
        raise ValidationError({"state": [f"Must be one of {', '.join(STATES)}."]})
    return str(state)


def _save(
    ctx: WriteCtx, ws: str, repo: JSON, commit: JSON, key: str, body: JSON, previous: JSON | None
) -> JSON:
    url = ctx.optional_text(body, "url", previous["url"] if previous else "")
    if not url:
        raise ValidationError({"url": ["This field is required."]})
    stamp = now_iso()
    status = o.commit_status(
        repo,
        commit["hash"],
        key,
        _state(ctx, body, previous["state"] if previous else None),
        ctx.optional_text(body, "name", previous["name"] if previous else key),
        ctx.optional_text(body, "description", previous["description"] if previous else ""),
        url,
        body.get("refname", previous["refname"] if previous else None),
        previous["created_on"] if previous else stamp,
        stamp,
        ctx.store.new_uuid(),  # not served: live status bodies have no uuid
    )
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    data.commit_statuses.setdefault(commit["hash"], {})[key] = status
    return status


def post_status(ctx: WriteCtx) -> Response:
    ws, repo, commit = _commit(ctx)
    body = ctx.object_body()
    key = ctx.required_text(body, "key")
    previous = ctx.store.repo_data(ws, repo["slug"]).commit_statuses.get(commit["hash"], {}).get(key)
    return ctx.created(_save(ctx, ws, repo, commit, key, body, previous))


def put_status(ctx: WriteCtx) -> Response:
    ws, repo, commit = _commit(ctx)
    key = ctx.params["key"]
    previous = ctx.store.repo_data(ws, repo["slug"]).commit_statuses.get(commit["hash"], {}).get(key)
    if previous is None:
        raise ApiError(404, f"No build status with key {key} on commit {commit['hash'][:12]}")
    body = ctx.object_body()
    if body.get("key", key) != key:
        raise ValidationError({"key": ["The key of a build status cannot change."]})
    return ctx.ok(_save(ctx, ws, repo, commit, key, body, previous))


def status_routes(store: Store) -> list[Route]:
    base = "/repositories/{workspace}/{repo_slug}/commit/{commit}/statuses/build"
    return [
        route(store, base, "POST", post_status, SCOPE),
        route(store, f"{base}/{{key}}", "PUT", put_status, SCOPE),
    ]
