"""A tiny Bitbucket-like server for behaviours the emulator cannot be asked for on demand.

It serves on 127.0.0.1 over real HTTP (uvicorn in a thread) and records what it received, so
tests can check exactly which requests and headers reached the server: list- and cursor-style
paging, every error status with Bitbucket's envelope, scripted failures (503, 429 with and
without Retry-After, dropped connections), redirects and ``next`` links to another host, and
hostile servers: a body dripped one byte at a time, ``next`` links that loop or never end, a
``size`` of 10**9, pages that are not the documented envelope, malformed JSON, and an
``/echo-auth`` error that repeats the request's Authorization header.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

FAKE_TOKEN = "fake-access-token-5f2a9c"


@dataclass
class Received:
    method: str
    path: str
    query: str
    authorization: str | None
    user_agent: str | None


@dataclass
class FakeState:
    """What the fake server received, and knobs tests set before requesting."""

    received: list[Received] = field(default_factory=list)
    items: int = 95
    failures: dict[str, list[Any]] = field(default_factory=dict)  # path -> scripted answers
    other_origin: str = "http://127.0.0.2:9"
    active: int = 0  # requests being served right now (by /slow)
    peak: int = 0  # the most /slow requests served at the same time
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.failures.clear()
            self.items = 95
            self.active = self.peak = 0

    def script(self, path: str, *answers: Any) -> None:
        """Answer the next requests to ``path`` with these (status int, (status, headers), 'drop')."""
        with self.lock:
            self.failures[path] = list(answers)

    def requests_to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


def envelope(message: str, detail: str | None = None, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    if detail:
        error["detail"] = detail
    if fields:
        error["fields"] = fields
    return {"type": "error", "error": error}


ERROR_BODIES = {
    400: envelope("Bad request", "Invalid query", {"q": ["Unknown field 'colour'"]}),
    401: envelope("Access token expired. Use your refresh token to obtain a new access token."),
    403: envelope("Forbidden", "Your credentials lack one or more required privilege scopes."),
    404: envelope("Repository acme/nope not found"),
    409: envelope("Conflict", "A variable with the key DEPLOY already exists."),
    410: envelope("Issue tracker removed", "The issue tracker was removed on 2026-08-20."),
    500: envelope("Internal server error"),
    502: envelope("Bad gateway"),
}


class DrippedResponse(Response):
    """A JSON body sent one byte every ``interval`` seconds (each read succeeds, the whole never ends)."""

    def __init__(self, body: bytes, interval: float) -> None:
        super().__init__()
        self.body_bytes, self.interval = body, interval

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(self.body_bytes)).encode())]
        gone = asyncio.Event()

        async def watch() -> None:  # stop dripping once the client hung up
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.ensure_future(watch())
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            for index in range(len(self.body_bytes)):
                if gone.is_set():
                    return
                await send({"type": "http.response.body", "body": self.body_bytes[index : index + 1], "more_body": True})
                await asyncio.sleep(self.interval)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()


class DroppedResponse(Response):
    """Announces a body, sends part of it and fails: uvicorn then closes the connection."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b'{"partial": ', "more_body": True})
        raise ConnectionAbortedError("scripted dropped connection")


