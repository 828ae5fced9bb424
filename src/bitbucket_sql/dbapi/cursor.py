"""The PEP 249 cursor: runs one statement at a time through the engine and hands out its rows.

The engine answers a statement completely (every row fetched from Bitbucket and evaluated
by DuckDB) before ``execute`` returns. A result of up to :data:`WHOLE_RESULT_ROWS` rows comes
as a list; a larger one stays in DuckDB and ``fetchmany`` reads it a batch at a time, so an
ETL loop over a large table never holds every row as Python values (the largest share of
such a query's memory). ``rowcount`` is exact either way: asked before a large result is
read, it reads the rest into memory to count it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bitbucket_sql.dbapi._translate import translated_errors
from bitbucket_sql.dbapi.exceptions import InterfaceError, ProgrammingError
from bitbucket_sql.dbapi.types import base_type_name

if TYPE_CHECKING:
    from bitbucket_sql.dbapi.connection import Connection

#: what callproc() accepts as a procedure name (optionally schema-qualified) and a parameter name
_PROCEDURE_NAME = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_-]*\.)?[A-Za-z_][A-Za-z0-9_]*$")
_PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: results of more rows than this are read from DuckDB batch by batch, not held as a list
WHOLE_RESULT_ROWS = 2_000

#: (name, type_code, display_size, internal_size, precision, scale, null_ok)
DescriptionRow = tuple[str, str, None, None, int | None, int | None, None]


def _precision_and_scale(type_code: str) -> tuple[int | None, int | None]:
    """``DECIMAL(18,3)`` -> (18, 3); other types have neither."""
    if base_type_name(type_code) not in {"DECIMAL", "NUMERIC"} or "(" not in type_code:
        return None, None
    inside = type_code[type_code.index("(") + 1 : type_code.rindex(")")]
    parts = [part.strip() for part in inside.split(",")]
    try:
        return int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        return None, None


def _checked_parameters(parameters: Any) -> list[Any] | None:
    """The parameters as a list, or a ProgrammingError saying what this driver accepts."""
    if parameters is None:
        return None
    if isinstance(parameters, Mapping):
        raise ProgrammingError(
            "parameters were given as a mapping, but this driver's paramstyle is 'qmark': "
            "write ? placeholders and pass the values as a list or tuple, in order"
        )
    if isinstance(parameters, str | bytes | bytearray) or not isinstance(parameters, Sequence):
        raise ProgrammingError(
            f"parameters must be a list or tuple of values for the ? placeholders, not "
            f"{type(parameters).__name__}; for one value write (value,)"
        )
    return [_adapted(value) for value in parameters]


def _adapted(value: Any) -> Any:
    """A time of day (PEP 249's ``Time``) travels as ISO text, which SQL casts where a TIME is
    needed; the engine binds every other supported type itself and names any it refuses."""
    if isinstance(value, dt.time):
        return value.isoformat()
    return value


class Cursor:
    """A PEP 249 cursor. Create it with :meth:`Connection.cursor`."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        #: rows fetchmany() returns when called without a size (PEP 249).
        self.arraysize = 1
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        result = getattr(self, "_result", None)
        if result is not None and getattr(result, "stream", None) is not None:
            result.stream.close()  # a large result not read to the end: release its database
        self._rows: list[tuple[Any, ...]] | None = None  # rows read (a large result's latest batches)
        self._taken = 0  # of them, handed out
        self._position = 0  # rows handed out in all
        self._batches: Iterator[Sequence[tuple[Any, ...]]] | None = None  # the rest of a large result
        self._description: tuple[DescriptionRow, ...] | None = None
        self._rowcount = -1
        self._result: Any = None

    # -- state -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed or self.connection.closed

    def _check_open(self) -> None:
        if self._closed:
            raise InterfaceError("the cursor is closed; create a new one with connection.cursor()")
        if self.connection.closed:
            raise InterfaceError("the connection of this cursor is closed; open a new one with connect()")

    @property
    def description(self) -> tuple[DescriptionRow, ...] | None:
        """One 7-tuple per result column; the type code is the engine's DuckDB type name."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows in the last result (rows changed by an INSERT/UPDATE/DELETE), or -1 before the first ``execute``.

        Asked before a large result is read, the rest of it is read into memory to count it."""
        if self._batches is not None and not self.closed:
            self._read_ahead(None)
        return self._rowcount

    @property
    def rownumber(self) -> int | None:
        """0-based index of the next row to fetch (an optional PEP 249 extension)."""
        return None if self._rows is None else self._position

    @property
    def lastrowid(self) -> None:
        """Always None: Bitbucket objects have no row ids; use INSERT ... RETURNING id (or uuid)."""
        return None

    @property
    def stats(self) -> Any:
        """The engine's QueryStats of the last statement (requests, retries, timings), or None."""
        return None if self._result is None else self._result.stats

    # -- executing ---------------------------------------------------------------------

    def execute(self, operation: str, parameters: Sequence[Any] | None = None) -> Cursor:
        """Run one SQL statement with ``?`` placeholders bound to ``parameters`` (in order).

        Parameter values are always values, never SQL: ``'x" OR name ~ "'`` is a string.
        Returns the cursor so that ``cursor.execute(...).fetchall()`` works.
        """
        self._check_open()
        if not isinstance(operation, str):
            raise ProgrammingError(f"the statement must be a str, not {type(operation).__name__}")
        bound = _checked_parameters(parameters)
        self._reset()
        with translated_errors():
            result = self.connection._engine_for_cursor().execute(operation, bound, stream=True,
                                                                  whole_up_to=WHOLE_RESULT_ROWS)
        self.connection._note_write(result)
        self._accept(result)
        return self

    def executemany(self, operation: str, seq_of_parameters: Iterable[Sequence[Any]]) -> Cursor:
        """Run ``operation`` once per parameter sequence.

        Every statement the driver supports is a query, so the cursor keeps the rows of the
        last run (PEP 249 leaves result sets of ``executemany`` undefined); ``rowcount`` is the
        total number of rows over all runs.
        """
        self._check_open()
        engine = self.connection._engine_for_cursor()
        if isinstance(operation, str) and getattr(engine, "is_write", None) is not None and engine.is_write(operation):
            # INSERT/UPDATE/DELETE: every parameter set is checked first, then all rows are sent as one
            # concurrent batch (within MaxConcurrency); rowcount is the rows changed in total
            batch = [_checked_parameters(parameters) or [] for parameters in seq_of_parameters]
            self._reset()
            with translated_errors():
                result = engine.execute_many(operation, batch)
            self.connection._note_write(result)
            self._accept(result)
            return self
        total = 0
        ran = False
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)
            total += max(self.rowcount, 0)
            ran = True
        if ran:
            self._rowcount = total
        return self

    def callproc(self, procname: str, parameters: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        """Run a procedure (a Bitbucket action such as ``merge_pull_request``), PEP 249 style.

        ``parameters`` are positional, in the order of ``sys_procedureparameters``, or a mapping
        of parameter names to values. It runs ``CALL procname(?, ...)`` (values are bound, never
        SQL); the API's answer is the cursor's result set (one row). Returns the parameters
        unchanged: procedures have no output parameters.
        """
        self._check_open()
        if not isinstance(procname, str) or not _PROCEDURE_NAME.match(procname):
            raise ProgrammingError(
                f"procname must be a procedure name such as 'merge_pull_request' (optionally 'workspace.name'), "
                f"not {procname!r}; list them with SELECT ProcedureName FROM sys_procedures"
            )
        if isinstance(parameters, Mapping):
            for name in parameters:
                if not isinstance(name, str) or not _PARAMETER_NAME.match(name):
                    raise ProgrammingError(f"parameter names must be plain names such as 'pull_request_id', not {name!r}")
            placeholders = ", ".join(f"{name} => ?" for name in parameters)
            values: list[Any] = list(parameters.values())
        else:
            values = list(_checked_parameters(parameters) or [])
            placeholders = ", ".join("?" for _ in values)
        schema, _, name = procname.rpartition(".")
        target = f'"{schema}".{name}' if schema else name  # a workspace slug may hold '-'
        self.execute(f"CALL {target}({placeholders})", values)
        return parameters

    def _accept(self, result: Any) -> None:
        self._result = result
        columns = list(result.columns)
        affected = getattr(result, "affected_rows", None)
        # a write without RETURNING has no result set (fetching raises); rowcount = rows changed
        self._rows = None if affected is not None and not columns else list(result.rows)
        self._position = 0
        self._rowcount = affected if affected is not None else len(result.rows)
        if getattr(result, "stream", None) is not None:  # a large result: read as it is fetched
            self._rows = []
            self._rowcount = -1  # until it is read (or asked for)
            self._batches = result.stream.rows()
        self._description = (
            tuple((column.name, column.type, None, None, *_precision_and_scale(column.type), None)
                  for column in columns)
            if columns
            else None
        )  # fmt: skip

    # -- fetching ----------------------------------------------------------------------

    def _remaining_rows(self, wanted: int | None) -> int:
        """How many rows wait to be handed out: at least ``wanted`` while the result has more
        (None: all of them)."""
        self._check_open()
        if self._rows is None:
            raise ProgrammingError("no result set to fetch from: call execute() with a query first")
        self._read_ahead(wanted)
        return len(self._rows) - self._taken

    def _read_ahead(self, wanted: int | None) -> None:
        """Read batches of a large result until ``wanted`` rows wait (None: to the end)."""
        assert self._rows is not None
        while self._batches is not None and (wanted is None or len(self._rows) - self._taken < wanted):
            with translated_errors():
                batch = next(self._batches, None)
            if batch is None:
                self._batches = None
                self._rowcount = self._position + len(self._rows) - self._taken
                return
            del self._rows[: self._taken]  # rows handed out are not kept: memory stays flat
            self._taken = 0
            self._rows.extend(batch)

    def _hand_out(self, count: int) -> list[tuple[Any, ...]]:
        assert self._rows is not None
        batch = self._rows[self._taken : self._taken + count]
        self._taken += len(batch)
        self._position += len(batch)
        return batch

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._hand_out(1)[0] if self._remaining_rows(1) else None

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        count = self.arraysize if size is None else size
        if count < 0:
            self._check_open()
            raise ProgrammingError(f"fetchmany size must be zero or more, not {count}")
        self._remaining_rows(count)
        return self._hand_out(count)

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._hand_out(self._remaining_rows(None))

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    # -- the rest of PEP 249 -----------------------------------------------------------

    def setinputsizes(self, sizes: Any) -> None:
        """Accepted and ignored (PEP 249 allows it): parameters need no pre-declared sizes."""
        self._check_open()

    def setoutputsize(self, size: Any, column: int | None = None) -> None:
        """Accepted and ignored (PEP 249 allows it): every value is fetched whole."""
        self._check_open()

    def close(self) -> None:
        """Release the rows; later use raises InterfaceError. Closing twice is harmless."""
        self._closed = True
        self._reset()

    def __enter__(self) -> Cursor:
        self._check_open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"rowcount={self._rowcount}"
        return f"<bitbucket_sql.dbapi.Cursor {state}>"
