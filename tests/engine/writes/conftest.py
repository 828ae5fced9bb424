"""A fresh emulator per test (writes change its state), engines on it, and raw HTTP to check it.

``api`` is a plain httpx client with the demo API token: tests verify what the emulator holds
through the API, as any client of the real API would, never through the engine or its store.
``control`` reaches the emulator's ``/_emulator`` control routes (faults, request counts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from _helpers_connect import DEMO_TOKEN, DEMO_USER, demo_settings
from bitbucket_sql.emulator import EmulatorHandle, run_emulator
from bitbucket_sql.engine import Engine


@pytest.fixture
def writable_emulator() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture
def api(writable_emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    """Raw HTTP to the emulator's API with the demo API token (base URL ends with /2.0)."""
    with httpx.Client(base_url=writable_emulator.base_url, auth=(DEMO_USER, DEMO_TOKEN), timeout=30) as client:
        yield client


@pytest.fixture
def control(writable_emulator: EmulatorHandle) -> Iterator[httpx.Client]:
    """The emulator's control routes (``/_emulator/faults``, ``/_emulator/stats``) over HTTP."""
    root = writable_emulator.base_url.rsplit("/2.0", 1)[0]
    with httpx.Client(base_url=f"{root}/_emulator", timeout=30) as client:
        yield client


@pytest.fixture
def make_engine(writable_emulator: EmulatorHandle) -> Iterator[Callable[..., Engine]]:
    made: list[Engine] = []

    def make(**overrides: Any) -> Engine:
        engine = Engine(demo_settings(writable_emulator.base_url, **overrides))
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


@pytest.fixture
def write_count(control: httpx.Client) -> Callable[[], int]:
    """Write requests (POST, PUT, DELETE) the emulator has answered so far, from its stats route."""

    def count() -> int:
        answer = control.get("/stats")
        answer.raise_for_status()
        routes = answer.json()["routes"]
        return sum(n for route, n in routes.items() if route.split(" ", 1)[0] in ("POST", "PUT", "DELETE", "PATCH"))

    return count
