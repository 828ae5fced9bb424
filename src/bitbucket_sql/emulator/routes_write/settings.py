"""Repository and project settings: branch restrictions, default reviewers, deploy keys.

Status codes and scopes are the spec's: branch restrictions 201/200/204 (``repository:admin``);
default reviewers ``PUT`` 200 with the user (idempotent) and ``DELETE`` 204 (``repository:admin``,
``project:admin`` at project level); deploy keys ``POST`` **200** (the spec's code), ``PUT`` 200,
``DELETE`` 204, needing both ``repository`` and ``repository:admin``.
"""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON
from ..serializers.render import json_response
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route

RESTRICTION_KINDS = (
    "push",
    "delete",
    "force",
    "restrict_merges",
    "require_tasks_to_be_completed",
    "require_approvals_to_merge",
    "require_review_group_approvals_to_merge",
    "require_default_reviewer_approvals_to_merge",
    "require_no_changes_requested",
    "require_passing_builds_to_merge",
    "require_commits_behind",
    "reset_pullrequest_approvals_on_change",
    "smart_reset_pullrequest_approvals",
    "reset_pullrequest_changes_requested_on_change",
    "require_all_dependencies_merged",
    "enforce_merge_checks",
    "allow_auto_merge_when_builds_pass",
    "require_all_comments_resolved",
)
BRANCH_TYPES = ("feature", "bugfix", "release", "hotfix", "development", "production")
#: kinds whose ``users``/``groups`` lists say who is exempt (the only ones that take them)
EXEMPTION_KINDS = ("push", "restrict_merges")
SSH_KEY = re.compile(r"^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-\S+) [A-Za-z0-9+/=]+( .*)?$")


# ----------------------------------------------------------------------------- branch restrictions


def _users(ctx: WriteCtx, body: JSON) -> list[JSON]:
    found = []
    for reference in body.get("users") or []:
        ident = None
        if isinstance(reference, dict):
            ident = reference.get("uuid") or reference.get("account_id")
        user = ctx.store.user(ident) if isinstance(ident, str) else None
        if user is None:
            raise ValidationError({"users": [f"No user {ident!r}; give users as {{'uuid': ...}}."]})
        found.append(user)
    return found


def _groups(ctx: WriteCtx, ws: str, body: JSON) -> list[JSON]:
    groups = ctx.store.workspaces[ws].groups
    found = []
    for reference in body.get("groups") or []:
        slug = reference.get("slug") if isinstance(reference, dict) else None
        if not isinstance(slug, str) or slug not in groups:
            raise ValidationError({"groups": [f"No group {slug!r} in workspace {ws}."]})
        found.append(groups[slug])
    return found


def _restriction(
    ctx: WriteCtx, ws: str, repo: JSON, restriction_id: int, body: JSON, current: JSON | None
) -> JSON:
    """A validated restriction from ``body``; absent fields keep ``current``'s values (PUT)."""

    def field(name: str, default: object) -> object:
        return body.get(name, current.get(name) if current is not None else default)

    kind = field("kind", None)
    if kind not in RESTRICTION_KINDS:
        raise ValidationError({"kind": [f"Must be one of {', '.join(RESTRICTION_KINDS)}."]})
    match_kind = field("branch_match_kind", "glob")
    if match_kind not in ("glob", "branching_model"):
        raise ValidationError({"branch_match_kind": ["Must be glob or branching_model."]})
    pattern = field("pattern", "")
    branch_type = field("branch_type", None)
    if match_kind == "glob" and (not isinstance(pattern, str) or not pattern):
        raise ValidationError({"pattern": ["A glob restriction needs a pattern."]})
    if match_kind == "branching_model" and branch_type not in BRANCH_TYPES:
        raise ValidationError({"branch_type": [f"Must be one of {', '.join(BRANCH_TYPES)}."]})
    value = field("value", None)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValidationError({"value": ["Expected a whole number of at least 0."]})
    if kind in EXEMPTION_KINDS:
        users = (
            _users(ctx, body)
            if "users" in body
            else [
                ctx.store.users[u["uuid"]]
                for u in (current or {}).get("users", [])
                if u["uuid"] in ctx.store.users
            ]
        )
        groups = _groups(ctx, ws, body) if "groups" in body else list((current or {}).get("groups", []))
    elif body.get("users") or body.get("groups"):
        raise ValidationError(
            {"users": [f"Only {' and '.join(EXEMPTION_KINDS)} restrictions take users and groups."]}
        )
    else:
        users, groups = [], []
    return o.branch_restriction(
        repo,
        restriction_id,
        str(kind),
        str(pattern) if match_kind == "glob" else "",
        value=value,
        users=users,
        groups=groups,
        branch_match_kind=str(match_kind),
        branch_type=str(branch_type) if match_kind == "branching_model" else None,
    )


