"""Repositories: create (POST), create-or-update (PUT) and delete.

As in the spec, POST answers 200 (with ``Location``), PUT answers 200 for an update and 201 when
it creates the repository, DELETE answers 204.
"""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route

REPO_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
FORK_POLICIES = ("allow_forks", "no_public_forks", "no_forks")


def _project_for(ctx: WriteCtx, ws: str, body: JSON, current: JSON | None) -> JSON:
    projects = ctx.store.workspaces[ws].projects
    wanted = body.get("project")
    if wanted is None:
        if current is not None:
            return projects.get(current["project"]["key"]) or next(iter(projects.values()))
        if not projects:
            raise ValidationError({"project": [f"Workspace {ws} has no project; create one first."]})
        return min(projects.values(), key=lambda project: project["created_on"])
    key = wanted.get("key") if isinstance(wanted, dict) else None
    if isinstance(key, str) and key.startswith("{"):  # the spec allows the project UUID as "key"
        key = next((k for k, project in projects.items() if project["uuid"] == key), key)
    if not isinstance(key, str) or key not in projects:
        raise ValidationError({"project": [f"No project with key {key!r} in workspace {ws}."]})
    return projects[key]


def slugify(name: str) -> str:
    """The slug Bitbucket derives from a repository name: lower case, other characters as '-'."""
    return re.sub(r"[^a-z0-9._-]+", "-", name.strip().lower()).strip("-")


def _settings(ctx: WriteCtx, body: JSON, current: JSON | None) -> JSON:
    def default(name: str, fallback: object) -> object:
        return current[name] if current is not None else fallback

    fork_policy = ctx.optional_text(body, "fork_policy", str(default("fork_policy", "allow_forks")))
    if fork_policy not in FORK_POLICIES:
        raise ValidationError({"fork_policy": [f"Must be one of {', '.join(FORK_POLICIES)}."]})
    scm = ctx.optional_text(body, "scm", "git")
    if scm != "git":
        raise ValidationError({"scm": ["Only git repositories are supported."]})
    mainbranch = body.get("mainbranch")
    if mainbranch is not None and not (
        isinstance(mainbranch, dict) and isinstance(mainbranch.get("name"), str)
    ):
        raise ValidationError({"mainbranch": ['Expected {"name": "<branch>"}.']})
    return {
        "name": ctx.optional_text(body, "name", str(default("name", ""))),
        "description": ctx.optional_text(body, "description", str(default("description", ""))),
        "language": ctx.optional_text(body, "language", str(default("language", ""))),
        "website": ctx.optional_text(body, "website", str(default("website", ""))),
        "is_private": ctx.optional_bool(body, "is_private", bool(default("is_private", True))),
        "fork_policy": fork_policy,
        "mainbranch": mainbranch["name"] if mainbranch else None,
    }


def _create(ctx: WriteCtx, ws: str, slug: str, status: int) -> Response:
    if not REPO_SLUG.match(slug):
        raise ValidationError(
            {"slug": ["Repository slugs contain only lower-case letters, digits, '.', '_' and '-'."]}
        )
    body = ctx.object_body()
    settings = _settings(ctx, body, None)
    project = _project_for(ctx, ws, body, None)
    stamp = now_iso()
    repo = o.repository(
        ctx.store.workspaces[ws].workspace,
        project,
        ctx.store.new_uuid(),
        slug,
        settings["name"] or slug,
        settings["description"],
        settings["language"],
        stamp,
        stamp,
        is_private=settings["is_private"],
        mainbranch=settings["mainbranch"] or "main",
        fork_policy=settings["fork_policy"],
        website=settings["website"],
    )
    ctx.store.add_repository(ws, repo)
    return ctx.created(repo, status)


def create_repository(ctx: WriteCtx) -> Response:
    ws = ctx.admin_workspace()
    slug = ctx.params["repo_slug"]
    if ctx.store.repository(ws, slug) is not None:
        raise ValidationError({"slug": [f"A repository with the slug {slug} already exists in {ws}."]})
    return _create(ctx, ws, slug, 200)


def put_repository(ctx: WriteCtx) -> Response:
    ident = ctx.params["repo_slug"]
    if ctx.store.repository(ctx.params["workspace"], ident) is None:
        ws = ctx.admin_workspace()
        return _create(ctx, ws, ident, 201)
    ws, repo = ctx.writable_repository("admin")
    body = ctx.object_body()
    settings = _settings(ctx, body, repo)
    project = _project_for(ctx, ws, body, repo)
    name_changed = "name" in body and settings["name"] and settings["name"] != repo["name"]
    new_slug = slugify(settings["name"]) if name_changed else repo["slug"]
    renamed = new_slug != repo["slug"]
    if renamed:
        if not REPO_SLUG.match(new_slug):
            raise ValidationError({"name": [f"{settings['name']!r} gives no valid repository slug."]})
        if ctx.store.repository(ws, new_slug) is not None:
            raise ValidationError(
                {"name": [f"A repository with the slug {new_slug} already exists in {ws}."]}
            )
        old_slug = repo["slug"]
        repo.update(slug=new_slug, full_name=f"{ws}/{new_slug}", links=o.repository_links(ws, new_slug))
        ctx.store.rename_repository(ws, old_slug, repo)
    repo.update(
        name=settings["name"] or repo["name"],
        description=settings["description"],
        language=settings["language"],
        website=settings["website"],
        is_private=settings["is_private"],
        fork_policy=settings["fork_policy"],
        project=o.project_condensed(project),
    )
    if settings["mainbranch"]:
        repo["mainbranch"] = {"type": "branch", "name": settings["mainbranch"]}
    ctx.store.touch(repo)
    if renamed:  # the repository's URL follows its new slug (spec: "the location will be changed")
        return ctx.created(repo, 200)
    return ctx.ok(repo)


def delete_repository(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("admin")
    if ctx.store.repository(ws, repo["slug"]) is None:
        raise ApiError(404, f"Repository {ws}/{repo['slug']} not found")
    ctx.store.delete_repository(ws, repo["slug"])
    return no_content()


def repository_routes(store: Store) -> list[Route]:
    path = "/repositories/{workspace}/{repo_slug}"
    return [
        route(store, path, "POST", create_repository, "repository:admin"),
        route(store, path, "PUT", put_repository, "repository:admin"),
        route(store, path, "DELETE", delete_repository, "repository:delete"),
    ]
