"""bitbucket-sql's PEP 249 (DB-API 2.0) driver.

>>> import bitbucket_sql
>>> conn = bitbucket_sql.connect("Workspace=acme;AuthScheme=APIToken;User=me@example.com;APIToken=...")
>>> conn.cursor().execute("SELECT title FROM pull_requests WHERE repository = ?", ["api"]).fetchall()

Connection properties are CData-style ``Key=Value`` pairs separated by ``;`` with
case-insensitive keys (parsed by :func:`bitbucket_sql.api.settings.parse_connection_string`),
or the same keys as keyword arguments; keyword arguments win. Placeholders are ``?``
(``paramstyle = "qmark"``). Error mapping: see :mod:`bitbucket_sql.dbapi._translate`.
"""

from __future__ import annotations

from typing import Any

from bitbucket_sql.dbapi.connection import Connection
from bitbucket_sql.dbapi.cursor import Cursor
from bitbucket_sql.dbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from bitbucket_sql.dbapi.types import (
    BINARY,
    BOOLEAN,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

apilevel = "2.0"
#: Threads may share the module, not connections: a connection's engine holds one DuckDB
#: connection and per-query accounting that are not guarded for concurrent use.
threadsafety = 1
paramstyle = "qmark"


def connect(connection_string: str | None = None, **properties: Any) -> Connection:
    """Open a connection from a connection string and/or keyword properties.

    Bad properties raise ProgrammingError naming the property; nothing is sent to Bitbucket
    until the first query.
    """
    from bitbucket_sql.dbapi._opening import open_engine

    return Connection(open_engine(connection_string, properties))


__all__ = [
    "BINARY",
    "BOOLEAN",
    "DATETIME",
    "NUMBER",
    "ROWID",
    "STRING",
    "Binary",
    "Connection",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "apilevel",
    "connect",
    "paramstyle",
    "threadsafety",
]
