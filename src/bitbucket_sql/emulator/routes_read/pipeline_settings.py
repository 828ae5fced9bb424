"""Read routes of the later pipeline settings: caches, runners (repository and workspace), schedule
executions, SSH known hosts, deployment variables and a user's own pipeline variables. The data
comes from :mod:`..extras`. Secured variables carry no ``value``, as on Bitbucket.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..extras import RepoExtras, repo_extras, user_extras, workspace_extras
from ..serializers.common import braced
from .context import ApiError, Ctx

Route = tuple[str, Callable[[Ctx], Response]]


def _extras(ctx: Ctx) -> RepoExtras:
    ws, repo = ctx.repository()
    return repo_extras(ctx.store, ws, repo["slug"])


def caches(ctx: Ctx) -> Response:
    return ctx.listing(list(_extras(ctx).caches.values()))


def runners(ctx: Ctx) -> Response:
    return ctx.listing(list(_extras(ctx).runners.values()))


def runner(ctx: Ctx) -> Response:
    return ctx.respond(ctx.by_uuid(_extras(ctx).runners, "runner_uuid", f"Runner {ctx.params['runner_uuid']} not found"))


def workspace_runners(ctx: Ctx) -> Response:
    return ctx.listing(list(workspace_extras(ctx.store, ctx.member_workspace()).runners.values()))


def workspace_runner(ctx: Ctx) -> Response:
    found = workspace_extras(ctx.store, ctx.member_workspace()).runners
    return ctx.respond(ctx.by_uuid(found, "runner_uuid", f"Runner {ctx.params['runner_uuid']} not found"))


def executions(ctx: Ctx) -> Response:
    ws, repo, data = ctx.repo_data()
    schedule = ctx.by_uuid(data.schedules, "schedule_uuid", f"Schedule {ctx.params['schedule_uuid']} not found")
    return ctx.listing(repo_extras(ctx.store, ws, repo["slug"]).executions.get(schedule["uuid"], []))


def known_hosts(ctx: Ctx) -> Response:
    return ctx.listing(list(_extras(ctx).known_hosts.values()))


def known_host(ctx: Ctx) -> Response:
    missing = f"Known host {ctx.params['known_host_uuid']} not found"
    return ctx.respond(ctx.by_uuid(_extras(ctx).known_hosts, "known_host_uuid", missing))


def deployment_variables(ctx: Ctx) -> Response:
    ws, repo, data = ctx.repo_data()
    environment = ctx.by_uuid(
        data.environments, "environment_uuid", f"Environment {ctx.params['environment_uuid']} not found"
    )
    return ctx.listing(list(repo_extras(ctx.store, ws, repo["slug"]).deployment_variables.get(environment["uuid"], {}).values()))


def _own_user(ctx: Ctx) -> str:
    """The ``{selected_user}`` when it is the caller (a user's settings are private), else 403/404."""
    user = ctx.store.user(ctx.params["selected_user"])
    if user is None:
        raise ApiError(404, f"User {ctx.params['selected_user']} not found")
    if ctx.anonymous:
        raise ApiError(401, "Unauthorized", "This resource needs credentials.")
    if ctx.user_uuid != user["uuid"]:
        raise ApiError(403, "Forbidden", "Only the user themselves can read their pipeline variables.")
    return str(user["uuid"])


def user_variables(ctx: Ctx) -> Response:
    return ctx.listing(list(user_extras(ctx.store, _own_user(ctx)).variables.values()))


def user_variable(ctx: Ctx) -> Response:
    found = user_extras(ctx.store, _own_user(ctx)).variables.get(braced(ctx.params["variable_uuid"]))
    return ctx.respond(ctx.found(found, f"Variable {ctx.params['variable_uuid']} not found"))


BASE = "/repositories/{workspace}/{repo_slug}"

ROUTES: list[Route] = [
    (f"{BASE}/pipelines-config/caches", caches),
    (f"{BASE}/pipelines-config/runners", runners),
    (f"{BASE}/pipelines-config/runners/{{runner_uuid}}", runner),
    ("/workspaces/{workspace}/pipelines-config/runners", workspace_runners),
    ("/workspaces/{workspace}/pipelines-config/runners/{runner_uuid}", workspace_runner),
    (f"{BASE}/pipelines_config/schedules/{{schedule_uuid}}/executions", executions),
    (f"{BASE}/pipelines_config/ssh/known_hosts", known_hosts),
    (f"{BASE}/pipelines_config/ssh/known_hosts/{{known_host_uuid}}", known_host),
    (f"{BASE}/deployments_config/environments/{{environment_uuid}}/variables", deployment_variables),
    ("/users/{selected_user}/pipelines_config/variables", user_variables),
    ("/users/{selected_user}/pipelines_config/variables/{variable_uuid}", user_variable),
]
