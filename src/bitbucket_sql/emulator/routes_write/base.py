"""What every write handler needs: body parsing, scope and permission checks, standard answers.

A handler is ``def handler(ctx: WriteCtx) -> Response`` wrapped by :func:`write_endpoint`, which
(in this order, as Bitbucket does) answers 401 for anonymous callers, 403 naming the missing
OAuth scope, 411 for a body-less POST/PUT without ``Content-Length``, 400 for a body that is not
JSON, then runs the handler under ``store.lock`` and maps :class:`ApiError` and
:class:`ValidationError` to the error envelope. Reads reuse the read routes' :class:`Ctx`
(visibility rules, lookups that 404) so both sides agree on who may see what.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..middleware.envelope import error_response, missing_scopes_response
from ..routes_read.context import ApiError, Ctx
from ..serializers import objects as o
from ..serializers.common import API_ROOT, JSON, now_iso
from ..serializers.render import api_base, json_response
from ..store import PERMISSION_RANK, Store

BOT_UUID_NAMESPACE = "access-token-bot"


class ValidationError(Exception):
    """An invalid request body: answered 400 with ``fields`` naming each bad field."""

    def __init__(self, fields: Mapping[str, Sequence[str]], detail: str | None = None) -> None:
        super().__init__(detail or "invalid request body")
        self.fields = {name: list(problems) for name, problems in fields.items()}
        self.detail = detail


class WriteCtx(Ctx):
    """A read context plus the parsed body and helpers for writers."""

    def __init__(self, request: Request, store: Store, body: Any) -> None:
        super().__init__(request, store)
        self.body: Any = body

    # -------------------------------------------------------------- body access

    def object_body(self) -> JSON:
        if not isinstance(self.body, dict):
            raise ValidationError({}, "The request body must be a JSON object.")
        return self.body

    def required_text(self, body: JSON, name: str, *, label: str | None = None) -> str:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ValidationError({label or name: ["This field is required."]})
        return value

    def optional_text(self, body: JSON, name: str, default: str = "") -> str:
        value = body.get(name, default)
        if value is None:
            return default
        if not isinstance(value, str):
            raise ValidationError({name: ["Expected a string."]})
        return value

    def optional_bool(self, body: JSON, name: str, default: bool) -> bool:
        value = body.get(name, default)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ValidationError({name: ["Expected true or false."]})
        return value

    # -------------------------------------------------------------- who is writing

    def acting_user(self) -> JSON:
        """The full user the caller acts as; an access token acts as a bot named after it."""
        user = self.store.users.get(self.user_uuid or "")
        if user is not None:
            return user
        name = self.principal.name
        digest = hashlib.sha1(f"{BOT_UUID_NAMESPACE}:{name}".encode()).hexdigest()
        uuid = f"{{{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}}}"
        bot = o.user(uuid, f"bot:{digest[:12]}", name, name.replace(" ", "-"), now_iso())
        bot["type"] = "app_user"
        return bot

    # -------------------------------------------------------------- permissions

    def writable_repository(self, level: str = "write") -> tuple[str, JSON]:
        """(workspace, repository) when the caller has at least ``level`` on it (else 403/404)."""
        ws, repo = self.repository()
        held = self.repo_permission(ws, repo) or "none"
        if PERMISSION_RANK[held] < PERMISSION_RANK[level]:
            raise ApiError(
                403,
                "Forbidden",
                f"This action needs {level} access to {repo['full_name']}; you have {held} access.",
            )
        return ws, repo

    def admin_workspace(self) -> str:
        """The workspace when the caller may administer it: an owner or collaborator, or its access token."""
        ws = self.member_workspace()
        if self.principal.workspaces is not None and self.user_uuid is None:
            return ws
        if self.store.workspace_permission(ws, self.user_uuid) not in ("owner", "collaborator"):
            raise ApiError(403, "Forbidden", f"You must be an administrator of workspace {ws} to do this.")
        return ws

    # -------------------------------------------------------------- answers

    def location_of(self, obj: JSON) -> str:
        return str(obj["links"]["self"]["href"]).replace(API_ROOT, api_base(self.request))

    def created(self, obj: JSON, status: int = 201, *, location: str | None = None) -> Response:
        """201 with ``Location`` pointing at the new object's ``self`` link (or ``location``)."""
        return json_response(
            self.request, obj, status, headers={"Location": location or self.location_of(obj)}
        )

    def ok(self, obj: Any) -> Response:
        return json_response(self.request, obj, 200)


