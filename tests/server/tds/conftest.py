"""Fixtures of the TDS tests: the listener on loopback against the session-wide emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tds_helpers import RunningTds, running_tds


@pytest.fixture(scope="module")
def tds_server(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTds]:
    """One listener per module, with the secure defaults: LOGIN7 only inside TLS."""
    with running_tds(emulator, tmp_path_factory.mktemp("tds-tls")) as server:
        yield server
