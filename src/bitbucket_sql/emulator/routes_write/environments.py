"""Deployment environments: create (201 + Location, 409 on a duplicate name), change (202), delete (204).

Changes go through ``POST .../environments/{environment_uuid}/changes`` with
``{"change": {"name": ..., "hidden": ..., "environment_lock_enabled": ..., "deployment_gate_enabled": ...}}``
and answer 202 with no body, as the spec says; the emulator applies them at once.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import API_ROOT, api, braced, encoded
from ..serializers.render import api_base
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, route

SCOPE = "pipeline"


def create_environment(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("admin")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    body = ctx.object_body()
    name = ctx.required_text(body, "name").strip()
    kind = body.get("environment_type")
    type_name = kind.get("name") if isinstance(kind, dict) else kind
    if type_name not in o.ENVIRONMENT_TYPES:
        raise ValidationError({"environment_type": [f"Must be one of {', '.join(o.ENVIRONMENT_TYPES)}."]})
    if any(env["name"].lower() == name.lower() for env in data.environments.values()):
        raise ApiError(
            409, "Conflict", f"An environment named {name!r} already exists in {repo['full_name']}."
        )
    environment = o.environment(repo, ctx.store.new_uuid(), name, str(type_name))
    data.environments[environment["uuid"]] = environment
    # live environments carry no ``links``, so the Location is built here
    location = api(f"/repositories/{repo['full_name']}/environments/{encoded(environment['uuid'])}")
    return ctx.created(environment, location=location.replace(API_ROOT, api_base(ctx.request)))


def delete_environment(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("admin")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    uuid = braced(ctx.params["environment_uuid"])
    if uuid not in data.environments:
        raise ApiError(404, f"Environment {uuid} not found in {repo['full_name']}")
    del data.environments[uuid]
    return no_content()


CHANGEABLE_FLAGS = ("hidden", "environment_lock_enabled", "deployment_gate_enabled")


def change_environment(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("admin")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    uuid = braced(ctx.params["environment_uuid"])
    environment = data.environments.get(uuid)
    if environment is None:
        raise ApiError(404, f"Environment {uuid} not found in {repo['full_name']}")
    change = ctx.object_body().get("change")
    if not isinstance(change, dict) or not change:
        raise ValidationError({"change": ['Give the changes as {"change": {"name": ...}}.']})
    unknown = sorted(set(change) - {"name", *CHANGEABLE_FLAGS})
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    flags = {flag: ctx.optional_bool(change, flag, False) for flag in CHANGEABLE_FLAGS if flag in change}
    if "name" in change:
        name = ctx.required_text(change, "name").strip()
        taken = any(
            env["name"].lower() == name.lower() and other != uuid for other, env in data.environments.items()
        )
        if taken:
            raise ApiError(
                409, "Conflict", f"An environment named {name!r} already exists in {repo['full_name']}."
            )
        environment["name"] = name
        environment["slug"] = name.lower().replace(" ", "-")
    environment.update(flags)
    return Response(status_code=202)


def environment_routes(store: Store) -> list[Route]:
    base = "/repositories/{workspace}/{repo_slug}/environments"
    return [
        route(store, base, "POST", create_environment, SCOPE),
        route(store, f"{base}/{{environment_uuid}}", "DELETE", delete_environment, SCOPE),
        route(store, f"{base}/{{environment_uuid}}/changes", "POST", change_environment, SCOPE),
    ]
