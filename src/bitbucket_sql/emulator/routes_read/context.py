"""What every read handler needs: the caller, visibility rules, lookups that 404, list responses.

Handlers are written as ``def handler(ctx: Ctx) -> Response`` and wrapped by :func:`endpoint`,
which turns :class:`ApiError`, :class:`~..bbql.BBQLError` and :class:`~..paging.PagingError` into
Bitbucket's error envelope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..bbql import BBQLError, Schema, filter_items, sort_items
from ..fields import apply_fields
from ..paging import PagingError, cursor_page, list_page
from ..serializers.common import braced
from ..serializers.render import error_response, json_response
from ..store import PERMISSION_RANK, RepoData, Store

JSON = dict[str, Any]


class ApiError(Exception):
    """An HTTP error answered with the standard envelope."""

    def __init__(self, status: int, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class _Anonymous:
    kind: str = "anonymous"
    user_uuid: str | None = None
    scopes: frozenset[str] = frozenset()
    workspaces: frozenset[str] | None = None
    name: str = "anonymous"


ANONYMOUS = _Anonymous()


class Ctx:
    """One request: its store, caller and parameters, with visibility-aware lookups."""

    def __init__(self, request: Request, store: Store) -> None:
        self.request = request
        self.store = store
        self.principal = getattr(request.state, "principal", None) or ANONYMOUS
        self.params = request.path_params
        self.query = request.query_params

    # -------------------------------------------------------------- caller

    @property
    def anonymous(self) -> bool:
        return self.principal.kind == "anonymous"

    @property
    def user_uuid(self) -> str | None:
        return self.principal.user_uuid

    def readable_workspaces(self) -> list[str]:
        """Workspaces whose private data the caller may read."""
        if self.anonymous:
            return []
        if self.principal.workspaces is not None:
            return sorted(slug for slug in self.principal.workspaces if slug in self.store.workspaces)
        return self.store.user_workspaces(self.user_uuid)

    def can_read_workspace(self, ws: str) -> bool:
        return ws in self.readable_workspaces()

    def repo_permission(self, ws: str, repo: JSON) -> str | None:
        """The caller's effective permission on ``repo`` (admin | write | read) or None."""
        if self.anonymous:
            return "read" if not repo["is_private"] else None
        if self.principal.workspaces is not None and self.user_uuid is None:
            return (
                "admin" if ws in self.principal.workspaces else ("read" if not repo["is_private"] else None)
            )
        if self.principal.workspaces is not None and ws not in self.principal.workspaces:
            return "read" if not repo["is_private"] else None
        membership = self.store.workspace_permission(ws, self.user_uuid)
        levels = []
        if membership is not None:
            levels.append({"owner": "admin", "collaborator": "write", "member": "read"}[membership])
        explicit = (
            self.store.workspaces[ws].repo_user_permissions.get(repo["slug"], {}).get(self.user_uuid or "")
        )
        if explicit is not None:
            levels.append(explicit["permission"])
        if not repo["is_private"]:
            levels.append("read")
        return max(levels, key=lambda level: PERMISSION_RANK[level]) if levels else None

    # -------------------------------------------------------------- lookups

    def workspace_slug(self) -> str:
        """The ``{workspace}`` path parameter resolved to a slug, or 404."""
        ident = self.params["workspace"]
        data = self.store.workspace(ident)
        if data is None:
            raise ApiError(
                404, f"Workspace {ident} not found", "Check the workspace slug (or braced UUID) in the URL."
            )
        return data.workspace["slug"]

    def member_workspace(self) -> str:
        """The workspace, when the caller may read its private data (401 anonymous, 403 otherwise)."""
        slug = self.workspace_slug()
        if not self.can_read_workspace(slug):
            if self.anonymous:
                raise ApiError(401, "Unauthorized", "This resource needs credentials.")
            raise ApiError(403, "Forbidden", f"You do not have access to workspace {slug}.")
        return slug

    def repository(self) -> tuple[str, JSON]:
        """(workspace slug, repository) for the path, honouring visibility (404/403)."""
        ws_ident = self.params["workspace"]
        repo_ident = self.params["repo_slug"]
        repo = self.store.repository(ws_ident, repo_ident)
        if repo is None:
            if ws_ident not in ("{}", "") and self.store.workspace(ws_ident) is None:
                raise ApiError(404, f"Workspace {ws_ident} not found")
            raise ApiError(404, f"Repository {ws_ident}/{repo_ident} not found")
        ws = repo["full_name"].split("/")[0]
        if self.repo_permission(ws, repo) is None:
            if self.anonymous:
                raise ApiError(404, f"Repository {ws_ident}/{repo_ident} not found")
            raise ApiError(
                403, "Forbidden", f"You do not have access to the private repository {repo['full_name']}."
            )
        return ws, repo

    def repo_data(self) -> tuple[str, JSON, RepoData]:
        ws, repo = self.repository()
        return ws, repo, self.store.repo_data(ws, repo["slug"])

    @staticmethod
    def found(value: JSON | None, missing: str) -> JSON:
        """``value``, or a 404 whose message is ``missing`` (what was looked for, and where)."""
        if value is None:
            raise ApiError(404, missing)
        return value

    def by_user(self, entries: dict[str, JSON], param: str, missing: str) -> JSON:
        """The entry of ``entries`` (keyed by user UUID) for the user that path parameter ``param``
        names by UUID or account_id; 404 ``missing`` when there is none."""
        user = self.store.user(self.params[param])
        return self.found(None if user is None else entries.get(user["uuid"]), missing)

    def by_uuid(self, entries: dict[str, JSON], param: str, missing: str) -> JSON:
        """The entry of ``entries`` (keyed by braced UUID) that path parameter ``param`` names, with
        or without braces (``%7B...%7D`` arrives decoded); 404 ``missing`` when there is none."""
        return self.found(entries.get(braced(self.params[param])), missing)

    def int_param(self, name: str) -> int:
        raw = self.params[name]
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise ApiError(
                404, f"No {name.replace('_', ' ')} {raw!r}", f"{name} must be an integer."
            ) from None

    # -------------------------------------------------------------- responses

    def respond(self, body: Any, omitted: Sequence[str] = (), status: int = 200) -> Response:
        return json_response(self.request, apply_fields(body, self.query.get("fields"), omitted), status)

    def listing(
        self,
        items: Iterable[JSON],
        schema: Schema | None = None,
        *,
        q: bool = True,
        sort: bool = True,
        default_pagelen: int = 10,
        max_pagelen: int = 100,
        omitted: Sequence[str] = (),
        natural: frozenset[str] = frozenset(),
        cursor: str | None = None,
        prefilter: Callable[[list[JSON]], list[JSON]] | None = None,
        sized: bool = True,
    ) -> Response:
        """Filter (``q``), sort, page and project a collection into a response."""
        values = list(items)
        if schema is not None and q:
            values = filter_items(values, self.query.get("q"), schema)
        if prefilter is not None:
            values = prefilter(values)
        if schema is not None and sort:
            values = sort_items(values, self.query.get("sort"), schema, natural=natural)
        if cursor is None:
            envelope = list_page(
                self.request, values, default_pagelen=default_pagelen, max_pagelen=max_pagelen, sized=sized
            )
        else:
            envelope = cursor_page(
                self.request, values, param=cursor, default_pagelen=default_pagelen, max_pagelen=max_pagelen
            )
        return self.respond(envelope, omitted)


Handler = Callable[[Ctx], Response]


def endpoint(store: Store, handler: Handler) -> Callable[[Request], Any]:
    """A starlette endpoint running ``handler`` with errors mapped to envelopes."""

    def run(request: Request) -> Response:
        try:
            return handler(Ctx(request, store))
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.detail)
        except BBQLError as exc:
            return error_response(400, "Invalid query", exc.detail)
        except PagingError as exc:
            return error_response(400, exc.message, exc.detail)

    async def asgi_endpoint(request: Request) -> Response:
        # Handlers are CPU-bound and quick; run inline under the store lock for a consistent view.
        with store.lock:
            return run(request)

    return asgi_endpoint
