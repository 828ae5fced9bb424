"""Pipelines: trigger (201 + Location), stop (204), and pipeline variables (409 on duplicate key).

A triggered pipeline starts PENDING with one pending step and then runs by the emulator clock
(PENDING -> IN_PROGRESS -> COMPLETED, see :mod:`.pipeline_runs`) unless it is stopped first.
Secured variables never return their value, as on Bitbucket.
"""

from __future__ import annotations

import re

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import API_ROOT, JSON, api, braced, encoded, zulu
from ..serializers.render import api_base, json_response
from ..store import RepoData, Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route
from .pipeline_runs import PipelineRuns

VARIABLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# ----------------------------------------------------------------------------- trigger / stop


def _target(ctx: WriteCtx, repo: JSON, data: RepoData, body: JSON) -> JSON:
    target = body.get("target")
    if not isinstance(target, dict):
        raise ValidationError({"target": ["Give a pipeline_ref_target or pipeline_commit_target."]})
    full_name = repo["full_name"]
    selector = target.get("selector") if isinstance(target.get("selector"), dict) else None
    if target.get("type", "pipeline_ref_target") == "pipeline_commit_target":
        commit_ref = target.get("commit")
        wanted = commit_ref.get("hash") if isinstance(commit_ref, dict) else None
        commit = data.commit_by_prefix(wanted) if isinstance(wanted, str) else None
        if commit is None:
            raise ValidationError({"target": [f"No commit {wanted!r} in {full_name}."]})
        pattern = (selector or {}).get("pattern", "default")
        value = o.pipeline_target(
            full_name, "commit", "", commit["hash"], (selector or {}).get("type", "custom"), pattern
        )
        value["type"] = "pipeline_commit_target"
        return value
    ref_type = target.get("ref_type", "branch")
    ref_name = target.get("ref_name")
    refs = data.branches if ref_type == "branch" else data.tags if ref_type == "tag" else None
    if refs is None:
        raise ValidationError({"target": ["ref_type must be branch or tag."]})
    if not isinstance(ref_name, str) or ref_name not in refs:
        raise ValidationError({"target": [f"No {ref_type} {ref_name!r} in {full_name}."]})
    sha = refs[ref_name]["target"]["hash"]
    commit_ref = target.get("commit")
    if isinstance(commit_ref, dict) and isinstance(commit_ref.get("hash"), str):
        commit = data.commit_by_prefix(commit_ref["hash"])
        if commit is None:
            raise ValidationError({"target": [f"No commit {commit_ref['hash']!r} in {full_name}."]})
        sha = commit["hash"]
    selector_type = (selector or {}).get("type", "branches")
    pattern = (selector or {}).get("pattern", ref_name)
    return o.pipeline_target(full_name, ref_type, ref_name, sha, selector_type, pattern)


def _run_variables(body: JSON) -> list[JSON]:
    """The ``variables`` of a trigger: ``[{"key", "value", "secured"?}]``; values are never stored
    or echoed (live pipelines say only whether a run has variables)."""
    variables = body.get("variables", [])
    if not isinstance(variables, list):
        raise ValidationError({"variables": ['Give a list of {"key": ..., "value": ...}.']})
    for variable in variables:
        key = variable.get("key") if isinstance(variable, dict) else None
        if not isinstance(key, str) or not VARIABLE_KEY.match(key):
            raise ValidationError({"variables": [f"Variable key {key!r} is not a valid name."]})
        if not isinstance(variable.get("value", ""), str):
            raise ValidationError({"variables": [f"The value of {key} must be a string."]})
    return variables


