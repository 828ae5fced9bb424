"""Turn connection properties into a ready engine, with DB-API errors for bad properties."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bitbucket_sql.dbapi._translate import translate
from bitbucket_sql.dbapi.exceptions import InterfaceError, InternalError, ProgrammingError


def parse_settings(connection_string: str | None, properties: Mapping[str, Any]) -> Any:
    """ConnectionSettings from a CData-style string and keyword properties (keywords win)."""
    if connection_string is not None and not isinstance(connection_string, str):
        raise InterfaceError(
            f"the connection string must be a str such as 'Workspace=acme;AuthScheme=APIToken;...', "
            f"not {type(connection_string).__name__}"
        )
    from bitbucket_sql.api.settings import parse_connection_string

    try:
        return parse_connection_string(connection_string or "", **properties)
    except Exception as error:  # noqa: BLE001 - any complaint about the properties is the caller's to fix
        translated = translate(error)
        if isinstance(translated, InternalError):
            translated = ProgrammingError(f"invalid connection properties: {error}")
        raise translated from error


def open_engine(connection_string: str | None, properties: Mapping[str, Any]) -> Any:
    """A new :class:`bitbucket_sql.engine.Engine` that owns its HTTP client."""
    settings = parse_settings(connection_string, properties)
    from bitbucket_sql.engine import Engine

    try:
        return Engine(settings)
    except Exception as error:  # noqa: BLE001 - surfaced as its DB-API counterpart
        raise translate(error) from error
