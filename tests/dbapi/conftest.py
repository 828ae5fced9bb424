"""Connections to the shared tiny emulator, and ground truth read from its store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dbapi_helpers import connection_string_for, pull_requests_by_repository

import bitbucket_sql


@pytest.fixture
def connection_string(emulator: Any) -> str:
    return connection_string_for(emulator)


@pytest.fixture
def conn(connection_string: str) -> Iterator[Any]:
    connection = bitbucket_sql.connect(connection_string)
    yield connection
    connection.close()


@pytest.fixture
def busiest_repository(emulator: Any) -> tuple[str, dict[int, dict[str, Any]]]:
    """The acme repository with the most pull requests, and those pull requests."""
    by_repo = pull_requests_by_repository(emulator)
    slug = max(sorted(by_repo), key=lambda name: len(by_repo[name]))
    assert by_repo[slug], "the tiny emulator data should have pull requests in acme"
    return slug, by_repo[slug]
