"""A fresh emulator per test (procedures change its state), engines on it, and raw HTTP.

Each test gets its own emulator (it starts in ~0.1 s), so an action in one test can never change
what another test reads. ``api`` is a plain httpx client with the demo API token: the tests check
the emulator's state through it, as any client of the real API would, never through the engine.
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
def request_count(writable_emulator: EmulatorHandle) -> Callable[[], int]:
    """API requests the emulator has answered so far, read from its stats endpoint over HTTP."""
    root = writable_emulator.base_url.rsplit("/2.0", 1)[0]

    def count() -> int:
        answer = httpx.get(f"{root}/_emulator/stats", timeout=30)
        answer.raise_for_status()
        return int(answer.json()["total"])

    return count
