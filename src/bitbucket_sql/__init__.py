"""bitbucket-sql: Bitbucket Cloud data as SQL.

The package is a PEP 249 (DB-API 2.0) module, so tools that take "a DB-API module" can be
handed ``bitbucket_sql`` itself: ``connect``, ``apilevel``, ``threadsafety``, ``paramstyle``,
the exceptions (``Error``, ``ProgrammingError``...), the type objects (``STRING``, ``DATETIME``...)
and constructors (``Date``, ``Timestamp``, ``Binary``...) are those of :mod:`bitbucket_sql.dbapi`.

They load on first use (a module ``__getattr__``, PEP 562): ``import bitbucket_sql`` stays
cheap, and the engine, DuckDB and HTTP stack load only when a connection is made. The
``typing`` module is not imported here for the same reason.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ supplies these
    from bitbucket_sql.dbapi import (
        BINARY,
        BOOLEAN,
        DATETIME,
        NUMBER,
        ROWID,
        STRING,
        Binary,
        Connection,
        Cursor,
        DatabaseError,
        DataError,
        Date,
        DateFromTicks,
        Error,
        IntegrityError,
        InterfaceError,
        InternalError,
        NotSupportedError,
        OperationalError,
        ProgrammingError,
        Time,
        TimeFromTicks,
        Timestamp,
        TimestampFromTicks,
        Warning,
        apilevel,
        connect,
        paramstyle,
        threadsafety,
    )

__version__ = "0.1.0"

__all__ = [
    "BINARY", "BOOLEAN", "DATETIME", "NUMBER", "ROWID", "STRING", "Binary", "Connection", "Cursor",
    "DataError", "DatabaseError", "Date", "DateFromTicks", "Error", "IntegrityError", "InterfaceError",
    "InternalError", "NotSupportedError", "OperationalError", "ProgrammingError", "Time",
    "TimeFromTicks", "Timestamp", "TimestampFromTicks", "Warning", "__version__", "apilevel", "connect",
    "paramstyle", "threadsafety",
]  # fmt: skip

#: The DB-API names this module lends from :mod:`bitbucket_sql.dbapi` on first use.
_DBAPI_NAMES = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> object:
    """Load :mod:`bitbucket_sql.dbapi` the first time one of its names is asked for (PEP 562)."""
    if name in _DBAPI_NAMES:
        from bitbucket_sql import dbapi

        value = getattr(dbapi, name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'bitbucket_sql' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_DBAPI_NAMES})