def make_app(state: FakeState) -> Starlette:
    def record(request: Request) -> None:
        with state.lock:
            state.received.append(
                Received(
                    request.method,
                    request.url.path,
                    request.url.query,
                    request.headers.get("authorization"),
                    request.headers.get("user-agent"),
                )
            )

    def scripted(request: Request) -> Response | str | None:
        with state.lock:
            answers = state.failures.get(request.url.path)
            if not answers:
                return None
            answer = answers.pop(0)
        if answer == "drop":
            return "drop"
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        if status == 429:
            return PlainTextResponse("Rate limit for this resource has been exceeded", 429, headers=headers)
        return JSONResponse(ERROR_BODIES.get(status, envelope("Error")), status, headers=headers)

    async def dispatch(request: Request) -> Response:
        record(request)
        answer = scripted(request)
        if answer == "drop":
            return DroppedResponse()
        if isinstance(answer, Response):
            return answer
        return await ROUTES[request.path_params["name"]](request)

    async def user(request: Request) -> Response:
        return JSONResponse({"type": "user", "display_name": "Fake User", "uuid": "{fake}"})

    async def items(request: Request) -> Response:
        pagelen = int(request.query_params.get("pagelen", 10))
        if pagelen > 100:
            return JSONResponse(envelope("Invalid pagelen"), 400)
        page = int(request.query_params.get("page", 1))
        start = (page - 1) * pagelen
        values = [{"id": i} for i in range(start, min(start + pagelen, state.items))]
        claimed = int(request.query_params.get("claim", state.items))  # a server may lie about size
        body: dict[str, Any] = {"size": claimed, "page": page, "pagelen": pagelen, "values": values}
        if start + pagelen < state.items:
            body["next"] = str(request.url.include_query_params(page=page + 1))
        return JSONResponse(body)

    async def cursor(request: Request) -> Response:
        pagelen = int(request.query_params.get("pagelen", 10))
        start = int(request.query_params.get("ctx", "0").removeprefix("c"))
        values = [{"id": i} for i in range(start, min(start + pagelen, state.items))]
        body: dict[str, Any] = {"pagelen": pagelen, "values": values}
        if start + pagelen < state.items:
            body["next"] = str(request.url.include_query_params(ctx=f"c{start + pagelen}"))
        return JSONResponse(body)

    async def crosshost(request: Request) -> Response:
        return JSONResponse(
            {"pagelen": 1, "values": [{"id": 0}], "next": f"{state.other_origin}/2.0/crosshost?ctx=x"}
        )

    async def redirect_away(request: Request) -> Response:
        return RedirectResponse(f"{state.other_origin}/2.0/user", 302)

    async def redirect_here(request: Request) -> Response:
        return RedirectResponse("/2.0/user", 302)

    async def text(request: Request) -> Response:
        return PlainTextResponse("<html>not json</html>")

    async def slow(request: Request) -> Response:
        with state.lock:
            state.active += 1
            state.peak = max(state.peak, state.active)
        try:
            await asyncio.sleep(float(request.query_params.get("s", "1")))
        finally:
            with state.lock:
                state.active -= 1
        return JSONResponse({"ok": True})

    async def echo(request: Request) -> Response:
        return JSONResponse({"method": request.method, "body": (await request.body()).decode()}, 201)

    async def drip(request: Request) -> Response:
        interval = float(request.query_params.get("interval", "0.2"))
        return DrippedResponse(b'{"values": [' + b" " * 200 + b"]}", interval)

    async def loop(request: Request) -> Response:
        # /loop -> /loop?p=2 -> /loop -> ... (a cursor whose next link leads back to the first page)
        here = int(request.query_params.get("p", "1"))
        back = request.url.include_query_params(p=2) if here == 1 else request.url.remove_query_params("p")
        return JSONResponse({"values": [{"id": here}], "next": str(back)})

    async def endless(request: Request) -> Response:
        position = int(request.query_params.get("ctx", "0"))
        next_url = str(request.url.include_query_params(ctx=position + 1))
        return JSONResponse({"pagelen": 1, "values": [{"id": position}], "next": next_url})

    async def bad_page(request: Request) -> Response:
        shapes: dict[str, Any] = {
            "values-string": {"pagelen": 10, "values": "oops"},
            "values-object": {"pagelen": 10, "values": {"id": 1}},
            "no-values": {"type": "error", "error": {"message": "nope"}},
            "list": [{"id": 1}],
            "next-number": {"values": [], "next": 7},
        }
        return JSONResponse(shapes[request.query_params["shape"]])

    async def raw(request: Request) -> Response:
        bodies = {"empty": b"", "truncated": b'{"values": [{"id": 1}, {"id"', "malformed": b"{'values': []}"}
        return Response(bodies[request.query_params["body"]], media_type="application/json")

    async def echo_auth(request: Request) -> Response:
        said = f"Invalid credentials: {request.headers.get('authorization')}"
        return JSONResponse(envelope(said, f"You sent {request.headers.get('authorization')}"), 401)

    ROUTES = {  # noqa: N806 - a constant table local to this app
        "drip": drip,
        "loop": loop,
        "endless": endless,
        "bad-page": bad_page,
        "raw": raw,
        "echo-auth": echo_auth,
        "user": user,
        "items": items,
        "cursor": cursor,
        "crosshost": crosshost,
        "redirect-away": redirect_away,
        "redirect-here": redirect_here,
        "text": text,
        "slow": slow,
        "echo": echo,
    }
    return Starlette(routes=[Route("/2.0/{name}", dispatch, methods=["GET", "POST", "PUT", "DELETE"])])


def make_echo_app() -> Starlette:
    """A server that answers every request 401 and repeats its Authorization header, as a
    misconfigured proxy or a debugging endpoint might."""

    async def echo(request: Request) -> Response:
        said = request.headers.get("authorization")
        return JSONResponse(envelope(f"Invalid credentials: {said}", f"Authorization: {said}"), 401)

    return Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "PUT", "DELETE"])])


@contextlib.contextmanager
def serve(app: Starlette, host: str = "127.0.0.1", **uvicorn_options: Any) -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a thread; yields its root URL.

    The port is the one the OS gave a socket bound to port 0, so parallel runs never collide.
    ``uvicorn_options`` go to ``uvicorn.Config`` (``ssl_certfile``/``ssl_keyfile`` serve HTTPS).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    scheme = "https" if uvicorn_options.get("ssl_certfile") else "http"
    config = uvicorn.Config(app, log_level="critical", access_log=False, lifespan="off", **uvicorn_options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake API server did not start")
        time.sleep(0.01)
    try:
        yield f"{scheme}://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
