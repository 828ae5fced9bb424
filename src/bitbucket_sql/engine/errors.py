"""Exceptions the engine raises, each carrying one readable paragraph.

Every message names the table, column or value at fault and says what to do instead, so the
DB-API and CLI outlets can show ``str(error)`` as is. API failures are not wrapped: they
propagate as :mod:`bitbucket_sql.api.errors` exceptions, which already explain themselves.
"""

from __future__ import annotations

from collections.abc import Sequence


class EngineError(Exception):
    """Base class of every engine error (one readable paragraph)."""


class SqlSyntaxError(EngineError):
    """The SQL text does not parse; ``line`` and ``column`` are 1-based (0 when unknown)."""

    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class UnknownTableError(EngineError):
    """A table that is neither in the catalog nor a system table."""

    def __init__(self, name: str, closest: Sequence[str] = ()) -> None:
        self.name = name
        self.closest = list(closest)
        hint = f" Did you mean {_or_list(self.closest)}?" if self.closest else ""
        super().__init__(
            f"Unknown table {name!r}.{hint} List the tables with SELECT TableName FROM sys_tables "
            f"(or `bbsql tables`)."
        )


class UnknownColumnError(EngineError):
    """A column that none of the query's tables has."""

    def __init__(self, name: str, table: str | None = None, closest: Sequence[str] = (), detail: str = "") -> None:
        self.name = name
        self.table = table
        self.closest = list(closest)
        where = f" in table {table!r}" if table else ""
        hint = f" Did you mean {_or_list(self.closest)}?" if self.closest else ""
        detail = detail or _write_only_note(name, table)
        extra = f" {detail}" if detail else ""
        super().__init__(
            f"Unknown column {name!r}{where}.{hint}{extra} List a table's columns with "
            f"SELECT ColumnName FROM sys_tablecolumns WHERE TableName = '<table>'."
        )


def _write_only_note(name: str, table: str | None) -> str:
    """Why a write-only column (a webhook's ``secret``) cannot be read, when ``name`` is one."""
    from bitbucket_sql.catalog.registry import all_tables

    column = name.split(".")[-1].strip('"').lower()
    owners = [t.name for t in all_tables() if (table is None or t.name == table.lower())
              and any(f.column == column for f in t.write_only_fields())]
    if not owners:
        return ""
    return (f"{column!r} of {_or_list(owners)} is write-only: INSERT and UPDATE accept it, but Bitbucket never "
            f"returns it, so SELECT and RETURNING cannot show it.")


class NoWorkspaceError(EngineError):
    """A workspace table was used without a schema and the connection has no Workspace."""

    def __init__(self, table: str) -> None:
        self.table = table
        super().__init__(
            f"Table {table!r} belongs to a workspace, but no workspace was given. Set one in the "
            f"connection string (Workspace=acme) or write the workspace as the schema: "
            f"SELECT ... FROM acme.{table}. List your workspaces with SELECT * FROM sys_schemas."
        )


class RemovedTableError(EngineError):
    """The table's API is gone (the issue tracker, removed 2026-08-20)."""

    def __init__(self, table: str, reason: str) -> None:
        self.table = table
        super().__init__(f"Table {table!r} is no longer available: {reason}")


class FanoutLimitError(EngineError):
    """Answering would need more requests than MaxFanout allows."""

    def __init__(self, table: str, requests: int, limit: int, narrowing: str) -> None:
        self.table = table
        self.requests = requests
        self.limit = limit
        super().__init__(
            f"Reading table {table} would need {requests} requests (one per scope), more than "
            f"MaxFanout={limit}. Narrow the query with {narrowing}, or raise MaxFanout in the "
            f"connection string if that many requests are intended."
        )


class InvalidIdentifierError(EngineError):
    """A schema (workspace) or key value that cannot be one segment of an API path."""

    def __init__(self, what: str, value: str, where: str, advice: str) -> None:
        self.what = what
        self.value = value
        super().__init__(f"{what} {value!r} {where} cannot be a Bitbucket {what.lower()}: {advice}")


class KeyNotFoundError(EngineError):
    """A workspace, repository or other key the query names does not exist (the API said 404)."""

    def __init__(self, table: str, key: str, value: object, detail: str, advice: str) -> None:
        self.table = table
        self.key = key
        self.value = value
        super().__init__(f"{detail} (while reading {table}). {advice}")


class QueryTimeoutError(EngineError):
    """The query ran longer than the connection's QueryTimeout."""

    def __init__(self, seconds: float, phase: str) -> None:
        self.seconds = seconds
        self.phase = phase
        super().__init__(
            f"The query was stopped after QueryTimeout={seconds:g} seconds, while {phase}; its remaining "
            f"requests were cancelled. Narrow the query (a repository or date filter, a LIMIT) or raise "
            f"QueryTimeout in the connection string (0 means no limit)."
        )


class QueryWarning(UserWarning):
    """Something the user should know about an answer that is still correct (a skipped parent)."""


class ParameterError(EngineError):
    """Wrong number or type of query parameters."""


class UnsupportedStatementError(EngineError):
    """DDL, session commands and other statements the engine does not run (and writes a table lacks)."""


def _or_list(names: Sequence[str]) -> str:
    quoted = [repr(name) for name in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]
