"""Helpers shared by the DB-API tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any

DEMO_USER = "demo@example.com"
DEMO_TOKEN = "demo-api-token"


def connection_string_for(emulator: Any, **extra: str) -> str:
    parts = {
        "BaseURL": emulator.base_url,
        "Workspace": "acme",
        "AuthScheme": "APIToken",
        "User": DEMO_USER,
        "APIToken": DEMO_TOKEN,
        **extra,
    }
    return ";".join(f"{key}={value}" for key, value in parts.items())


def pull_requests_by_repository(
    emulator: Any, workspace: str = "acme"
) -> dict[str, dict[int, dict[str, Any]]]:
    """repository slug -> pull request id -> the emulator's pull request object."""
    store = emulator.store
    with store.lock:
        slugs = list(store.workspace(workspace).repositories)
        return {slug: dict(store.repo_data(workspace, slug).pullrequests) for slug in slugs}
