"""Forks: ``POST /repositories/{workspace}/{repo_slug}/forks`` creates a fork (201 + ``Location``).

As the spec describes: the body is an optional ``repository`` document; ``workspace.slug`` names
where the fork goes (default: the parent's workspace, which then needs a new ``name``), ``name``
sets the slug (lower case, whitespace runs become ``_``), and description, fork_policy, language,
mainbranch and is_private may be overridden. The parent's ``fork_policy`` is enforced
(``no_forks``; ``no_public_forks`` refuses ``is_private: false``). The fork gets the parent's
branches, tags and commits, ``parent`` pointing at it, and shows in ``/forks`` and in listings.
"""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON
from ..store import PERMISSION_RANK, Store
from .base import ValidationError, WriteCtx, now_iso, route
from .repositories import REPO_SLUG


def _slug(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip()).lower()


def _target_workspace(ctx: WriteCtx, body: JSON, parent_ws: str) -> str:
    wanted = body.get("workspace")
    ident = wanted.get("slug") if isinstance(wanted, dict) else parent_ws
    data = ctx.store.workspace(ident) if isinstance(ident, str) else None
    if data is None:
        raise ValidationError({"workspace": [f"No workspace {ident!r}."]})
    ws = str(data.workspace["slug"])
    is_token_of_ws = (
        ctx.principal.workspaces is not None and ctx.user_uuid is None and ws in ctx.principal.workspaces
    )
    if not is_token_of_ws and ctx.store.workspace_permission(ws, ctx.user_uuid) not in (
        "owner",
        "collaborator",
    ):
        raise ApiError(403, "Forbidden", f"You need contributor access to workspace {ws} to fork into it.")
    return ws


def create_fork(ctx: WriteCtx) -> Response:
    parent_ws, parent = ctx.repository()
    held = ctx.repo_permission(parent_ws, parent) or "none"
    if PERMISSION_RANK[held] < PERMISSION_RANK["read"]:
        raise ApiError(403, "Forbidden", f"You cannot read {parent['full_name']}.")
    if parent["fork_policy"] == "no_forks":
        raise ApiError(
            400, "Bad request", f"{parent['full_name']} does not allow forks (fork_policy no_forks)."
        )
    body = ctx.object_body()
    ws = _target_workspace(ctx, body, parent_ws)
    name = ctx.optional_text(body, "name", parent["name"]).strip() or parent["name"]
    slug = _slug(name) if "name" in body else parent["slug"]
    if not REPO_SLUG.match(slug):
        raise ValidationError({"name": [f"{name!r} does not give a valid repository slug."]})
    if ctx.store.repository(ws, slug) is not None:
        raise ValidationError(
            {"name": [f"A repository named {slug} already exists in {ws}; give the fork another name."]}
        )
    is_private = ctx.optional_bool(body, "is_private", parent["is_private"])
    if not is_private and (parent["fork_policy"] == "no_public_forks" or parent["is_private"]):
        raise ValidationError({"is_private": [f"{parent['full_name']} allows only private forks."]})
    mainbranch = body.get("mainbranch")
    main_name = mainbranch.get("name") if isinstance(mainbranch, dict) else parent["mainbranch"]["name"]
    projects = ctx.store.workspaces[ws].projects
    project = projects.get(parent["project"]["key"]) if ws == parent_ws else None
    if project is None:
        if not projects:
            raise ValidationError({"workspace": [f"Workspace {ws} has no project to hold the fork."]})
        project = min(projects.values(), key=lambda p: p["created_on"])
    stamp = now_iso()
    fork = o.repository(
        ctx.store.workspaces[ws].workspace,
        project,
        ctx.store.new_uuid(),
        slug,
        name,
        ctx.optional_text(body, "description", parent["description"]),
        ctx.optional_text(body, "language", parent["language"]),
        stamp,
        stamp,
        is_private=is_private,
        size=parent.get("size", 0),
        mainbranch=str(main_name),
        fork_policy=ctx.optional_text(body, "fork_policy", parent["fork_policy"]),
        parent=o.repository_condensed(parent),
        website=parent.get("website", ""),
    )
    source = ctx.store.repo_data(parent_ws, parent["slug"])
    data = ctx.store.add_repository(ws, fork)
    data.commits = dict(source.commits)
    data.commit_order = list(source.commit_order)
    data.commit_diffstats = dict(source.commit_diffstats)
    for name_, branch in source.branches.items():
        data.branches[name_] = {**branch, "links": o.branch(fork, name_, branch["target"])["links"]}
    for name_, tag in source.tags.items():
        links = o.tag(fork, name_, tag["target"], "", stamp, tag.get("tagger") or {})["links"]
        data.tags[name_] = {**tag, "links": links}
    return ctx.created(fork)


def fork_routes(store: Store) -> list[Route]:
    return [
        route(store, "/repositories/{workspace}/{repo_slug}/forks", "POST", create_fork, "repository:write")
    ]
