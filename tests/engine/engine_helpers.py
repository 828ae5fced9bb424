"""Helpers shared by the engine tests (settings for the emulator, result comparison)."""

from __future__ import annotations

from typing import Any

from _helpers_connect import demo_settings
from bitbucket_sql.api.settings import ConnectionSettings


def settings_for(emulator: Any, **overrides: Any) -> ConnectionSettings:
    """Demo API-token settings for ``emulator`` with Workspace=acme and no cache unless overridden."""
    return demo_settings(emulator.base_url, **overrides)


def canonical(rows: list[tuple[Any, ...]]) -> list[str]:
    """Rows as sorted reprs (for comparing results whose order SQL leaves open)."""
    return sorted(repr(row) for row in rows)
