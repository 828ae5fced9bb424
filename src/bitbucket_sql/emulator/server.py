"""Running the emulator: configuration, an in-process handle for tests, and a blocking server.

``run_emulator(...)`` builds the store, serves it with uvicorn on 127.0.0.1 and a free port in a
background thread, waits until it answers, yields an :class:`EmulatorHandle` and stops cleanly.
``serve(config)`` is the blocking variant behind ``bbsql emulator``.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from starlette.applications import Starlette

from bitbucket_sql.emulator.app import create_app

SCALES = ("tiny", "small", "medium", "large")
STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that shapes one emulator instance. Invalid values raise ValueError naming them.

    ``port`` 0 picks a free port. ``rate_limit`` is requests per credential per rolling hour
    (None = unlimited). ``fault_rate`` is the fraction of API requests that fail. ``data`` is a
    JSON/YAML file to load instead of generating ``scale`` with ``seed``. ``retry_after`` adds a
    ``Retry-After`` header (seconds) to 429 answers, which real Bitbucket does not send.
    ``access_token_ttl`` is the lifetime of issued OAuth access tokens in seconds.
    """

    host: str = "127.0.0.1"
    port: int = 0
    scale: str = "tiny"
    seed: int = 1
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit: int | None = None
    fault_rate: float = 0.0
    data: str | None = None
    retry_after: int | None = None
    access_token_ttl: int = 7200
    log_level: str = "warning"
    #: ``YYYY-MM-DD``: the generated history ends on this day (default: today, see generator.anchor_date)
    anchor_date: str | None = None

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {self.scale!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535; got {self.port}")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError(
                f"latency_ms and jitter_ms must not be negative; got {self.latency_ms}/{self.jitter_ms}"
            )
        if self.rate_limit is not None and self.rate_limit < 1:
            raise ValueError(
                f"rate_limit must be a positive number of requests per hour; got {self.rate_limit}"
            )
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be between 0 and 1; got {self.fault_rate}")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError(f"retry_after must be zero or more seconds; got {self.retry_after}")
        if self.access_token_ttl < 1:
            raise ValueError(f"access_token_ttl must be at least 1 second; got {self.access_token_ttl}")
        if self.anchor_date is not None:
            from bitbucket_sql.emulator.generator import anchor_date

            anchor_date(self.anchor_date)  # raises ValueError naming the bad date
        if self.data is not None and not Path(self.data).is_file():
            raise ValueError(
                f"data file {self.data!r} does not exist; pass a JSON or YAML file exported from a store"
            )


