"""Fixtures of the server tests: `bbsql serve` on loopback against the session-wide emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pg_server_helpers import RunningServer, running_server


@pytest.fixture(scope="module")
def demo_server(emulator: Any) -> Iterator[RunningServer]:
    """One server per test module: database ``acme``, users reader/writer with password ``pw``."""
    with running_server(emulator) as server:
        yield server
