"""The PEP 249 connection: one engine (and so one HTTP client and one DuckDB database) per connection.

The driver only reads, so there is never anything to commit or roll back: both are no-ops
rather than errors, because tools such as pandas call ``rollback()`` after a failed statement
and would otherwise bury the real error under "unable to rollback".
"""

from __future__ import annotations

from typing import Any

from bitbucket_sql.dbapi import exceptions
from bitbucket_sql.dbapi._translate import translated_errors
from bitbucket_sql.dbapi.cursor import Cursor
from bitbucket_sql.dbapi.exceptions import InterfaceError


class Connection:
    """A PEP 249 connection to Bitbucket Cloud. Create it with :func:`bitbucket_sql.connect`."""

    # PEP 249 optional extension: the exception classes as connection attributes.
    Warning = exceptions.Warning
    Error = exceptions.Error
    InterfaceError = exceptions.InterfaceError
    DatabaseError = exceptions.DatabaseError
    DataError = exceptions.DataError
    OperationalError = exceptions.OperationalError
    IntegrityError = exceptions.IntegrityError
    InternalError = exceptions.InternalError
    ProgrammingError = exceptions.ProgrammingError
    NotSupportedError = exceptions.NotSupportedError

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._closed = False
        self._cursors: list[Cursor] = []

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def workspace(self) -> str | None:
        """The connection's default workspace (its ``Workspace`` property), or None."""
        self._check_open()
        return self._engine.default_schema

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("the connection is closed; open a new one with connect()")

    def _engine_for_cursor(self) -> Any:
        self._check_open()
        return self._engine

    def cursor(self) -> Cursor:
        self._check_open()
        cursor = Cursor(self)
        self._cursors = [c for c in self._cursors if not c.closed]
        self._cursors.append(cursor)
        return cursor

    def commit(self) -> None:
        """Nothing to commit: the driver only reads. Raises InterfaceError when closed."""
        self._check_open()

    def rollback(self) -> None:
        """Nothing to roll back: the driver only reads. Raises InterfaceError when closed."""
        self._check_open()

    def close(self) -> None:
        """Close the engine (HTTP connections, DuckDB) and every cursor. Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        for cursor in self._cursors:
            cursor.close()
        self._cursors.clear()
        with translated_errors():
            self._engine.close()

    def __enter__(self) -> Connection:
        self._check_open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # Never the settings themselves: they hold credentials.
        if self._closed:
            return "<bitbucket_sql.dbapi.Connection closed>"
        return f"<bitbucket_sql.dbapi.Connection workspace={self._engine.default_schema!r}>"
