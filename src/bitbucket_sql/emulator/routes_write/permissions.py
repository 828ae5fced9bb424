"""Explicit permissions under ``permissions-config``: PUT grants (200), DELETE revokes (204).

Repository grants need ``repository:admin`` and take ``read | write | admin``; project grants need
``project:admin`` and also take ``create-repo`` (the spec's ``*PermissionUpdateSchema``). A
repository user grant changes what that user may do at once (``repo_permission`` reads it).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, route

REPOSITORY_LEVELS = ("read", "write", "admin")
PROJECT_LEVELS = ("read", "write", "create-repo", "admin")


def _permission(ctx: WriteCtx, levels: tuple[str, ...]) -> str:
    body = ctx.object_body()
    unknown = sorted(set(body) - {"permission"})
    if unknown:
        raise ValidationError({name: ["Unknown field; only permission may be given."] for name in unknown})
    value = body.get("permission")
    if value not in levels:
        raise ValidationError({"permission": [f"Must be one of {', '.join(levels)}."]})
    return str(value)


def _user(ctx: WriteCtx, ws: str) -> JSON:
    ident = ctx.params["selected_user_id"]
    user = ctx.store.user(ident)
    if user is None:
        raise ApiError(404, f"User {ident} not found", "Name the user by braced UUID or account_id.")
    if user["uuid"] not in ctx.store.workspaces[ws].members:
        raise ApiError(
            400,
            "Bad request",
            f"{user['display_name']} is not a member of workspace {ws}; invite them first.",
        )
    return user


def _group(ctx: WriteCtx, ws: str) -> JSON:
    slug = ctx.params["group_slug"]
    group = ctx.store.workspaces[ws].groups.get(slug)
    if group is None:
        raise ApiError(404, f"Group {slug} not found in workspace {ws}")
    return group


def _repository_grants(ctx: WriteCtx, kind: str) -> tuple[str, JSON, dict[str, JSON]]:
    ws, repo = ctx.writable_repository("admin")
    workspace = ctx.store.workspaces[ws]
    per_repo = workspace.repo_user_permissions if kind == "user" else workspace.repo_group_permissions
    return ws, repo, per_repo.setdefault(repo["slug"], {})


def _project_grants(ctx: WriteCtx, kind: str) -> tuple[str, JSON, dict[str, JSON]]:
    ws = ctx.admin_workspace()
    workspace = ctx.store.workspaces[ws]
    key = ctx.params["project_key"]
    project = workspace.projects.get(key)
    if project is None:
        raise ApiError(404, f"Project {key} not found in workspace {ws}")
    per_project = (
        workspace.project_user_permissions if kind == "user" else workspace.project_group_permissions
    )
    return ws, project, per_project.setdefault(key, {})


Grants = Callable[[WriteCtx, str], tuple[str, JSON, dict[str, JSON]]]


def _handlers(
    grants: Grants, levels: tuple[str, ...], builders: dict[str, Callable[[JSON, JSON, str], JSON]]
) -> dict[tuple[str, str], Callable[[WriteCtx], Response]]:
    """PUT and DELETE handlers for user and group grants on one kind of target."""

    def put(kind: str) -> Callable[[WriteCtx], Response]:
        def handler(ctx: WriteCtx) -> Response:
            ws, target, entries = grants(ctx, kind)
            permission = _permission(ctx, levels)
            grantee = _user(ctx, ws) if kind == "user" else _group(ctx, ws)
            key = grantee["uuid"] if kind == "user" else grantee["slug"]
            entries[key] = builders[kind](target, grantee, permission)
            return ctx.ok(entries[key])

        return handler

    def delete(kind: str) -> Callable[[WriteCtx], Response]:
        def handler(ctx: WriteCtx) -> Response:
            ws, target, entries = grants(ctx, kind)
            if kind == "user":
                user = ctx.store.user(ctx.params["selected_user_id"])
                key = user["uuid"] if user is not None else None
            else:
                key = ctx.params["group_slug"]
            if key is None or entries.pop(key, None) is None:
                raise ApiError(
                    404,
                    f"No explicit {kind} permission to remove for {ctx.params.get('selected_user_id') or key}",
                )
            return no_content()

        return handler

    return {
        (kind, method): (put if method == "PUT" else delete)(kind)
        for kind in ("user", "group")
        for method in ("PUT", "DELETE")
    }


def permission_routes(store: Store) -> list[Route]:
    repo_handlers = _handlers(
        _repository_grants,
        REPOSITORY_LEVELS,
        {"user": o.repository_user_permission, "group": o.repository_group_permission},
    )
    project_handlers = _handlers(
        _project_grants,
        PROJECT_LEVELS,
        {"user": o.project_user_permission, "group": o.project_group_permission},
    )
    targets = (
        ("/repositories/{workspace}/{repo_slug}/permissions-config", repo_handlers, "repository:admin"),
        (
            "/workspaces/{workspace}/projects/{project_key}/permissions-config",
            project_handlers,
            "project:admin",
        ),
    )
    routes: list[Route] = []
    for base, handlers, scope in targets:
        for (kind, method), handler in handlers.items():
            ident = "{selected_user_id}" if kind == "user" else "{group_slug}"
            routes.append(route(store, f"{base}/{kind}s/{ident}", method, handler, scope))
    return routes
