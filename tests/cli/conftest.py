"""Fixtures for the CLI tests: a connection string for the shared emulator, ground truth."""

from __future__ import annotations

from typing import Any

import pytest

from _helpers_connect import busiest_repository as busiest_repository_of
from _helpers_connect import connection_string_for


@pytest.fixture
def cli_connection(emulator: Any) -> str:
    return connection_string_for(emulator)


@pytest.fixture
def busiest_repository(emulator: Any) -> tuple[str, dict[int, dict[str, Any]]]:
    return busiest_repository_of(emulator)
