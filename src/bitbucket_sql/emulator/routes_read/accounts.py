"""Read routes of keys and reviewers added later: effective default reviewers of a repository,
project deploy keys, a user's SSH and GPG keys, and the public webhook event catalogue
(``/hook_events``). The data comes from :mod:`..extras`.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..extras import effective_default_reviewers, user_extras, workspace_extras
from ..serializers.common import JSON, api, braced, link
from .context import ApiError, Ctx

Route = tuple[str, Callable[[Ctx], Response]]

#: (event, category, label, description): the spec's hook_event enum minus the removed issue tracker.
HOOK_EVENTS: dict[str, list[tuple[str, str, str]]] = {
    "repository": [
        ("repo:push", "Repository", "Push"),
        ("repo:fork", "Repository", "Fork"),
        ("repo:updated", "Repository", "Updated"),
        ("repo:commit_comment_created", "Repository", "Commit comment created"),
        ("repo:commit_status_created", "Repository", "Build status created"),
        ("repo:commit_status_updated", "Repository", "Build status updated"),
        ("repo:imported", "Repository", "Imported"),
        ("repo:transfer", "Repository", "Transfer accepted"),
        ("pullrequest:created", "Pull Request", "Created"),
        ("pullrequest:updated", "Pull Request", "Updated"),
        ("pullrequest:push", "Pull Request", "Source branch pushed"),
        ("pullrequest:approved", "Pull Request", "Approved"),
        ("pullrequest:unapproved", "Pull Request", "Approval removed"),
        ("pullrequest:changes_request_created", "Pull Request", "Changes request created"),
        ("pullrequest:changes_request_removed", "Pull Request", "Changes request removed"),
        ("pullrequest:fulfilled", "Pull Request", "Merged"),
        ("pullrequest:rejected", "Pull Request", "Declined"),
        ("pullrequest:comment_created", "Pull Request", "Comment created"),
        ("pullrequest:comment_updated", "Pull Request", "Comment updated"),
        ("pullrequest:comment_deleted", "Pull Request", "Comment deleted"),
        ("pullrequest:comment_resolved", "Pull Request", "Comment resolved"),
        ("pullrequest:comment_reopened", "Pull Request", "Comment reopened"),
        ("pipeline:span_created", "Pipeline", "Span created"),
    ],
}
HOOK_EVENTS["workspace"] = [
    *HOOK_EVENTS["repository"],
    ("repo:created", "Repository", "Created"),
    ("repo:deleted", "Repository", "Deleted"),
    ("project:updated", "Project", "Updated"),
]


def _hook_event(event: str, category: str, label: str) -> JSON:
    return {"event": event, "category": category, "label": label,
            "description": f"{category}: {label.lower()} ({event})"}


def hook_subject_types(ctx: Ctx) -> Response:
    return ctx.respond({kind: {"events": link(api(f"/hook_events/{kind}"))} for kind in sorted(HOOK_EVENTS)})


def hook_events(ctx: Ctx) -> Response:
    kind = ctx.params["subject_type"]
    if kind not in HOOK_EVENTS:
        raise ApiError(404, f"Unknown subject type {kind!r}", "Use repository or workspace.")
    return ctx.listing([_hook_event(*entry) for entry in HOOK_EVENTS[kind]], default_pagelen=30)


def effective_reviewers(ctx: Ctx) -> Response:
    ws, repo = ctx.repository()
    return ctx.listing(effective_default_reviewers(ctx.store, ws, repo))


def _project_keys(ctx: Ctx) -> dict[int, JSON]:
    slug = ctx.member_workspace()
    key = ctx.params["project_key"]
    if key not in ctx.store.workspaces[slug].projects:
        raise ApiError(404, f"Project {key} not found in {slug}")
    return workspace_extras(ctx.store, slug).project_deploy_keys.get(key, {})


def project_deploy_keys(ctx: Ctx) -> Response:
    return ctx.listing(list(_project_keys(ctx).values()))


def project_deploy_key(ctx: Ctx) -> Response:
    key_id = ctx.int_param("key_id")
    return ctx.respond(ctx.found(_project_keys(ctx).get(key_id), f"Deploy key {key_id} not found"))


def _user(ctx: Ctx) -> str:
    if ctx.anonymous:
        raise ApiError(401, "Unauthorized", "This resource needs credentials.")
    user = ctx.store.user(ctx.params["selected_user"])
    if user is None:
        raise ApiError(404, f"User {ctx.params['selected_user']} not found")
    return str(user["uuid"])


def ssh_keys(ctx: Ctx) -> Response:
    return ctx.listing(list(user_extras(ctx.store, _user(ctx)).ssh_keys.values()))


def ssh_key(ctx: Ctx) -> Response:
    found = user_extras(ctx.store, _user(ctx)).ssh_keys.get(braced(ctx.params["key_id"]))
    return ctx.respond(ctx.found(found, f"SSH key {ctx.params['key_id']} not found"))


def gpg_keys(ctx: Ctx) -> Response:
    return ctx.listing(list(user_extras(ctx.store, _user(ctx)).gpg_keys.values()))


def gpg_key(ctx: Ctx) -> Response:
    found = user_extras(ctx.store, _user(ctx)).gpg_keys.get(ctx.params["fingerprint"].upper())
    return ctx.respond(ctx.found(found, f"GPG key {ctx.params['fingerprint']} not found"))


ROUTES: list[Route] = [
    ("/hook_events", hook_subject_types),
    ("/hook_events/{subject_type}", hook_events),
    ("/repositories/{workspace}/{repo_slug}/effective-default-reviewers", effective_reviewers),
    ("/workspaces/{workspace}/projects/{project_key}/deploy-keys", project_deploy_keys),
    ("/workspaces/{workspace}/projects/{project_key}/deploy-keys/{key_id}", project_deploy_key),
    ("/users/{selected_user}/ssh-keys", ssh_keys),
    ("/users/{selected_user}/ssh-keys/{key_id}", ssh_key),
    ("/users/{selected_user}/gpg-keys", gpg_keys),
    ("/users/{selected_user}/gpg-keys/{fingerprint}", gpg_key),
]
