"""The PEP 249 connection: one engine (and so one HTTP client and one DuckDB database) per connection.

Bitbucket's API has no transactions: every INSERT, UPDATE and DELETE is applied as it runs
(autocommit). ``commit()`` is therefore always harmless. ``rollback()`` is a no-op while nothing
was written since the last commit (tools such as pandas call it after a failed query and would
otherwise bury the real error), and raises NotSupportedError once a write was applied, because
pretending to undo it would lose the user's knowledge that it happened.
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
        #: rows written since the last commit() (rollback cannot undo them)
        self._written_since_commit = 0
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

    def _note_write(self, result: Any) -> None:
        affected = getattr(result, "affected_rows", None)
        if affected:
            self._written_since_commit += affected

    def commit(self) -> None:
        """Harmless: every write was applied when it ran (autocommit). Raises InterfaceError when closed."""
        self._check_open()
        self._written_since_commit = 0

    def rollback(self) -> None:
        """A no-op when nothing was written since the last commit; NotSupportedError after writes.

        Bitbucket has no transactions, so applied writes cannot be undone.
        """
        self._check_open()
        written, self._written_since_commit = self._written_since_commit, 0
        if written:
            raise exceptions.NotSupportedError(
                f"rollback() cannot undo the {written} row(s) written since the last commit(): Bitbucket's API has "
                f"no transactions, so every INSERT, UPDATE and DELETE was applied when it ran (autocommit). Undo "
                f"a change with another statement (e.g. DELETE what was inserted)."
            )

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
