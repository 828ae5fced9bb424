"""Read routes for repositories and their settings (permissions, hooks, keys, reviewers, ...)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..serializers import objects as o
from ..store import PERMISSION_RANK
from . import schemas
from .context import JSON, ApiError, Ctx

Route = tuple[str, Callable[[Ctx], Response]]

ROLE_MINIMUM = {"member": "read", "contributor": "write", "admin": "admin"}


def _role_filter(ctx: Ctx, ws: str, repos: list[JSON]) -> list[JSON]:
    """Keep the repositories the caller can see, narrowed by ``role`` when given."""
    role = ctx.query.get("role")
    if role is not None and role not in (*ROLE_MINIMUM, "owner"):
        raise ApiError(400, "Bad request", f"role must be member, contributor, admin or owner; got {role!r}")
    kept = []
    for repo in repos:
        permission = ctx.repo_permission(ws, repo)
        if permission is None:
            continue
        if role is not None:
            if ctx.anonymous:
                continue
            if role == "owner":
                if ctx.store.workspace_permission(ws, ctx.user_uuid) != "owner":
                    continue
            elif ctx.user_uuid is not None and not _has_role(ctx, ws, repo, ROLE_MINIMUM[role]):
                continue
        kept.append(repo)
    return kept


def _has_role(ctx: Ctx, ws: str, repo: JSON, minimum: str) -> bool:
    """Role filters count membership-derived and explicit grants, not public visibility."""
    membership = ctx.store.workspace_permission(ws, ctx.user_uuid)
    levels = (
        []
        if membership is None
        else [{"owner": "admin", "collaborator": "write", "member": "read"}[membership]]
    )
    explicit = ctx.store.workspaces[ws].repo_user_permissions.get(repo["slug"], {}).get(ctx.user_uuid or "")
    if explicit is not None:
        levels.append(explicit["permission"])
    return any(PERMISSION_RANK[level] >= PERMISSION_RANK[minimum] for level in levels)


def list_repositories(ctx: Ctx) -> Response:
    ws = ctx.workspace_slug()
    data = ctx.store.workspaces[ws]
    repos = _role_filter(ctx, ws, [data.repositories[slug] for slug in sorted(data.repositories)])
    return ctx.listing(repos, schemas.REPOSITORY)


def get_repository(ctx: Ctx) -> Response:
    return ctx.respond(ctx.repository()[1])


def forks(ctx: Ctx) -> Response:
    _, repo = ctx.repository()
    found = []
    for ws, candidate in ctx.store.repositories():
        parent = candidate.get("parent")
        if (
            parent is not None
            and parent["uuid"] == repo["uuid"]
            and ctx.repo_permission(ws, candidate) is not None
        ):
            found.append(candidate)
    return ctx.listing(found, schemas.REPOSITORY)


def watchers(ctx: Ctx) -> Response:
    ws, repo = ctx.repository()
    uuids = ctx.store.workspaces[ws].watchers.get(repo["slug"], [])
    return ctx.listing([o.user_summary(ctx.store.users[uuid]) for uuid in uuids if uuid in ctx.store.users])


def _admin_repository(ctx: Ctx) -> tuple[str, JSON]:
    """Settings endpoints need admin (or an access token for the workspace)."""
    ws, repo = ctx.repository()
    if ctx.repo_permission(ws, repo) != "admin":
        raise ApiError(403, "Forbidden", f"Administrator access to {repo['full_name']} is required.")
    return ws, repo


def user_permissions(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    return ctx.listing(list(ctx.store.workspaces[ws].repo_user_permissions.get(repo["slug"], {}).values()))


def user_permission(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    grants = ctx.store.workspaces[ws].repo_user_permissions.get(repo["slug"], {})
    missing = f"No explicit permission for {ctx.params['selected_user_id']} on {repo['full_name']}"
    return ctx.respond(ctx.by_user(grants, "selected_user_id", missing))


def group_permissions(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    return ctx.listing(list(ctx.store.workspaces[ws].repo_group_permissions.get(repo["slug"], {}).values()))


def group_permission(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    grants = ctx.store.workspaces[ws].repo_group_permissions.get(repo["slug"], {})
    missing = f"No explicit permission for group {ctx.params['group_slug']} on {repo['full_name']}"
    return ctx.respond(ctx.found(grants.get(ctx.params["group_slug"]), missing))


def branch_restrictions(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    data = ctx.store.repo_data(ws, repo["slug"])
    items = [data.branch_restrictions[key] for key in sorted(data.branch_restrictions)]
    kind = ctx.query.get("kind")
    pattern = ctx.query.get("pattern")
    if kind is not None:
        items = [item for item in items if item["kind"] == kind]
    if pattern is not None:
        items = [item for item in items if item["pattern"] == pattern]
    return ctx.listing(items)


def branch_restriction(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    restriction_id = ctx.int_param("id")
    found = ctx.store.repo_data(ws, repo["slug"]).branch_restrictions.get(restriction_id)
    return ctx.respond(
        ctx.found(found, f"Branch restriction {restriction_id} not found in {repo['full_name']}")
    )


def default_reviewers(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    return ctx.listing(list(ctx.store.repo_data(ws, repo["slug"]).default_reviewers.values()))


def default_reviewer(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    reviewers = ctx.store.repo_data(ws, repo["slug"]).default_reviewers
    missing = f"{ctx.params['target_username']} is not a default reviewer of {repo['full_name']}"
    return ctx.respond(ctx.by_user(reviewers, "target_username", missing))


def effective_default_reviewers(ctx: Ctx) -> Response:
    ws, repo = ctx.repository()
    items: dict[str, JSON] = {}
    project_key = repo["project"]["key"]
    for uuid, entry in ctx.store.workspaces[ws].project_default_reviewers.get(project_key, {}).items():
        items[uuid] = entry
    for uuid in ctx.store.repo_data(ws, repo["slug"]).default_reviewers:
        user = ctx.store.users.get(uuid)
        if user is not None:
            items[uuid] = o.default_reviewer(user, "repository")
    return ctx.listing(list(items.values()))


def branching_model(ctx: Ctx) -> Response:
    ws, repo = ctx.repository()
    model = ctx.store.repo_data(ws, repo["slug"]).branching_model
    if model is None:
        raise ApiError(404, f"{repo['full_name']} has no branching model")
    return ctx.respond(model)


def hooks(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    return ctx.listing(list(ctx.store.repo_data(ws, repo["slug"]).hooks.values()))


def hook(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    missing = f"Webhook {ctx.params['uid']} not found in {repo['full_name']}"
    return ctx.respond(ctx.by_uuid(ctx.store.repo_data(ws, repo["slug"]).hooks, "uid", missing))


def downloads(ctx: Ctx) -> Response:
    ws, repo = ctx.repository()
    data = ctx.store.repo_data(ws, repo["slug"])
    return ctx.listing(sorted(data.downloads.values(), key=lambda item: item["created_on"], reverse=True))


def deploy_keys(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    data = ctx.store.repo_data(ws, repo["slug"])
    return ctx.listing([data.deploy_keys[key] for key in sorted(data.deploy_keys)])


def deploy_key(ctx: Ctx) -> Response:
    ws, repo = _admin_repository(ctx)
    key_id = ctx.int_param("key_id")
    found = ctx.store.repo_data(ws, repo["slug"]).deploy_keys.get(key_id)
    return ctx.respond(ctx.found(found, f"Deploy key {key_id} not found in {repo['full_name']}"))


BASE = "/repositories/{workspace}/{repo_slug}"

ROUTES: list[Route] = [
    ("/repositories/{workspace}", list_repositories),
    (BASE, get_repository),
    (f"{BASE}/forks", forks),
    (f"{BASE}/watchers", watchers),
    (f"{BASE}/permissions-config/users", user_permissions),
    (f"{BASE}/permissions-config/users/{{selected_user_id}}", user_permission),
    (f"{BASE}/permissions-config/groups", group_permissions),
    (f"{BASE}/permissions-config/groups/{{group_slug}}", group_permission),
    (f"{BASE}/branch-restrictions", branch_restrictions),
    (f"{BASE}/branch-restrictions/{{id}}", branch_restriction),
    (f"{BASE}/default-reviewers", default_reviewers),
    (f"{BASE}/default-reviewers/{{target_username}}", default_reviewer),
    (f"{BASE}/effective-default-reviewers", effective_default_reviewers),
    (f"{BASE}/branching-model", branching_model),
    (f"{BASE}/hooks", hooks),
    (f"{BASE}/hooks/{{uid}}", hook),
    (f"{BASE}/downloads", downloads),
    (f"{BASE}/deploy-keys", deploy_keys),
    (f"{BASE}/deploy-keys/{{key_id}}", deploy_key),
]
