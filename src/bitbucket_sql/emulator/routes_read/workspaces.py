"""Read routes about the caller, workspaces, members, projects and workspace-level settings."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..bbql import BBQLError, fields_in, parse
from ..serializers import objects as o
from ..serializers.common import naive_millis
from ..store import PERMISSION_RANK
from . import schemas
from .context import JSON, ApiError, Ctx
from .pullrequests import pull_request_listing

Route = tuple[str, Callable[[Ctx], Response]]


def current_user(ctx: Ctx) -> Response:
    if ctx.anonymous:
        raise ApiError(401, "Unauthorized", "GET /user needs credentials.")
    user = ctx.store.users.get(ctx.user_uuid or "")
    if user is None:
        # An access token acts as a bot account named after the token.
        name = getattr(ctx.principal, "name", "access token")
        user = {
            "type": "app_user",
            "uuid": "{00000000-0000-4000-8000-000000000000}",
            "display_name": name,
            "account_id": "bot",
            "links": {},
        }
    return ctx.respond(user)


def user_profile(ctx: Ctx) -> Response:
    """``/users/{selected_user}`` by braced UUID or account_id: the target of every user's
    ``links.self``, so clients that follow links can reach it (anonymous callers too)."""
    ident = ctx.params["selected_user"]
    return ctx.respond(ctx.found(ctx.store.user(ident), f"User {ident} not found"))


def _accessible(ctx: Ctx) -> list[str]:
    if ctx.anonymous:
        raise ApiError(401, "Unauthorized", "This resource needs credentials.")
    return ctx.readable_workspaces()


def _is_admin(ctx: Ctx, ws: str) -> bool:
    if ctx.user_uuid is None:
        return False
    return ctx.store.workspace_permission(ws, ctx.user_uuid) == "owner"


def user_workspaces(ctx: Ctx) -> Response:
    items = []
    for slug in _accessible(ctx):
        access = o.workspace_access(ctx.store.workspaces[slug].workspace, _is_admin(ctx, slug))
        items.append(access)
    administrator = ctx.query.get("administrator")
    if administrator is not None:
        if administrator.lower() not in ("true", "false"):
            raise ApiError(400, "Bad request", f"administrator must be true or false, got {administrator!r}")
        wanted = administrator.lower() == "true"
        items = [item for item in items if item["administrator"] == wanted]
    sort = ctx.query.get("sort")
    if sort not in (None, "slug", "-slug"):
        raise BBQLError(f"/user/workspaces can only be sorted by slug, got {sort!r}")
    # q may filter on slug (and the embedded workspace); evaluate against a view that has it.
    view = [{**item, "slug": item["workspace"]["slug"]} for item in items]
    by_slug = {item["workspace"]["slug"]: item for item in items}

    def restore(values: list[JSON]) -> list[JSON]:
        return [by_slug[value["slug"]] for value in values]

    ordered = sorted(view, key=lambda item: item["slug"], reverse=sort == "-slug")
    return ctx.listing(ordered, schemas.WORKSPACE_ACCESS, sort=False, prefilter=restore)


def user_workspace_permission(ctx: Ctx) -> Response:
    slug = ctx.member_workspace()
    membership = ctx.store.workspaces[slug].members.get(ctx.user_uuid or "")
    if membership is None:
        raise ApiError(403, "Forbidden", f"You are not a member of workspace {slug}.")
    return ctx.respond(membership)


def user_permissions_workspaces(ctx: Ctx) -> Response:
    """Deprecated ``/user/permissions/workspaces``: the caller's memberships."""
    items = [
        ctx.store.workspaces[slug].members[ctx.user_uuid]
        for slug in _accessible(ctx)
        if ctx.user_uuid in ctx.store.workspaces[slug].members
    ]
    # live: default pagelen 50 and ``added_on`` with milliseconds and no offset
    items = [
        {**item, "added_on": naive_millis(item["added_on"])} if item.get("added_on") else item
        for item in items
    ]
    return ctx.listing(items, schemas.MEMBERSHIP, default_pagelen=50)


