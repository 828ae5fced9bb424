"""Read routes for pipelines, steps, pipeline variables/schedules, environments and deployments.

Pipelines take no BBQL; they filter with the spec's plain parameters (``target.ref_name``,
``target.branch``, ``creator.uuid``, ``trigger_type``, ``status``, ...) and ``sort`` on
``created_on``, ``creator.uuid`` or ``run_creation_date`` (``-`` for descending). Default order:
oldest first (unconfirmed on Bitbucket; clients usually send ``sort=-created_on``).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..bbql import parse_datetime
from ..serializers.common import braced
from .context import JSON, ApiError, Ctx

Route = tuple[str, Callable[[Ctx], Response]]

SORTS = {"created_on": "created_on", "run_creation_date": "created_on", "creator.uuid": "creator.uuid"}
STATUS_OF_RESULT = {
    "SUCCESSFUL": "PASSED",
    "FAILED": "FAILED",
    "ERROR": "ERROR",
    "STOPPED": "STOPPED",
    "EXPIRED": "STOPPED",
}


def _status(pipeline: JSON) -> str:
    """The ``status`` filter vocabulary (PENDING, BUILDING, PASSED, FAILED, ...) for a pipeline."""
    state = pipeline["state"]
    if state["name"] == "PENDING":
        return "PENDING"
    if state["name"] == "IN_PROGRESS":
        return "BUILDING"
    return STATUS_OF_RESULT.get(state.get("result", {}).get("name", ""), "UNKNOWN")


def _lookup(pipeline: JSON, path: str) -> str | None:
    value: object = pipeline
    for segment in path.split("."):
        value = value.get(segment) if isinstance(value, dict) else None
    return value if isinstance(value, str) else None


def _sort_key(pipeline: JSON, field: str) -> str:
    """Timestamps compare as instants (live ``Z`` forms vary in precision), other fields as text."""
    value = _lookup(pipeline, field) or ""
    return (
        parse_datetime(value).isoformat(timespec="microseconds") if field == "created_on" and value else value
    )


def pipelines(ctx: Ctx) -> Response:
    """Pipelines with the spec's filter parameters. ``q`` is not documented for this endpoint (the
    spec lists only the parameters below) and is ignored, as unknown parameters are."""
    ws, repo = ctx.repository()
    items = list(ctx.store.repo_data(ws, repo["slug"]).pipelines.values())
    exact = {
        "creator.uuid": "creator.uuid",
        "target.ref_name": "target.ref_name",
        "target.commit.hash": "target.commit.hash",
        "target.selector.pattern": "target.selector.pattern",
    }
    for param, path in exact.items():
        wanted = ctx.query.get(param)
        if wanted is not None:
            items = [p for p in items if _lookup(p, path) == wanted]
    if (branch := ctx.query.get("target.branch")) is not None:
        items = [
            p
            for p in items
            if p["target"].get("ref_type") == "branch" and p["target"].get("ref_name") == branch
        ]
    if (ref_type := ctx.query.get("target.ref_type")) is not None:
        items = [p for p in items if (p["target"].get("ref_type") or "").upper() == ref_type.upper()]
    if (selector_type := ctx.query.get("target.selector.type")) is not None:
        wanted_type = {"BRANCH": "branches", "TAG": "tags"}.get(selector_type.upper(), selector_type.lower())
        items = [p for p in items if p["target"].get("selector", {}).get("type") == wanted_type]
    if (trigger := ctx.query.get("trigger_type")) is not None:
        items = [p for p in items if p["trigger"]["name"] == trigger.upper()]
    if (status := ctx.query.get("status")) is not None:
        items = [p for p in items if _status(p) == status.upper()]
    sort = ctx.query.get("sort") or "created_on"
    descending = sort.startswith("-")
    field = SORTS.get(sort.lstrip("-"))
    if field is None:
        raise ApiError(
            400,
            "Invalid sort",
            f"pipelines sort on {', '.join(SORTS)} (prefix - for descending); got {sort!r}",
        )
    items.sort(key=lambda p: (_sort_key(p, field), p["build_number"]), reverse=descending)
    return ctx.listing(items)


def _pipeline(ctx: Ctx) -> tuple[str, JSON, JSON]:
    ws, repo = ctx.repository()
    data = ctx.store.repo_data(ws, repo["slug"])
    ident = ctx.params["pipeline_uuid"]
    found = data.pipelines.get(braced(ident))
    if found is None and ident.isdigit():
        found = next((p for p in data.pipelines.values() if p["build_number"] == int(ident)), None)
    if found is None:
        raise ApiError(404, f"Pipeline {ident} not found in {repo['full_name']}")
    return ws, repo, found


def pipeline(ctx: Ctx) -> Response:
    return ctx.respond(_pipeline(ctx)[2])


def steps(ctx: Ctx) -> Response:
    ws, repo, found = _pipeline(ctx)
    return ctx.listing(
        list(ctx.store.repo_data(ws, repo["slug"]).pipeline_steps.get(found["uuid"], {}).values())
    )


def step(ctx: Ctx) -> Response:
    ws, repo, found = _pipeline(ctx)
    pipeline_steps = ctx.store.repo_data(ws, repo["slug"]).pipeline_steps.get(found["uuid"], {})
    missing = f"Step {ctx.params['step_uuid']} not found in pipeline {found['build_number']}"
    return ctx.respond(ctx.by_uuid(pipeline_steps, "step_uuid", missing))


def _by_uuid(ctx: Ctx, attribute: str, param: str, label: str) -> Response:
    ws, repo = ctx.repository()
    collection: dict[str, JSON] = getattr(ctx.store.repo_data(ws, repo["slug"]), attribute)
    missing = f"{label} {ctx.params[param]} not found in {repo['full_name']}"
    return ctx.respond(ctx.by_uuid(collection, param, missing))


def _listing(ctx: Ctx, attribute: str) -> Response:
    ws, repo = ctx.repository()
    return ctx.listing(list(getattr(ctx.store.repo_data(ws, repo["slug"]), attribute).values()))


def deployments(ctx: Ctx) -> Response:
    ws, repo = ctx.repository()
    items = list(ctx.store.repo_data(ws, repo["slug"]).deployments.values())
    items.sort(key=lambda d: parse_datetime(d["state"]["started_on"]).isoformat(), reverse=True)
    return ctx.listing(items)


BASE = "/repositories/{workspace}/{repo_slug}"

ROUTES: list[Route] = [
    (f"{BASE}/pipelines", pipelines),
    (f"{BASE}/pipelines/{{pipeline_uuid}}", pipeline),
    (f"{BASE}/pipelines/{{pipeline_uuid}}/steps", steps),
    (f"{BASE}/pipelines/{{pipeline_uuid}}/steps/{{step_uuid}}", step),
    (f"{BASE}/pipelines_config/variables", lambda ctx: _listing(ctx, "variables")),
    (
        f"{BASE}/pipelines_config/variables/{{variable_uuid}}",
        lambda ctx: _by_uuid(ctx, "variables", "variable_uuid", "Variable"),
    ),
    (f"{BASE}/pipelines_config/schedules", lambda ctx: _listing(ctx, "schedules")),
    (
        f"{BASE}/pipelines_config/schedules/{{schedule_uuid}}",
        lambda ctx: _by_uuid(ctx, "schedules", "schedule_uuid", "Schedule"),
    ),
    (f"{BASE}/environments", lambda ctx: _listing(ctx, "environments")),
    (
        f"{BASE}/environments/{{environment_uuid}}",
        lambda ctx: _by_uuid(ctx, "environments", "environment_uuid", "Environment"),
    ),
    (f"{BASE}/deployments", deployments),
    (
        f"{BASE}/deployments/{{deployment_uuid}}",
        lambda ctx: _by_uuid(ctx, "deployments", "deployment_uuid", "Deployment"),
    ),
]
