"""Branches and tags: create (201 + Location) and delete (204). Names may contain slashes."""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON
from ..store import RepoData, Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route

REF_NAME = re.compile(r"^(?!/)(?!.*//)(?!.*\.\.)[^\s~^:?*\[\\]+(?<![/.])$")
SCOPE = "repository:write"


def resolve_target(data: RepoData, body: JSON) -> JSON:
    """The full commit a ``{"target": {"hash": ...}}`` body names (a hash, prefix or branch name)."""
    target = body.get("target")
    wanted = target.get("hash") if isinstance(target, dict) else None
    if not isinstance(wanted, str) or not wanted:
        raise ValidationError({"target": ['Give the commit to point at as {"hash": "<commit>"}.']})
    commit = data.commit_by_prefix(wanted)
    if commit is None and wanted in data.branches:
        commit = data.commits.get(data.branches[wanted]["target"]["hash"])
    if commit is None:
        raise ValidationError({"target": [f"No commit {wanted!r} in this repository."]})
    return commit


def _ref_name(ctx: WriteCtx, body: JSON) -> str:
    name = ctx.required_text(body, "name")
    if not REF_NAME.match(name):
        raise ValidationError({"name": [f"{name!r} is not a valid git ref name."]})
    return name


def create_branch(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    body = ctx.object_body()
    name = _ref_name(ctx, body)
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    if name in data.branches:
        raise ValidationError({"name": [f"Branch {name} already exists."]})
    branch = o.branch(repo, name, resolve_target(data, body))
    data.branches[name] = branch
    ctx.store.touch(repo)
    return ctx.created(branch)


def delete_branch(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    name = ctx.params["name"]
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    if name not in data.branches:
        raise ApiError(404, f"Branch {name} not found in {repo['full_name']}")
    if name == repo["mainbranch"]["name"]:
        raise ApiError(
            400, "Bad request", f"{name} is the main branch of {repo['full_name']} and cannot be deleted."
        )
    del data.branches[name]
    ctx.store.touch(repo)
    return no_content()


def create_tag(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    body = ctx.object_body()
    name = _ref_name(ctx, body)
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    if name in data.tags:
        raise ValidationError({"name": [f"Tag {name} already exists."]})
    target = resolve_target(data, body)
    user = ctx.acting_user()
    message = ctx.optional_text(body, "message", "")
    tagger = o.author(user, user["display_name"], f"{user['nickname']}@example.com")
    tag = o.tag(repo, name, target, message, now_iso(), tagger)
    data.tags[name] = tag
    ctx.store.touch(repo)
    return ctx.created(tag)


def delete_tag(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    name = ctx.params["name"]
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    if name not in data.tags:
        raise ApiError(404, f"Tag {name} not found in {repo['full_name']}")
    del data.tags[name]
    ctx.store.touch(repo)
    return no_content()


def ref_routes(store: Store) -> list[Route]:
    base = "/repositories/{workspace}/{repo_slug}/refs"
    return [
        route(store, f"{base}/branches", "POST", create_branch, SCOPE),
        route(store, f"{base}/branches/{{name:path}}", "DELETE", delete_branch, SCOPE),
        route(store, f"{base}/tags", "POST", create_tag, SCOPE),
        route(store, f"{base}/tags/{{name:path}}", "DELETE", delete_tag, SCOPE),
    ]
