"""Errors of INSERT, UPDATE and DELETE: refused before any request, or failed part way.

Bitbucket has no transactions, so a statement that fails after some of its requests succeeded
cannot be undone: :class:`PartialWriteError` says exactly which rows were written, which failed
and why, and which were never attempted, so nothing is silently lost or half-reported. Values
of secret columns never appear in these messages (they are masked before any text is built).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..errors import EngineError, UnsupportedStatementError


class WriteError(EngineError):
    """Base class of the errors of a write statement."""


class ReadOnlyConnectionError(WriteError):
    """The connection says ``ReadOnly=true``: no write is sent."""

    def __init__(self, statement: str) -> None:
        super().__init__(
            f"This connection is read-only (ReadOnly=true), so the {statement} was refused before any "
            f"request was sent. Connect without ReadOnly (or ReadOnly=false) to change Bitbucket data."
        )


class WriteNotSupportedError(WriteError, UnsupportedStatementError):
    """The table has no such write in Bitbucket's API."""

    def __init__(self, table: str, statement: str, operations: Sequence[str]) -> None:
        self.table = table
        can = (f"Table {table!r} takes {', '.join(op.upper() for op in operations)}."
               if operations else f"Table {table!r} is read-only: the API offers no way to change it.")
        super().__init__(
            f"{statement} is not supported on table {table!r}: Bitbucket's API has no matching operation. {can} "
            f"See SELECT TableName, WriteOperations FROM sys_tables, or docs/writing.md."
        )


class WriteValidationError(WriteError):
    """A value or column the write cannot send (found before any request)."""

    def __init__(self, table: str, column: str | None, problem: str) -> None:
        self.table = table
        self.column = column
        where = f"column {column!r} of table {table!r}" if column else f"table {table!r}"
        super().__init__(f"Cannot write {where}: {problem}")


class WriteScopeError(WriteError):
    """A 403 from a write because the credential lacks the OAuth scope the operation needs."""

    def __init__(self, message: str, scope: str | None) -> None:
        self.scope = scope
        super().__init__(message)


@dataclass(frozen=True)
class RowOutcome:
    """One row of a write statement: its identity (``repository=api, id=7``) and what happened."""

    row: str
    request: str  # method and path
    error: str | None = None


class PartialWriteError(WriteError):
    """A statement failed part way: some rows were written (and stay written), some were not.

    ``written``, ``failed`` and ``not_attempted`` list :class:`RowOutcome` s; ``failed`` ones
    carry the reason. The statement cannot be rolled back: Bitbucket has no transactions.
    """

    def __init__(
        self,
        table: str,
        statement: str,
        written: Sequence[RowOutcome],
        failed: Sequence[RowOutcome],
        not_attempted: Sequence[RowOutcome],
        uncertain: Sequence[RowOutcome] = (),
    ) -> None:
        self.table = table
        self.written = list(written)
        self.failed = list(failed)
        self.not_attempted = list(not_attempted)
        self.uncertain = list(uncertain)
        total = len(self.written) + len(self.failed) + len(self.not_attempted) + len(self.uncertain)
        lines = [
            f"The {statement} on table {table!r} stopped part way: {len(self.written)} of {total} row(s) were "
            f"written and stay written (Bitbucket has no transactions to roll back)."
        ]
        lines += [f"  written: {outcome.row} ({outcome.request})" for outcome in self.written]
        lines += [f"  failed: {outcome.row} ({outcome.request}): {outcome.error}" for outcome in self.failed]
        lines += [f"  maybe written (no answer came back): {outcome.row} ({outcome.request}): {outcome.error}"
                  for outcome in self.uncertain]
        lines += [f"  not attempted: {outcome.row} ({outcome.request})" for outcome in self.not_attempted]
        lines.append("Fix the cause of the failure and repeat the statement for the rows that were not written "
                     "(check the 'maybe written' ones with a SELECT first).")
        super().__init__("\n".join(lines))


class UncertainCallError(PartialWriteError):
    """A CALL's request got no answer (timeout, dropped connection): Bitbucket may have applied it.

    It is not sent again (an action such as a merge must not run twice); the message says how to
    check. A :class:`PartialWriteError` with one *maybe written* row, so outlets treat it alike.
    """

    def __init__(self, procedure: str, request: str, reason: str, check: str) -> None:
        self.table = procedure
        self.written, self.failed, self.not_attempted = [], [], []
        self.uncertain = [RowOutcome(procedure, request, reason)]
        WriteError.__init__(
            self,
            f"CALL {procedure}: no answer came back from Bitbucket ({reason}), so the action may or may not have "
            f"been applied ({request}). It was not sent again: a second one could act twice. {check}",
        )


class WriteFanoutError(WriteError):
    """A write would send more requests than MaxFanout allows: nothing was sent."""

    def __init__(self, table: str, statement: str, requests: int, limit: int) -> None:
        self.table = table
        self.requests = requests
        self.limit = limit
        super().__init__(
            f"The {statement} on table {table!r} would send {requests} write requests (one per row), more than "
            f"MaxFanout={limit}; nothing was sent. Narrow the WHERE condition, or raise MaxFanout in the "
            f"connection string if that many changes are intended."
        )
