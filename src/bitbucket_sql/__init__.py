"""bitbucket-sql: Bitbucket Cloud data as SQL.

The public entry point is :func:`connect` (PEP 249). Importing the package stays cheap:
the engine, DuckDB and HTTP stack load only when a connection is made.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "connect"]


def connect(connection_string: str | None = None, **properties: Any) -> Any:
    """Open a PEP 249 connection; see :func:`bitbucket_sql.dbapi.connect`."""
    from bitbucket_sql.dbapi import connect as _connect

    return _connect(connection_string, **properties)