def trigger_pipeline(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    body = ctx.object_body()
    target = _target(ctx, repo, data, body)
    variables = _run_variables(body)
    build_number = max((p["build_number"] for p in data.pipelines.values()), default=0) + 1
    uuid = ctx.store.new_uuid()
    pipeline = o.pipeline(
        repo,
        uuid,
        build_number,
        ctx.acting_user(),
        target,
        "MANUAL",
        o.pipeline_state("PENDING", None),
        now_iso(),
        None,
        0,
    )
    pipeline["has_variables"] = bool(variables)
    data.pipelines[pipeline["uuid"]] = pipeline
    selector = target.get("selector") or {}
    step = o.pipeline_step(
        pipeline,
        ctx.store.new_uuid(),
        str(selector.get("pattern")) if selector.get("type") == "custom" else "Build",
        "atlassian/default-image:4",
        ["make build"],
        o.pipeline_step_state("PENDING", None),
        None,
        None,
        0,
    )
    data.pipeline_steps[pipeline["uuid"]] = {step["uuid"]: step}
    runs: PipelineRuns = ctx.request.app.state.pipeline_runs
    runs.start(pipeline, data.pipeline_steps[pipeline["uuid"]])
    # live pipeline links point at the pipelines service; Location is the API's own URL
    location = api(f"/repositories/{repo['full_name']}/pipelines/{encoded(pipeline['uuid'])}")
    return ctx.created(pipeline, location=location.replace(API_ROOT, api_base(ctx.request)))


def stop_pipeline(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    uuid = braced(ctx.params["pipeline_uuid"])
    pipeline = data.pipelines.get(uuid)
    if pipeline is None:
        raise ApiError(404, f"Pipeline {uuid} not found in {repo['full_name']}")
    if pipeline["state"]["name"] == "COMPLETED":
        raise ApiError(400, "Bad request", f"Pipeline #{pipeline['build_number']} has already completed.")
    ctx.request.app.state.pipeline_runs.forget(uuid)
    stamp = zulu(now_iso())
    pipeline["state"] = o.pipeline_state("COMPLETED", "STOPPED", ctx.acting_user())
    pipeline["completed_on"] = stamp
    for step in data.pipeline_steps.get(uuid, {}).values():
        if step["state"]["name"] != "COMPLETED":
            step["state"] = o.pipeline_step_state("COMPLETED", "STOPPED")
            step["completed_on"] = stamp
    return no_content()


# ----------------------------------------------------------------------------- variables


def _variables(ctx: WriteCtx) -> dict[str, JSON]:
    if "repo_slug" in ctx.params:
        ws, repo = ctx.writable_repository("admin")
        return ctx.store.repo_data_for_write(ws, repo["slug"]).variables
    return ctx.store.workspaces[ctx.admin_workspace()].variables


def create_variable(ctx: WriteCtx) -> Response:
    variables = _variables(ctx)
    body = ctx.object_body()
    key = ctx.required_text(body, "key")
    if not VARIABLE_KEY.match(key):
        raise ValidationError(
            {"key": ["Keys contain only letters, digits and underscores, and do not start with a digit."]}
        )
    if any(variable["key"] == key for variable in variables.values()):
        raise ApiError(409, "Conflict", f"A variable with the key {key} already exists.")
    value = body.get("value", "")
    if not isinstance(value, str):
        raise ValidationError({"value": ["Expected a string."]})
    variable = o.pipeline_variable(
        ctx.store.new_uuid(), key, value, ctx.optional_bool(body, "secured", False)
    )
    variables[variable["uuid"]] = variable
    location = f"{ctx.request.url}".split("?")[0].rstrip("/") + "/" + encoded(variable["uuid"])
    return json_response(ctx.request, variable, 201, headers={"Location": location})


def _variable(ctx: WriteCtx) -> tuple[dict[str, JSON], str]:
    variables = _variables(ctx)
    uuid = braced(ctx.params["variable_uuid"])
    if uuid not in variables:
        raise ApiError(404, f"Variable {uuid} not found")
    return variables, uuid


def update_variable(ctx: WriteCtx) -> Response:
    variables, uuid = _variable(ctx)
    current = variables[uuid]
    body = ctx.object_body()
    key = ctx.optional_text(body, "key", current["key"])
    if not VARIABLE_KEY.match(key):
        raise ValidationError(
            {"key": ["Keys contain only letters, digits and underscores, and do not start with a digit."]}
        )
    if any(v["key"] == key and other != uuid for other, v in variables.items()):
        raise ApiError(409, "Conflict", f"A variable with the key {key} already exists.")
    secured = ctx.optional_bool(body, "secured", current["secured"])
    value = body.get("value", current.get("value", ""))
    if not isinstance(value, str):
        raise ValidationError({"value": ["Expected a string."]})
    variables[uuid] = o.pipeline_variable(uuid, key, value, secured)
    return ctx.ok(variables[uuid])


def delete_variable(ctx: WriteCtx) -> Response:
    variables, uuid = _variable(ctx)
    del variables[uuid]
    return no_content()


def pipeline_routes(store: Store) -> list[Route]:
    repo = "/repositories/{workspace}/{repo_slug}"
    routes: list[Route] = [
        route(store, f"{repo}/pipelines", "POST", trigger_pipeline, "pipeline"),
        route(
            store, f"{repo}/pipelines/{{pipeline_uuid}}/stopPipeline", "POST", stop_pipeline, "pipeline:write"
        ),
    ]
    for base in (f"{repo}/pipelines_config/variables", "/workspaces/{workspace}/pipelines-config/variables"):
        routes += [
            route(store, base, "POST", create_variable, "pipeline:variable"),
            route(store, f"{base}/{{variable_uuid}}", "PUT", update_variable, "pipeline:variable"),
            route(store, f"{base}/{{variable_uuid}}", "DELETE", delete_variable, "pipeline:variable"),
        ]
    return routes