def _same_matcher(a: JSON, b: JSON) -> bool:
    return (a["kind"], a["branch_match_kind"], a["pattern"], a.get("branch_type")) == (
        b["kind"],
        b["branch_match_kind"],
        b["pattern"],
        b.get("branch_type"),
    )


def _check_unique(restrictions: dict[int, JSON], candidate: JSON) -> None:
    for other in restrictions.values():
        if other["id"] != candidate["id"] and _same_matcher(other, candidate):
            raise ValidationError(
                {
                    "kind": [
                        f"A {candidate['kind']} restriction with this branch match already exists (id {other['id']})."
                    ]
                }
            )


def create_restriction(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("admin")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    body = ctx.object_body()
    candidate = _restriction(ctx, ws, repo, 0, body, None)
    _check_unique(data.branch_restrictions, candidate)
    restriction_id = ctx.store.next_id(ws, repo["slug"], "branch_restriction")
    restriction = _restriction(ctx, ws, repo, restriction_id, body, None)
    data.branch_restrictions[restriction_id] = restriction
    return ctx.created(restriction)


def _existing_restriction(ctx: WriteCtx) -> tuple[str, JSON, dict[int, JSON], int]:
    ws, repo = ctx.writable_repository("admin")
    restrictions = ctx.store.repo_data_for_write(ws, repo["slug"]).branch_restrictions
    restriction_id = ctx.int_param("id")
    if restriction_id not in restrictions:
        raise ApiError(404, f"Branch restriction {restriction_id} not found in {repo['full_name']}")
    return ws, repo, restrictions, restriction_id


def update_restriction(ctx: WriteCtx) -> Response:
    ws, repo, restrictions, restriction_id = _existing_restriction(ctx)
    updated = _restriction(ctx, ws, repo, restriction_id, ctx.object_body(), restrictions[restriction_id])
    _check_unique(restrictions, updated)
    restrictions[restriction_id] = updated
    return ctx.ok(updated)


def delete_restriction(ctx: WriteCtx) -> Response:
    _, _, restrictions, restriction_id = _existing_restriction(ctx)
    del restrictions[restriction_id]
    return no_content()


# ----------------------------------------------------------------------------- default reviewers


def _named_user(ctx: WriteCtx, param: str) -> JSON:
    user = ctx.store.user(ctx.params[param])
    if user is None:
        raise ApiError(
            404, f"User {ctx.params[param]} not found", "Name the user by braced UUID or account_id."
        )
    return user


def add_default_reviewer(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("admin")
    user = _named_user(ctx, "target_username")
    ctx.store.repo_data_for_write(ws, repo["slug"]).default_reviewers[user["uuid"]] = o.user_summary(user)
    return ctx.ok(o.user_summary(user))


def remove_default_reviewer(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("admin")
    user = _named_user(ctx, "target_username")
    reviewers = ctx.store.repo_data_for_write(ws, repo["slug"]).default_reviewers
    if reviewers.pop(user["uuid"], None) is None:
        raise ApiError(
            404, f"{ctx.params['target_username']} is not a default reviewer of {repo['full_name']}"
        )
    return no_content()


def _admin_project(ctx: WriteCtx) -> tuple[str, JSON]:
    ws = ctx.admin_workspace()
    key = ctx.params["project_key"]
    project = ctx.store.workspaces[ws].projects.get(key)
    if project is None:
        raise ApiError(404, f"Project {key} not found in workspace {ws}")
    return ws, project


def add_project_default_reviewer(ctx: WriteCtx) -> Response:
    ws, project = _admin_project(ctx)
    user = _named_user(ctx, "selected_user")
    reviewers = ctx.store.workspaces[ws].project_default_reviewers.setdefault(project["key"], {})
    reviewers[user["uuid"]] = o.default_reviewer(user, "project")
    return ctx.ok(user)


def remove_project_default_reviewer(ctx: WriteCtx) -> Response:
    ws, project = _admin_project(ctx)
    user = _named_user(ctx, "selected_user")
    reviewers = ctx.store.workspaces[ws].project_default_reviewers.get(project["key"], {})
    if reviewers.pop(user["uuid"], None) is None:
        raise ApiError(
            404, f"{ctx.params['selected_user']} is not a default reviewer of project {project['key']}"
        )
    return no_content()


# ----------------------------------------------------------------------------- deploy keys


def _key_text(ctx: WriteCtx, body: JSON) -> str:
    key = ctx.required_text(body, "key").strip()
    if not SSH_KEY.match(key):
        raise ValidationError({"key": ["Give an OpenSSH public key such as 'ssh-ed25519 AAAA... comment'."]})
    return key


def create_deploy_key(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("admin")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    body = ctx.object_body()
    key = _key_text(ctx, body)
    if any(existing["key"].split()[:2] == key.split()[:2] for existing in data.deploy_keys.values()):
        raise ValidationError({"key": ["This key is already a deploy key of this repository."]})
    key_id = ctx.store.next_id(ws, repo["slug"], "deploy_key")
    label = ctx.optional_text(body, "label", "")
    deploy_key = o.deploy_key(repo, key_id, key, label, now_iso(), ctx.acting_user())
    deploy_key["comment"] = " ".join(key.split()[2:])
    data.deploy_keys[key_id] = deploy_key
    location = ctx.location_of(deploy_key)
    return json_response(ctx.request, deploy_key, 200, headers={"Location": location})


def _existing_key(ctx: WriteCtx) -> tuple[dict[int, JSON], int]:
    ws, repo = ctx.writable_repository("admin")
    keys = ctx.store.repo_data_for_write(ws, repo["slug"]).deploy_keys
    key_id = ctx.int_param("key_id")
    if key_id not in keys:
        raise ApiError(404, f"Deploy key {key_id} not found in {repo['full_name']}")
    return keys, key_id


def update_deploy_key(ctx: WriteCtx) -> Response:
    keys, key_id = _existing_key(ctx)
    body = ctx.object_body()
    current = keys[key_id]
    if "key" in body and _key_text(ctx, body).split()[:2] != current["key"].split()[:2]:
        raise ValidationError(
            {"key": ["The key of a deploy key cannot change; add a new deploy key instead."]}
        )
    current["label"] = ctx.optional_text(body, "label", current["label"])
    return ctx.ok(current)


def delete_deploy_key(ctx: WriteCtx) -> Response:
    keys, key_id = _existing_key(ctx)
    del keys[key_id]
    return no_content()


def settings_routes(store: Store) -> list[Route]:
    repo = "/repositories/{workspace}/{repo_slug}"
    project = "/workspaces/{workspace}/projects/{project_key}"
    admin = "repository:admin"
    key_scopes = ("repository", "repository:admin")
    return [
        route(store, f"{repo}/branch-restrictions", "POST", create_restriction, admin),
        route(store, f"{repo}/branch-restrictions/{{id}}", "PUT", update_restriction, admin),
        route(store, f"{repo}/branch-restrictions/{{id}}", "DELETE", delete_restriction, admin),
        route(store, f"{repo}/default-reviewers/{{target_username}}", "PUT", add_default_reviewer, admin),
        route(
            store, f"{repo}/default-reviewers/{{target_username}}", "DELETE", remove_default_reviewer, admin
        ),
        route(
            store,
            f"{project}/default-reviewers/{{selected_user}}",
            "PUT",
            add_project_default_reviewer,
            "project:admin",
        ),
        route(
            store,
            f"{project}/default-reviewers/{{selected_user}}",
            "DELETE",
            remove_project_default_reviewer,
            "project:admin",
        ),
        route(store, f"{repo}/deploy-keys", "POST", create_deploy_key, key_scopes),
        route(store, f"{repo}/deploy-keys/{{key_id}}", "PUT", update_deploy_key, key_scopes),
        route(store, f"{repo}/deploy-keys/{{key_id}}", "DELETE", delete_deploy_key, key_scopes),
    ]
