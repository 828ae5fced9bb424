"""Connections to the shared tiny emulator, and ground truth read from its store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import bitbucket_sql
from _helpers_connect import busiest_repository as busiest_repository_of
from _helpers_connect import connection_string_for


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
    return busiest_repository_of(emulator)