def user_permissions_repositories(ctx: Ctx) -> Response:
    """Deprecated ``/user/permissions/repositories``: the caller's explicit repository grants."""
    return ctx.listing(_own_repo_permissions(ctx, _accessible(ctx)), schemas.REPO_PERMISSION)


def user_workspace_repo_permissions(ctx: Ctx) -> Response:
    return ctx.listing(_own_repo_permissions(ctx, [ctx.member_workspace()]), schemas.REPO_PERMISSION)


def _own_repo_permissions(ctx: Ctx, slugs: list[str]) -> list[JSON]:
    user = ctx.store.users.get(ctx.user_uuid or "")
    if user is None:
        return []
    items = []
    for slug in slugs:
        data = ctx.store.workspaces[slug]
        for repo_slug in sorted(data.repositories):
            repo = data.repositories[repo_slug]
            permission = ctx.repo_permission(slug, repo)
            if permission is not None:
                items.append(o.repository_permission(repo, user, permission))
    return items


def list_workspaces(ctx: Ctx) -> Response:
    """Deprecated ``/workspaces``; ``role=owner|collaborator|member``."""
    slugs = _accessible(ctx)
    role = ctx.query.get("role")
    if role is not None:
        if role not in ("owner", "collaborator", "member"):
            raise ApiError(400, "Bad request", f"role must be owner, collaborator or member, got {role!r}")
        slugs = [
            s
            for s in slugs
            if PERMISSION_RANK.get(ctx.store.workspace_permission(s, ctx.user_uuid) or "none", 0)
            >= PERMISSION_RANK[role]
        ]
    return ctx.listing([ctx.store.workspaces[slug].workspace for slug in slugs], schemas.WORKSPACE_FULL)


def get_workspace(ctx: Ctx) -> Response:
    return ctx.respond(ctx.store.workspaces[ctx.workspace_slug()].workspace)


def members(ctx: Ctx) -> Response:
    slug = ctx.member_workspace()
    q = ctx.query.get("q")
    if q is not None and fields_in(parse(q)) != {"user.email"}:
        raise BBQLError("workspace members can only be filtered on user.email")
    items = []
    for uuid, membership in ctx.store.workspaces[slug].members.items():
        item = {
            key: value
            for key, value in membership.items()
            if key not in ("permission", "added_on", "last_accessed")
        }
        if q is not None:
            item = {**item, "user": {**item["user"], "email": ctx.store.email_of(uuid)}}
        items.append(item)
    items.sort(key=lambda item: item["user"]["display_name"])
    # E-mails are visible only for addresses named in q, and only with fields=+values.user.email.
    return ctx.listing(items, schemas.MEMBERSHIP, sort=False, omitted=("values.user.email",))


def member(ctx: Ctx) -> Response:
    slug = ctx.member_workspace()
    membership = ctx.by_user(
        ctx.store.workspaces[slug].members,
        "member",
        f"{ctx.params['member']} is not a member of workspace {slug}",
    )
    return ctx.respond(
        {
            key: value
            for key, value in membership.items()
            if key not in ("permission", "added_on", "last_accessed")
        }
    )


def permissions(ctx: Ctx) -> Response:
    slug = ctx.member_workspace()
    items = sorted(ctx.store.workspaces[slug].members.values(), key=lambda m: m["user"]["display_name"])
    return ctx.listing(items, schemas.MEMBERSHIP, sort=False)


def repository_permissions(ctx: Ctx) -> Response:
    """Every user x repository grant: workspace admins only (one repository: its admins)."""
    slug = ctx.member_workspace()
    only = ctx.params.get("repo_slug")
    data = ctx.store.workspaces[slug]
    if only is not None and only not in data.repositories:
        raise ApiError(404, f"Repository {slug}/{only} not found")
    if only is not None:
        allowed = ctx.repo_permission(slug, data.repositories[only]) == "admin"
    else:
        allowed = (
            ctx.principal.kind == "access_token"
            or ctx.store.workspace_permission(slug, ctx.user_uuid) == "owner"
        )
    if not allowed:
        raise ApiError(403, "Forbidden", "Listing repository permissions needs administrator access.")
    items = []
    for repo_slug in sorted(data.repositories) if only is None else [only]:
        repo = data.repositories[repo_slug]
        for uuid, grant in data.repo_user_permissions.get(repo_slug, {}).items():
            user = ctx.store.users.get(uuid)
            if user is not None:
                items.append(o.repository_permission(repo, user, grant["permission"]))
    return ctx.listing(items, schemas.REPO_PERMISSION)


