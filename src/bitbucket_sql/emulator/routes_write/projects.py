"""Projects: create (POST), create-or-update (PUT) and delete, under ``/workspaces/{workspace}``."""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route

PROJECT_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
SCOPE = "project:admin"


def _project_fields(ctx: WriteCtx, body: JSON, existing: JSON | None) -> tuple[str, str, bool]:
    name = ctx.optional_text(body, "name", existing["name"] if existing else "")
    if not name.strip():
        raise ValidationError({"name": ["This field is required."]})
    description = ctx.optional_text(body, "description", existing["description"] if existing else "")
    is_private = ctx.optional_bool(body, "is_private", existing["is_private"] if existing else True)
    return name, description, is_private


def _check_key(key: str) -> str:
    if not PROJECT_KEY.match(key):
        raise ValidationError(
            {"key": ["Project keys start with a letter and contain only letters, digits and underscores."]}
        )
    return key.upper()


def _new_project(ctx: WriteCtx, ws: str, key: str, body: JSON) -> JSON:
    name, description, is_private = _project_fields(ctx, body, None)
    workspace = ctx.store.workspaces[ws]
    project = o.project(
        workspace.workspace, ctx.store.new_uuid(), key, name, description, now_iso(), is_private=is_private
    )
    workspace.projects[key] = project
    return project


def create_project(ctx: WriteCtx) -> Response:
    ws = ctx.admin_workspace()
    body = ctx.object_body()
    key = _check_key(ctx.required_text(body, "key"))
    if key in ctx.store.workspaces[ws].projects:
        raise ValidationError({"key": [f"A project with the key {key} already exists in {ws}."]})
    return ctx.created(_new_project(ctx, ws, key, body))


def put_project(ctx: WriteCtx) -> Response:
    ws = ctx.admin_workspace()
    key = ctx.params["project_key"]
    body = ctx.object_body()
    projects = ctx.store.workspaces[ws].projects
    existing = projects.get(key)
    if existing is None:
        return ctx.created(_new_project(ctx, ws, _check_key(key), body))
    name, description, is_private = _project_fields(ctx, body, existing)
    new_key = _check_key(str(body["key"])) if isinstance(body.get("key"), str) else key
    if new_key != key:
        return _rekey(ctx, ws, existing, new_key, name, description, is_private)
    existing.update(name=name, description=description, is_private=is_private)
    ctx.store.touch(existing)
    return ctx.ok(existing)


def _rekey(
    ctx: WriteCtx, ws: str, project: JSON, new_key: str, name: str, description: str, is_private: bool
) -> Response:
    """Change a project's key: its URL moves (``Location``) and its repositories follow."""
    workspace = ctx.store.workspaces[ws]
    if new_key in workspace.projects:
        raise ValidationError({"key": [f"A project with the key {new_key} already exists in {ws}."]})
    old_key = project["key"]
    renamed = o.project(
        workspace.workspace,
        project["uuid"],
        new_key,
        name,
        description,
        project["created_on"],
        is_private=is_private,
    )
    ctx.store.touch(renamed)
    del workspace.projects[old_key]
    workspace.projects[new_key] = renamed
    for per_project in (
        workspace.project_user_permissions,
        workspace.project_group_permissions,
        workspace.project_default_reviewers,
    ):
        if old_key in per_project:
            per_project[new_key] = per_project.pop(old_key)
    for repo in workspace.repositories.values():
        if repo["project"]["key"] == old_key:
            repo["project"] = o.project_condensed(renamed)
    return ctx.created(renamed, 200)


def delete_project(ctx: WriteCtx) -> Response:
    ws = ctx.admin_workspace()
    key = ctx.params["project_key"]
    workspace = ctx.store.workspaces[ws]
    if key not in workspace.projects:
        raise ApiError(404, f"Project {key} not found in workspace {ws}")
    holding = [slug for slug, repo in workspace.repositories.items() if repo["project"]["key"] == key]
    if holding:
        raise ApiError(
            400,
            "Bad request",
            f"Project {key} still contains repositories ({', '.join(sorted(holding))}); move or delete them first.",
        )
    ctx.store.delete(workspace.projects, key)
    for per_project in (
        workspace.project_user_permissions,
        workspace.project_group_permissions,
        workspace.project_default_reviewers,
    ):
        per_project.pop(key, None)
    return no_content()


def project_routes(store: Store) -> list[Route]:
    return [
        route(store, "/workspaces/{workspace}/projects", "POST", create_project, SCOPE),
        route(store, "/workspaces/{workspace}/projects/{project_key}", "PUT", put_project, SCOPE),
        route(store, "/workspaces/{workspace}/projects/{project_key}", "DELETE", delete_project, SCOPE),
    ]
