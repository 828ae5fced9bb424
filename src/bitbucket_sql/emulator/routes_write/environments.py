"""Deployment environments: create (201 + Location, 409 on a duplicate name) and delete (204)."""

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


def environment_routes(store: Store) -> list[Route]:
    base = "/repositories/{workspace}/{repo_slug}/environments"
    return [
        route(store, base, "POST", create_environment, SCOPE),
        route(store, f"{base}/{{environment_uuid}}", "DELETE", delete_environment, SCOPE),
    ]
