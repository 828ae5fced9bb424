"""Helpers shared by the engine tests (settings for the emulator, result comparison)."""

from __future__ import annotations

from typing import Any

from bitbucket_sql.api.settings import ConnectionSettings, parse_connection_string


def settings_for(emulator: Any, **overrides: Any) -> ConnectionSettings:
    """Demo API-token settings for ``emulator`` with Workspace=acme and no cache unless overridden."""
    values: dict[str, Any] = {
        "BaseURL": emulator.base_url,
        "AuthScheme": "APIToken",
        "User": "demo@example.com",
        "APIToken": "demo-api-token",
        "Workspace": "acme",
        "CacheTTL": 0,
        "RetryBaseDelay": 0.01,
    }
    values.update(overrides)
    return parse_connection_string(None, **{k: v for k, v in values.items() if v is not None})


def canonical(rows: list[tuple[Any, ...]]) -> list[str]:
    """Rows as sorted reprs (for comparing results whose order SQL leaves open)."""
    return sorted(repr(row) for row in rows)
