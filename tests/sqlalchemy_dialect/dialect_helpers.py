"""Shared by the dialect's tests: the emulator's ``bitbucket://`` URL, and DB-API ground truth."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for


def require_module(name: str, package: str) -> Any:
    """Import a third-party module, or skip naming its pip package (a failure under CI=true)."""
    try:
        return __import__(name)
    except ImportError:
        message = f"{name} is not installed (pip install {package})"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; it is in the test extra of pyproject.toml")
        pytest.skip(message, allow_module_level=True)


def emulator_url(emulator: Any, token: str = DEMO_TOKEN, **query: str) -> str:
    """The documented URL form for the emulator: user and token, API host, workspace, scheme=http."""
    parts = urlsplit(emulator.base_url)
    extra = "".join(f"&{key}={value}" for key, value in query.items())
    return f"bitbucket://{quote(DEMO_USER, safe='')}:{token}@{parts.hostname}:{parts.port}/acme?scheme=http{extra}"


def dbapi_answer(
    emulator: Any, sql: str, parameters: list[Any] | None = None
) -> tuple[list[tuple[Any, ...]], int]:
    """Rows and API requests of ``sql`` on a fresh DB-API connection (empty caches)."""
    import bitbucket_sql

    with bitbucket_sql.connect(connection_string_for(emulator)) as connection:
        cursor = connection.cursor()
        cursor.execute(sql, parameters)
        return cursor.fetchall(), cursor.stats.requests


def parsed_json(value: Any) -> Any:
    """The DB-API hands JSON columns out as text; SQLAlchemy's JSON type parses them."""
    return json.loads(value) if isinstance(value, str) else value
