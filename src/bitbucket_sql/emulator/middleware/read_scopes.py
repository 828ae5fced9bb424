"""OAuth scopes that reads need: a GET by a credential lacking them answers 403.

The table is the spec's classic ``security[].oauth2`` requirement of each GET the emulator
serves (write routes check their own scope). Anonymous callers are not scope-checked: they have
no token, and visibility rules (public repositories only) apply instead. Paths not listed need
no scope (for example ``/workspaces/{workspace}``, which the spec leaves open).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from bitbucket_sql.emulator.middleware.envelope import missing_scopes_response
from bitbucket_sql.emulator.middleware.stats import TEMPLATE_KEY
from bitbucket_sql.emulator.principal import ANONYMOUS, Principal

_REPO = "/2.0/repositories/{workspace}/{repo_slug}"
_PR = f"{_REPO}/pullrequests/{{pull_request_id}}"
_WS = "/2.0/workspaces/{workspace}"
_PROJECT = f"{_WS}/projects/{{project_key}}"

GET_SCOPES: dict[str, tuple[str, ...]] = {
    "/2.0/user": ("account",),
    "/2.0/user/workspaces": ("account",),
    "/2.0/user/workspaces/{workspace}/permission": ("account",),
    "/2.0/user/workspaces/{workspace}/permissions/repositories": ("account", "repository"),
    "/2.0/user/permissions/workspaces": ("account",),
    "/2.0/user/permissions/repositories": ("account", "repository"),
    "/2.0/workspaces": ("account",),
    f"{_WS}/members": ("account",),
    f"{_WS}/members/{{member}}": ("account",),
    f"{_WS}/permissions": ("account",),
    f"{_WS}/permissions/repositories": ("account",),
    f"{_WS}/permissions/repositories/{{repo_slug}}": ("repository",),
    f"{_WS}/projects": ("project",),
    _PROJECT: ("project",),
    f"{_PROJECT}/permissions-config/users": ("project:admin",),
    f"{_PROJECT}/permissions-config/users/{{selected_user_id}}": ("project:admin",),
    f"{_PROJECT}/permissions-config/groups": ("project:admin",),
    f"{_PROJECT}/permissions-config/groups/{{group_slug}}": ("project:admin",),
    f"{_PROJECT}/default-reviewers": ("project:admin",),
    f"{_PROJECT}/default-reviewers/{{selected_user}}": ("project:admin",),
    f"{_WS}/hooks": ("webhook",),
    f"{_WS}/hooks/{{uid}}": ("webhook",),
    f"{_WS}/pipelines-config/variables": ("pipeline",),
    f"{_WS}/pipelines-config/variables/{{variable_uuid}}": ("pipeline",),
    f"{_WS}/pullrequests/{{selected_user}}": ("pullrequest",),
    "/2.0/repositories": ("repository",),
    "/2.0/repositories/{workspace}": ("repository",),
    _REPO: ("repository",),
    f"{_REPO}/forks": ("repository",),
    f"{_REPO}/watchers": ("repository",),
    f"{_REPO}/permissions-config/users": ("repository:admin",),
    f"{_REPO}/permissions-config/users/{{selected_user_id}}": ("repository:admin",),
    f"{_REPO}/permissions-config/groups": ("repository:admin",),
    f"{_REPO}/permissions-config/groups/{{group_slug}}": ("repository:admin",),
    f"{_REPO}/branch-restrictions": ("repository:admin",),
    f"{_REPO}/branch-restrictions/{{id}}": ("repository:admin",),
    f"{_REPO}/default-reviewers": ("pullrequest",),
    f"{_REPO}/default-reviewers/{{target_username}}": ("pullrequest",),
    f"{_REPO}/effective-default-reviewers": ("pullrequest",),
    f"{_REPO}/branching-model": ("repository",),
    f"{_REPO}/hooks": ("webhook",),
    f"{_REPO}/hooks/{{uid}}": ("webhook",),
    f"{_REPO}/downloads": ("repository",),
    f"{_REPO}/deploy-keys": ("repository", "repository:admin"),
    f"{_REPO}/deploy-keys/{{key_id}}": ("repository", "repository:admin"),
    f"{_REPO}/refs": ("repository",),
    f"{_REPO}/refs/branches": ("repository",),
    f"{_REPO}/refs/branches/{{name}}": ("repository",),
    f"{_REPO}/refs/tags": ("repository",),
    f"{_REPO}/refs/tags/{{name}}": ("repository",),
    f"{_REPO}/commits": ("repository",),
    f"{_REPO}/commits/{{revision}}": ("repository",),
    f"{_REPO}/commit/{{commit}}": ("repository",),
    f"{_REPO}/commit/{{commit}}/statuses": ("repository",),
    f"{_REPO}/commit/{{commit}}/statuses/build/{{key}}": ("repository",),
    f"{_REPO}/diffstat/{{spec}}": ("repository",),
    f"{_REPO}/src": ("repository",),
    f"{_REPO}/pullrequests": ("pullrequest",),
    f"{_REPO}/pullrequests/activity": ("pullrequest",),
    _PR: ("pullrequest",),
    f"{_PR}/activity": ("pullrequest",),
    f"{_PR}/comments": ("pullrequest",),
    f"{_PR}/comments/{{comment_id}}": ("pullrequest",),
    f"{_PR}/commits": ("pullrequest",),
    f"{_PR}/tasks": ("pullrequest",),
    f"{_PR}/tasks/{{task_id}}": ("pullrequest",),
    f"{_PR}/statuses": ("pullrequest",),
    f"{_PR}/diffstat": ("pullrequest",),
    f"{_PR}/merge/task-status/{{task_id}}": ("pullrequest",),
    f"{_REPO}/pipelines": ("pipeline",),
    f"{_REPO}/pipelines/{{pipeline_uuid}}": ("pipeline",),
    f"{_REPO}/pipelines/{{pipeline_uuid}}/steps": ("pipeline",),
    f"{_REPO}/pipelines/{{pipeline_uuid}}/steps/{{step_uuid}}": ("pipeline",),
    f"{_REPO}/pipelines_config/variables": ("pipeline",),
    f"{_REPO}/pipelines_config/variables/{{variable_uuid}}": ("pipeline",),
    f"{_REPO}/pipelines_config/schedules": ("pipeline",),
    f"{_REPO}/pipelines_config/schedules/{{schedule_uuid}}": ("pipeline",),
    f"{_REPO}/environments": ("pipeline",),
    f"{_REPO}/environments/{{environment_uuid}}": ("pipeline",),
    f"{_REPO}/deployments": ("pipeline",),
    f"{_REPO}/deployments/{{deployment_uuid}}": ("pipeline",),
}


def _normalised(template: str) -> str:
    """``{name:path}`` -> ``{name}``, as the spec writes its placeholders."""
    return template.replace(":path}", "}")


class ReadScopeMiddleware:
    """403 in the envelope, naming the scope, for a GET whose credential lacks a required scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        principal: Principal = scope.get("state", {}).get("principal", ANONYMOUS)
        required = GET_SCOPES.get(_normalised(scope.get(TEMPLATE_KEY, "")), ())
        missing = [needed for needed in required if not principal.has_scope(needed)]
        if principal.is_anonymous or not missing:
            await self.app(scope, receive, send)
            return
        response = missing_scopes_response(required, missing, sorted(principal.scopes))
        await response(scope, receive, send)
