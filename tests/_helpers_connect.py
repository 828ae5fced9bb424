"""Connecting to the test emulator and reading its ground truth: shared by the CLI and DB-API tests.

Imported by name (``from _helpers_connect import ...``): pytest puts ``tests/`` on ``sys.path``
because of ``tests/conftest.py``.
"""

from __future__ import annotations

from typing import Any

from bitbucket_sql.api.settings import ConnectionSettings, parse_connection_string

DEMO_USER = "demo@example.com"
DEMO_TOKEN = "demo-api-token"


def connection_string_for(emulator: Any, **extra: str) -> str:
    """The demo credentials' connection string to ``emulator`` (workspace acme), plus ``extra`` keys."""
    parts = {
        "BaseURL": emulator.base_url,
        "Workspace": "acme",
        "AuthScheme": "APIToken",
        "User": DEMO_USER,
        "APIToken": DEMO_TOKEN,
        **extra,
    }
    return ";".join(f"{key}={value}" for key, value in parts.items())


def demo_settings(base_url: str, **overrides: Any) -> ConnectionSettings:
    """Demo API-token settings for the API at ``base_url`` with Workspace=acme and no cache (every
    query reaches the API) unless overridden; an override of None removes the property."""
    values: dict[str, Any] = {
        "BaseURL": base_url,
        "AuthScheme": "APIToken",
        "User": DEMO_USER,
        "APIToken": DEMO_TOKEN,
        "Workspace": "acme",
        "CacheTTL": 0,
        "RetryBaseDelay": 0.01,
    }
    values.update(overrides)
    return parse_connection_string(None, **{k: v for k, v in values.items() if v is not None})


def pull_requests_by_repository(
    emulator: Any, workspace: str = "acme"
) -> dict[str, dict[int, dict[str, Any]]]:
    """repository slug -> pull request id -> the emulator's pull request object."""
    store = emulator.store
    with store.lock:
        slugs = list(store.workspace(workspace).repositories)
        return {slug: dict(store.repo_data(workspace, slug).pullrequests) for slug in slugs}


def busiest_repository(emulator: Any) -> tuple[str, dict[int, dict[str, Any]]]:
    """The acme repository with the most pull requests (first by name on a tie), and those."""
    by_repo = pull_requests_by_repository(emulator)
    slug = max(sorted(by_repo), key=lambda name: len(by_repo[name]))
    assert by_repo[slug], "the tiny emulator data should have pull requests in acme"
    return slug, by_repo[slug]