def projects(ctx: Ctx) -> Response:
    slug = ctx.workspace_slug()
    data = ctx.store.workspaces[slug]
    items = [data.projects[key] for key in sorted(data.projects)]
    if not ctx.can_read_workspace(slug):
        items = [p for p in items if not p["is_private"] or p["has_publicly_visible_repos"]]
    return ctx.listing(items, schemas.PROJECT_FULL)


def _project(ctx: Ctx) -> tuple[str, JSON]:
    slug = ctx.workspace_slug()
    key = ctx.params["project_key"]
    found = ctx.store.workspaces[slug].projects.get(key)
    if found is None:
        found = next((p for p in ctx.store.workspaces[slug].projects.values() if p["uuid"] == key), None)
    if found is None:
        raise ApiError(404, f"Project {key} not found in workspace {slug}")
    if found["is_private"] and not found["has_publicly_visible_repos"] and not ctx.can_read_workspace(slug):
        raise ApiError(
            404 if ctx.anonymous else 403, f"Project {key} not found" if ctx.anonymous else "Forbidden"
        )
    return slug, found


def project(ctx: Ctx) -> Response:
    return ctx.respond(_project(ctx)[1])


def project_user_permissions(ctx: Ctx) -> Response:
    slug, found = _project(ctx)
    ctx.member_workspace()
    items = list(ctx.store.workspaces[slug].project_user_permissions.get(found["key"], {}).values())
    return ctx.listing(items)


def project_user_permission(ctx: Ctx) -> Response:
    slug, found = _project(ctx)
    ctx.member_workspace()
    grants = ctx.store.workspaces[slug].project_user_permissions.get(found["key"], {})
    missing = f"No explicit permission for {ctx.params['selected_user_id']} on project {found['key']}"
    return ctx.respond(ctx.by_user(grants, "selected_user_id", missing))


def project_group_permissions(ctx: Ctx) -> Response:
    slug, found = _project(ctx)
    ctx.member_workspace()
    return ctx.listing(
        list(ctx.store.workspaces[slug].project_group_permissions.get(found["key"], {}).values())
    )


def project_group_permission(ctx: Ctx) -> Response:
    slug, found = _project(ctx)
    ctx.member_workspace()
    grants = ctx.store.workspaces[slug].project_group_permissions.get(found["key"], {})
    missing = f"No explicit permission for group {ctx.params['group_slug']} on project {found['key']}"
    return ctx.respond(ctx.found(grants.get(ctx.params["group_slug"]), missing))


def project_default_reviewers(ctx: Ctx) -> Response:
    slug, found = _project(ctx)
    ctx.member_workspace()
    return ctx.listing(
        list(ctx.store.workspaces[slug].project_default_reviewers.get(found["key"], {}).values())
    )


def project_default_reviewer(ctx: Ctx) -> Response:
    slug, found = _project(ctx)
    ctx.member_workspace()
    reviewers = ctx.store.workspaces[slug].project_default_reviewers.get(found["key"], {})
    missing = f"{ctx.params['selected_user']} is not a default reviewer of project {found['key']}"
    ctx.by_user(reviewers, "selected_user", missing)
    return ctx.respond(ctx.store.user(ctx.params["selected_user"]))  # the spec answers the user itself


def hooks(ctx: Ctx) -> Response:
    slug = ctx.member_workspace()
    return ctx.listing(list(ctx.store.workspaces[slug].hooks.values()))


