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


_LABELS = {"branches": "Branch", "tags": "Tag"}


def _new_ref(ctx: WriteCtx, kind: str) -> tuple[JSON, RepoData, str, JSON, JSON]:
    """What creating a branch or a tag (``kind``) starts with: write access, a valid name not taken
    yet, and the commit to point at. Returns (repository, its data, name, target commit, body)."""
    ws, repo = ctx.writable_repository("write")
    body = ctx.object_body()
    name = _ref_name(ctx, body)
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    if name in getattr(data, kind):
        raise ValidationError({"name": [f"{_LABELS[kind]} {name} already exists."]})
    return repo, data, name, resolve_target(data, body), body


def _delete_ref(ctx: WriteCtx, kind: str) -> Response:
    """Delete the branch or tag (``kind``) named in the path; the main branch cannot go."""
    ws, repo = ctx.writable_repository("write")
    name = ctx.params["name"]
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    refs: dict[str, JSON] = getattr(data, kind)
    if name not in refs:
        raise ApiError(404, f"{_LABELS[kind]} {name} not found in {repo['full_name']}")
    if kind == "branches" and name == repo["mainbranch"]["name"]:
        raise ApiError(
            400, "Bad request", f"{name} is the main branch of {repo['full_name']} and cannot be deleted."
        )
    del refs[name]
    ctx.store.touch(repo)
    return no_content()


def create_branch(ctx: WriteCtx) -> Response:
    repo, data, name, target, _ = _new_ref(ctx, "branches")
    branch = o.branch(repo, name, target)
    data.branches[name] = branch
    ctx.store.touch(repo)
    return ctx.created(branch)


def delete_branch(ctx: WriteCtx) -> Response:
    return _delete_ref(ctx, "branches")


def create_tag(ctx: WriteCtx) -> Response:
    repo, data, name, target, body = _new_ref(ctx, "tags")
    user = ctx.acting_user()
    # Bitbucket's own default message (reference digest section 5.6).
    default_message = f"Added tag {name} for changeset {target['hash'][:12]}"
    message = ctx.optional_text(body, "message", default_message)
    tagger = o.author(user, user["display_name"], f"{user['nickname']}@example.com")
    tag = o.tag(repo, name, target, message, now_iso(), tagger)
    data.tags[name] = tag
    ctx.store.touch(repo)
    return ctx.created(tag)


def delete_tag(ctx: WriteCtx) -> Response:
    return _delete_ref(ctx, "tags")


def ref_routes(store: Store) -> list[Route]:
    base = "/repositories/{workspace}/{repo_slug}/refs"
    return [
        route(store, f"{base}/branches", "POST", create_branch, SCOPE),
        route(store, f"{base}/branches/{{name:path}}", "DELETE", delete_branch, SCOPE),
        route(store, f"{base}/tags", "POST", create_tag, SCOPE),
        route(store, f"{base}/tags/{{name:path}}", "DELETE", delete_tag, SCOPE),
    ]
