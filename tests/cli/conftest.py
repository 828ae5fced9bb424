"""Fixtures for the CLI tests: a connection string for the shared emulator, ground truth."""

from __future__ import annotations

from typing import Any

import pytest
from cli_helpers import connection_string_for, pull_requests_of


@pytest.fixture
def cli_connection(emulator: Any) -> str:
    return connection_string_for(emulator)


@pytest.fixture
def busiest_repository(emulator: Any) -> tuple[str, dict[int, dict[str, Any]]]:
    by_repo = pull_requests_of(emulator)
    slug = max(sorted(by_repo), key=lambda name: len(by_repo[name]))
    return slug, by_repo[slug]