def no_content() -> Response:
    return Response(status_code=204)


#: Deepest JSON nesting a request body may have. Real bodies nest a few levels; a deeper one is a
#: 400, checked before parsing so the recursive parser never meets it (a RecursionError is a 500).
MAX_BODY_DEPTH = 64


class MultipartBody:
    """A ``multipart/form-data`` body, kept raw for the one route that takes uploads."""

    def __init__(self, raw: bytes, content_type: str) -> None:
        self.raw = raw
        self.content_type = content_type


class BodyTooDeep(ValueError):
    """A request body nests JSON deeper than :data:`MAX_BODY_DEPTH`."""


def _check_depth(raw: bytes) -> None:
    """Raise :class:`BodyTooDeep` when brackets outside strings nest deeper than allowed."""
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_BODY_DEPTH:
                raise BodyTooDeep(f"The request body nests JSON more than {MAX_BODY_DEPTH} levels deep.")
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1


def _parse_body(raw: bytes, content_type: str) -> Any:
    if content_type.startswith("multipart/form-data"):
        return MultipartBody(raw, content_type)
    if not raw.strip():
        return {}
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
    _check_depth(raw)
    return json.loads(raw)


WriteHandler = Callable[[WriteCtx], Response]


Scopes = str | tuple[str, ...]


def _as_tuple(scopes: Scopes) -> tuple[str, ...]:
    return (scopes,) if isinstance(scopes, str) else tuple(scopes)


def scope_refusal(required: tuple[str, ...], missing: list[str], granted: list[str]) -> Response:
    """The 403 for credentials lacking ``missing`` of the ``required`` scopes (see
    :func:`~bitbucket_sql.emulator.middleware.envelope.missing_scopes_response`)."""
    return missing_scopes_response(required, missing, granted)


def write_endpoint(store: Store, handler: WriteHandler, scope: Scopes) -> Callable[[Request], Any]:
    """A starlette endpoint for ``handler`` that needs the classic OAuth ``scope`` (or all of a tuple)."""
    required = _as_tuple(scope)

    async def asgi_endpoint(request: Request) -> Response:
        principal = getattr(request.state, "principal", None)
        if principal is None or principal.kind == "anonymous":
            return error_response(401, "Unauthorized", detail="This API needs credentials; none were given.")
        missing = [needed for needed in required if not principal.has_scope(needed)]
        if missing:
            return scope_refusal(required, missing, sorted(principal.scopes))
        headers = request.headers
        if (
            request.method in ("POST", "PUT")
            and "content-length" not in headers
            and "transfer-encoding" not in headers
        ):
            return error_response(
                411, "Length Required", detail="Send a Content-Length header (0 for no body)."
            )
        raw = await request.body()
        try:
            body = _parse_body(raw, headers.get("content-type", ""))
        except BodyTooDeep as exc:
            return error_response(400, "Bad request", detail=str(exc))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return error_response(400, "Bad request", detail="The request body is not valid JSON.")
        with store.lock:
            try:
                return handler(WriteCtx(request, store, body))
            except ApiError as exc:
                return error_response(exc.status, exc.message, detail=exc.detail)
            except ValidationError as exc:
                return error_response(400, "Bad request", detail=exc.detail, fields=exc.fields or None)

    return asgi_endpoint


class WriteRoute(Route):
    """A write route that remembers the OAuth scopes it requires (checked against the spec in tests)."""

    def __init__(
        self, path: str, endpoint: Callable[[Request], Any], method: str, required_scopes: tuple[str, ...]
    ) -> None:
        super().__init__(path, endpoint, methods=[method])
        self.method = method
        self.required_scopes = required_scopes


def route(store: Store, path: str, method: str, handler: WriteHandler, scope: Scopes) -> WriteRoute:
    """One write route; ``path`` is relative to ``/2.0``; ``scope`` one scope or all of a tuple."""
    return WriteRoute("/2.0" + path, write_endpoint(store, handler, scope), method, _as_tuple(scope))
