"""Engines of the ``bitbucket://`` dialect over the shared tiny emulator (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from dialect_helpers import emulator_url, require_module

from _helpers_connect import busiest_repository

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")


@pytest.fixture
def url(emulator: Any) -> str:
    return emulator_url(emulator)


@pytest.fixture
def engine(url: str) -> Iterator[Any]:
    """A fresh engine whose every ``connect()`` is a new DB-API connection (empty caches), so
    each statement's requests can be compared with a hand-written query's on a fresh connection."""
    from sqlalchemy.pool import NullPool

    created = sqlalchemy.create_engine(url, poolclass=NullPool)
    yield created
    created.dispose()


@pytest.fixture
def repository(emulator: Any) -> str:
    """The acme repository with the most pull requests."""
    return busiest_repository(emulator)[0]