def hook(ctx: Ctx) -> Response:
    slug = ctx.member_workspace()
    return ctx.respond(
        ctx.by_uuid(ctx.store.workspaces[slug].hooks, "uid", f"Webhook {ctx.params['uid']} not found")
    )


def variables(ctx: Ctx) -> Response:
    slug = ctx.member_workspace()
    return ctx.listing(list(ctx.store.workspaces[slug].variables.values()))


def variable(ctx: Ctx) -> Response:
    slug = ctx.member_workspace()
    missing = f"Variable {ctx.params['variable_uuid']} not found"
    return ctx.respond(ctx.by_uuid(ctx.store.workspaces[slug].variables, "variable_uuid", missing))


def user_pull_requests(ctx: Ctx) -> Response:
    """``/workspaces/{workspace}/pullrequests/{selected_user}``: PRs authored by a user.

    Like live Bitbucket, the listing only knows the workspace's current members: the pull requests
    of someone who has left stay in their repositories' listings but are missing here (an empty
    listing), which is why clients must not read them from this endpoint.
    """
    slug = ctx.workspace_slug()
    user = ctx.store.user(ctx.params["selected_user"])
    if user is None:
        raise ApiError(404, f"User {ctx.params['selected_user']} not found")
    items: list[JSON] = []
    if user["uuid"] not in ctx.store.workspaces[slug].members:
        return pull_request_listing(ctx, items)
    for repo_slug in sorted(ctx.store.workspaces[slug].repositories):
        repo = ctx.store.workspaces[slug].repositories[repo_slug]
        if ctx.repo_permission(slug, repo) is None:
            continue
        data = ctx.store.repo_data(slug, repo_slug)
        items.extend(pr for pr in data.pullrequests.values() if pr["author"]["uuid"] == user["uuid"])
    items.sort(key=lambda pr: pr["created_on"], reverse=True)
    return pull_request_listing(ctx, items)


ROUTES: list[Route] = [
    ("/user", current_user),
    ("/users/{selected_user}", user_profile),
    ("/user/workspaces", user_workspaces),
    ("/user/workspaces/{workspace}/permission", user_workspace_permission),
    ("/user/workspaces/{workspace}/permissions/repositories", user_workspace_repo_permissions),
    ("/user/permissions/workspaces", user_permissions_workspaces),
    ("/user/permissions/repositories", user_permissions_repositories),
    ("/workspaces", list_workspaces),
    ("/workspaces/{workspace}", get_workspace),
    ("/workspaces/{workspace}/members", members),
    ("/workspaces/{workspace}/members/{member}", member),
    ("/workspaces/{workspace}/permissions", permissions),
    ("/workspaces/{workspace}/permissions/repositories", repository_permissions),
    ("/workspaces/{workspace}/permissions/repositories/{repo_slug}", repository_permissions),
    ("/workspaces/{workspace}/projects", projects),
    ("/workspaces/{workspace}/projects/{project_key}", project),
    ("/workspaces/{workspace}/projects/{project_key}/permissions-config/users", project_user_permissions),
    (
        "/workspaces/{workspace}/projects/{project_key}/permissions-config/users/{selected_user_id}",
        project_user_permission,
    ),
    ("/workspaces/{workspace}/projects/{project_key}/permissions-config/groups", project_group_permissions),
    (
        "/workspaces/{workspace}/projects/{project_key}/permissions-config/groups/{group_slug}",
        project_group_permission,
    ),
    ("/workspaces/{workspace}/projects/{project_key}/default-reviewers", project_default_reviewers),
    (
        "/workspaces/{workspace}/projects/{project_key}/default-reviewers/{selected_user}",
        project_default_reviewer,
    ),
    ("/workspaces/{workspace}/hooks", hooks),
    ("/workspaces/{workspace}/hooks/{uid}", hook),
    ("/workspaces/{workspace}/pipelines-config/variables", variables),
    ("/workspaces/{workspace}/pipelines-config/variables/{variable_uuid}", variable),
    ("/workspaces/{workspace}/pullrequests/{selected_user}", user_pull_requests),
]
