"""The PEP 249 exception hierarchy.

Every error a connection or cursor raises is one of these, so a caller can write
``except bitbucket_sql.dbapi.Error`` without knowing about the engine or the HTTP layer.
The original engine or API exception is kept as ``__cause__``; its text is the message,
passed through the same redactor as the logs (no credential in any message).
"""

from __future__ import annotations

from typing import Any

from bitbucket_sql.api.redact import redact_text


class Warning(Exception):  # the name is fixed by PEP 249, shadowing the builtin on purpose
    """Important warnings (PEP 249); nothing raises it today."""


class Error(Exception):
    """Base class of every error this driver raises; its text never holds a credential."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact_text(arg) if isinstance(arg, str) else arg for arg in args))


class InterfaceError(Error):
    """Misuse of the driver itself: a closed connection or cursor, a bad argument type."""


class DatabaseError(Error):
    """An error reported by the query engine or the Bitbucket API."""


class DataError(DatabaseError):
    """A value could not be processed: a conversion or range error while evaluating SQL."""


class OperationalError(DatabaseError):
    """Bitbucket could not answer: network, authentication, permission, rate limit, server error,
    or a query that would need more requests than the connection allows (MaxFanout)."""


class IntegrityError(DatabaseError):
    """Relational integrity violated; reserved for writes, which the driver does not support yet."""


class InternalError(DatabaseError):
    """The engine reached a state it should never be in; please report it."""


class ProgrammingError(DatabaseError):
    """The statement is wrong: syntax, an unknown table or column, no workspace, wrong parameters."""


class NotSupportedError(DatabaseError):
    """Something the driver or Bitbucket does not offer: writes and DDL, tables whose API was removed
    (the issue tracker, gone since 2026-08-20), transactions."""


__all__ = [
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "Warning",
]