def build_store(config: EmulatorConfig) -> Any:
    """The data the emulator serves: loaded from ``config.data`` or generated from scale and seed."""
    from bitbucket_sql.emulator import generator, loader

    if config.data is not None:
        return loader.load(config.data)
    return generator.generate(config.scale, config.seed, config.anchor_date)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP (not 0): asyncio sets TCP_NODELAY on accepted connections only
    # then, and without it every request on a kept-alive connection waits ~40 ms (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror or error}") from error
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    """The host part of URLs that reach the server (a wildcard bind is reached over loopback)."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _uvicorn_server(app: Starlette, config: EmulatorConfig) -> uvicorn.Server:
    server_config = uvicorn.Config(
        app,
        log_level=config.log_level,
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=3,
        timeout_keep_alive=5,
    )
    return uvicorn.Server(server_config)


class EmulatorHandle:
    """A running emulator: its URLs, live store and run-time controls (for tests and benchmarks)."""

    def __init__(self, app: Starlette, config: EmulatorConfig, port: int) -> None:
        self.app = app
        self.config = config
        self.port = port
        self.root_url = f"http://{_url_host(config.host)}:{port}"
        self.base_url = f"{self.root_url}/2.0"

    def __repr__(self) -> str:
        return f"EmulatorHandle(base_url={self.base_url!r}, scale={self.config.scale!r}, seed={self.config.seed})"

    @property
    def store(self) -> Any:
        """The live data store: ground truth for tests (hold ``store.lock`` while reading)."""
        return self.app.state.store

    @property
    def credentials(self) -> Any:
        """The credential registry: add API tokens, access tokens or OAuth consumers at run time."""
        return self.app.state.registry

    def stats(self) -> dict[str, Any]:
        """``{"total": N, "routes": {"GET /2.0/...template...": n}}`` for API requests so far."""
        snapshot: dict[str, Any] = self.app.state.stats.snapshot()
        return snapshot

    def reset_stats(self) -> None:
        self.app.state.stats.reset()

    def write_requests(self) -> dict[str, int]:
        """The write requests (POST, PUT, PATCH, DELETE) counted so far, by method and route
        template: empty when nothing was written (what a dry run such as EXPLAIN must leave)."""
        routes: dict[str, int] = self.stats()["routes"]
        return {key: count for key, count in routes.items() if key.split(" ", 1)[0] != "GET"}

    def peak_in_flight(self) -> int:
        """Most API requests handled at the same moment since the last stats reset."""
        peak: int = self.app.state.stats.peak_in_flight
        return peak

    def set_fault_rate(self, fault_rate: float, seed: int | None = None) -> None:
        """Fail ``fault_rate`` of API requests from now on; the sequence restarts from ``seed``."""
        self.app.state.controls.set_fault_rate(fault_rate, seed if seed is not None else self.config.seed)

    def set_rate_limit(self, rate_limit: int | None, retry_after: int | None = None) -> None:
        """Limit each credential to ``rate_limit`` requests per rolling hour; forgets past requests."""
        self.app.state.controls.set_rate_limit(rate_limit, retry_after)

    def set_latency(self, latency_ms: float, jitter_ms: float = 0.0) -> None:
        self.app.state.controls.set_latency(latency_ms, jitter_ms)

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward (expires OAuth tokens, rolls rate-limit windows,
        runs triggered pipelines, completes queued merges)."""
        self.app.state.controls.clock.advance(seconds)

    def fail_requests(
        self,
        outcome: str = "500",
        *,
        nth: int = 1,
        times: int = 1,
        after_apply: bool = False,
        methods: Any = None,
        path_contains: str | None = None,
        timeout_seconds: float = 5.0,
    ) -> None:
        """Arm a scripted fault: the ``nth`` matching request from now (writes by default) fails
        with ``outcome`` ("500", "502", "503", "drop" or "timeout"), and the ``times - 1`` matching
        ones after it. ``after_apply=True`` lets the write change the data first (its answer is
        lost); "timeout" holds the answer ``timeout_seconds`` and then drops the connection."""
        self.app.state.controls.fail_requests(
            outcome,
            nth=nth,
            times=times,
            after_apply=after_apply,
            methods=methods,
            path_contains=path_contains,
            timeout_seconds=timeout_seconds,
        )

    def clear_faults(self) -> None:
        """Disarm every scripted fault (the random ``fault_rate`` is unchanged)."""
        self.app.state.controls.clear_scripted_faults()

    def set_pipeline_timing(
        self,
        pending_seconds: float | None = None,
        running_seconds: float | None = None,
        result: str | None = None,
    ) -> None:
        """How pipelines triggered from now on run on the emulator clock: PENDING for
        ``pending_seconds``, IN_PROGRESS for ``running_seconds``, then COMPLETED with ``result``
        (SUCCESSFUL, FAILED or ERROR). Defaults: 10 s, 120 s, SUCCESSFUL."""
        self.app.state.pipeline_runs.configure(
            pending_seconds=pending_seconds, running_seconds=running_seconds, result=result
        )

    def set_merge_mode(
        self,
        mode: str | None = None,
        pending_polls: int | None = None,
        complete_after_seconds: float | None = None,
    ) -> None:
        """When merges answer 202 + task status: ``mode`` "requested" (only with ``async=true``,
        the default) or "always" (as a merge that exceeded Bitbucket's timeout); the task answers
        PENDING to ``pending_polls`` polls (default 1) and completes at the next poll, or once
        the emulator clock passes ``complete_after_seconds`` (default 30)."""
        self.app.state.merge_tasks.configure(
            mode=mode, pending_polls=pending_polls, complete_after_seconds=complete_after_seconds
        )


def _wait_until_answering(server: uvicorn.Server, thread: threading.Thread, root_url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the emulator server stopped during start-up (see the log above)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the emulator did not start within {STARTUP_TIMEOUT_S:.0f} s")
        time.sleep(0.01)
    # No proxies: an HTTP(S)_PROXY in the environment must not intercept a loopback check.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{root_url}/_emulator/stats", timeout=STARTUP_TIMEOUT_S) as answer:
        answer.read()


@contextlib.contextmanager
def run_emulator(*, store: Any = None, **options: Any) -> Iterator[EmulatorHandle]:
    """Serve an emulator in a background thread for the duration of the ``with`` block.

    ``options`` are :class:`EmulatorConfig` fields (host defaults to 127.0.0.1, port to a free
    one). ``store`` serves a ready-made store instead of building one from the options.
    """
    config = EmulatorConfig(**options)
    app = create_app(store if store is not None else build_store(config), config)
    sock = _bind(config.host, config.port)
    port = sock.getsockname()[1]
    server = _uvicorn_server(app, config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"bitbucket-emulator-{port}", daemon=True
    )
    thread.start()
    handle = EmulatorHandle(app, config, port)
    try:
        _wait_until_answering(server, thread, handle.root_url)
        yield handle
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT_S)
        if thread.is_alive():
            server.force_exit = True
            thread.join(SHUTDOWN_TIMEOUT_S)
        sock.close()


def serve(config: EmulatorConfig, *, on_ready: Callable[[EmulatorHandle], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM). ``on_ready`` runs once the port is bound."""
    app = create_app(build_store(config), config)
    sock = _bind(config.host, config.port)
    handle = EmulatorHandle(app, config, sock.getsockname()[1])
    if on_ready is not None:
        on_ready(handle)
    server = _uvicorn_server(app, config)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal; stopping is
    # the normal end of serving, so swallow the re-raised SIGTERM and the resulting Ctrl-C.
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _ignore_signal) if in_main_thread else None
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
        sock.close()


def _ignore_signal(signum: int, frame: FrameType | None) -> None:
    """Installed for SIGTERM while serving; uvicorn handles the real shutdown."""
