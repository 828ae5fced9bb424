"""Helpers for the CLI tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner, Result

from bitbucket_sql.cli.main import cli

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


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run ``bbsql ARGS`` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def pull_requests_of(emulator: Any, workspace: str = "acme") -> dict[str, dict[int, dict[str, Any]]]:
    store = emulator.store
    with store.lock:
        return {
            slug: dict(store.repo_data(workspace, slug).pullrequests)
            for slug in store.workspace(workspace).repositories
        }
