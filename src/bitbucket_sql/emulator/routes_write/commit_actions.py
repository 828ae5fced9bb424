"""Commit approvals, Downloads uploads/deletes and pipeline cache deletes.

- ``POST .../commit/{commit}/approve`` answers 200 with the caller's ``participant`` entry, which
  the single-commit GET then lists under ``participants`` (``RepoData.commit_participants``); ``DELETE`` withdraws it (204). Scope
  ``repository:write``.
- ``POST .../downloads`` takes ``multipart/form-data`` with one or more ``files`` parts (201; a
  file of the same name is replaced; any other content type 406, as the spec says);
  ``DELETE .../downloads/{filename}`` 204. Scope ``repository:write``.
- ``DELETE .../pipelines-config/caches?name=...`` deletes every version of a named cache and
  ``DELETE .../pipelines-config/caches/{cache_uuid}`` one (204; 404 when none). Scope
  ``pipeline:write``.
"""

from __future__ import annotations

from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP

from starlette.responses import Response
from starlette.routing import Route

from ..extras import repo_extras
from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON, braced
from ..store import RepoData, Store
from .base import MultipartBody, WriteCtx, no_content, now_iso, route

# ----------------------------------------------------------------------------- commit approvals


def _commit(ctx: WriteCtx) -> tuple[RepoData, JSON]:
    ws, repo = ctx.writable_repository("write")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    commit = data.commit_by_prefix(ctx.params["commit"])
    if commit is None:
        raise ApiError(404, f"Commit {ctx.params['commit']} not found in {repo['full_name']}")
    return data, commit


def approve_commit(ctx: WriteCtx) -> Response:
    data, commit = _commit(ctx)
    user = ctx.acting_user()
    participants = data.commit_participants.setdefault(commit["hash"], [])
    participants[:] = [p for p in participants if p["user"]["uuid"] != user["uuid"]]
    entry = o.participant(user, "PARTICIPANT", True, "approved", now_iso())
    participants.append(entry)
    return ctx.ok(entry)


def unapprove_commit(ctx: WriteCtx) -> Response:
    data, commit = _commit(ctx)
    user = ctx.acting_user()
    participants = data.commit_participants.get(commit["hash"], [])
    kept = [p for p in participants if p["user"]["uuid"] != user["uuid"]]
    if len(kept) == len(participants):
        raise ApiError(404, f"You have not approved commit {commit['hash'][:12]}")
    data.commit_participants[commit["hash"]] = kept
    return no_content()


# ----------------------------------------------------------------------------- downloads


def _file_parts(body: MultipartBody) -> list[tuple[str, bytes]]:
    head = f"Content-Type: {body.content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body.raw)
    found = []
    for part in message.iter_parts() if message.is_multipart() else []:
        assert isinstance(part, Message)
        if part.get_param("name", header="content-disposition") != "files":
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if filename and isinstance(payload, bytes):
            found.append((filename.rsplit("/", 1)[-1], payload))
    return found


def upload_downloads(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    if not isinstance(ctx.body, MultipartBody):
        raise ApiError(406, "Not Acceptable", "Upload files as multipart/form-data in a field named 'files'.")
    parts = _file_parts(ctx.body)
    if not parts:
        raise ApiError(400, "Bad request", "The multipart body has no 'files' part with a file name.")
    downloads = ctx.store.repo_data_for_write(ws, repo["slug"]).downloads
    user = ctx.acting_user()
    for name, content in parts:
        downloads[name] = o.download(repo, name, len(content), 0, user, now_iso())
    return Response(status_code=201, headers={"Location": ctx.location_of(downloads[parts[-1][0]])})


def delete_download(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("write")
    downloads = ctx.store.repo_data_for_write(ws, repo["slug"]).downloads
    name = ctx.params["filename"]
    if downloads.pop(name, None) is None:
        raise ApiError(404, f"No download {name!r} in {repo['full_name']}")
    return no_content()


# ----------------------------------------------------------------------------- pipeline caches


def _caches(ctx: WriteCtx) -> tuple[JSON, dict[str, JSON]]:
    ws, repo = ctx.writable_repository("write")
    ctx.store.repo_data_for_write(ws, repo["slug"])  # pins the repository: the deletion must stay
    return repo, repo_extras(ctx.store, ws, repo["slug"]).caches


def delete_caches_by_name(ctx: WriteCtx) -> Response:
    repo, caches = _caches(ctx)
    name = ctx.query.get("name")
    if not name:
        raise ApiError(400, "Bad request", "Name the cache to delete: ?name=<cache name>.")
    doomed = [uuid for uuid, cache in caches.items() if cache["name"] == name]
    if not doomed:
        raise ApiError(404, f"No pipeline cache named {name!r} in {repo['full_name']}")
    for uuid in doomed:
        del caches[uuid]
    return no_content()


def delete_cache(ctx: WriteCtx) -> Response:
    repo, caches = _caches(ctx)
    wanted = braced(ctx.params["cache_uuid"])
    match = next((uuid for uuid in caches if braced(uuid) == wanted), None)
    if match is None:
        raise ApiError(404, f"No pipeline cache {wanted} in {repo['full_name']}")
    del caches[match]
    return no_content()


def commit_action_routes(store: Store) -> list[Route]:
    repo = "/repositories/{workspace}/{repo_slug}"
    return [
        route(store, f"{repo}/commit/{{commit}}/approve", "POST", approve_commit, "repository:write"),
        route(store, f"{repo}/commit/{{commit}}/approve", "DELETE", unapprove_commit, "repository:write"),
        route(store, f"{repo}/downloads", "POST", upload_downloads, "repository:write"),
        route(store, f"{repo}/downloads/{{filename}}", "DELETE", delete_download, "repository:write"),
        route(store, f"{repo}/pipelines-config/caches", "DELETE", delete_caches_by_name, "pipeline:write"),
        route(
            store, f"{repo}/pipelines-config/caches/{{cache_uuid}}", "DELETE", delete_cache, "pipeline:write"
        ),
    ]
