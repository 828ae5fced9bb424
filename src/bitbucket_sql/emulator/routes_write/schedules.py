"""Pipeline schedules: create (201 + ``Location``), enable/disable (PUT 200), delete (204).

Bodies follow the spec's ``pipeline_schedule_post_request_body`` (``target`` with ``ref_type``
``branch``, ``ref_name`` and ``selector``, plus a 7-field ``cron_pattern``, ``enabled``) and
``pipeline_schedule_put_request_body`` (only ``enabled`` changes). Scope ``pipeline:write``.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import API_ROOT, JSON, api, braced, encoded
from ..serializers.render import api_base
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route

SCOPE = "pipeline:write"
SELECTOR_TYPES = ("branches", "tags", "bookmarks", "default", "custom", "pull-requests")


def _cron(body: JSON) -> str:
    cron = body.get("cron_pattern")
    if not isinstance(cron, str) or len(cron.split()) != 7:
        raise ValidationError(
            {"cron_pattern": ["Give a cron expression with 7 fields (seconds first), e.g. '0 0 12 * * ? *'."]}
        )
    return cron


def create_schedule(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    body = ctx.object_body()
    target = body.get("target")
    if not isinstance(target, dict):
        raise ValidationError({"target": ["Give the target as {ref_type: branch, ref_name, selector}."]})
    if target.get("ref_type", "branch") != "branch":
        raise ValidationError({"target.ref_type": ["Schedules run on branches only (ref_type branch)."]})
    ref_name = target.get("ref_name")
    if not isinstance(ref_name, str) or ref_name not in data.branches:
        raise ValidationError({"target.ref_name": [f"No branch {ref_name!r} in {repo['full_name']}."]})
    selector = target.get("selector")
    selector_type = selector.get("type") if isinstance(selector, dict) else None
    if selector_type not in SELECTOR_TYPES:
        raise ValidationError(
            {"target.selector": [f"Give a selector whose type is one of {', '.join(SELECTOR_TYPES)}."]}
        )
    pattern = selector.get("pattern") or ref_name if isinstance(selector, dict) else ref_name
    cron = _cron(body)
    schedule = o.pipeline_schedule(
        repo,
        ctx.store.new_uuid(),
        ref_name,
        str(pattern),
        cron,
        ctx.optional_bool(body, "enabled", True),
        now_iso(),
    )
    schedule["target"]["selector"]["type"] = selector_type
    data.schedules[schedule["uuid"]] = schedule
    location = api(
        f"/repositories/{repo['full_name']}/pipelines_config/schedules/{encoded(schedule['uuid'])}"
    )
    return ctx.created(schedule, location=location.replace(API_ROOT, api_base(ctx.request)))


def _existing(ctx: WriteCtx) -> tuple[dict[str, JSON], str]:
    ws, repo = ctx.writable_repository("write")
    schedules = ctx.store.repo_data_for_write(ws, repo["slug"]).schedules
    uuid = braced(ctx.params["schedule_uuid"])
    if uuid not in schedules:
        raise ApiError(404, f"Schedule {uuid} not found in {repo['full_name']}")
    return schedules, uuid


def update_schedule(ctx: WriteCtx) -> Response:
    schedules, uuid = _existing(ctx)
    body = ctx.object_body()
    schedule = schedules[uuid]
    schedule["enabled"] = ctx.optional_bool(body, "enabled", schedule["enabled"])
    ctx.store.touch(schedule)
    return ctx.ok(schedule)


def delete_schedule(ctx: WriteCtx) -> Response:
    schedules, uuid = _existing(ctx)
    del schedules[uuid]
    return no_content()


def schedule_routes(store: Store) -> list[Route]:
    base = "/repositories/{workspace}/{repo_slug}/pipelines_config/schedules"
    return [
        route(store, base, "POST", create_schedule, SCOPE),
        route(store, f"{base}/{{schedule_uuid}}", "PUT", update_schedule, SCOPE),
        route(store, f"{base}/{{schedule_uuid}}", "DELETE", delete_schedule, SCOPE),
    ]
