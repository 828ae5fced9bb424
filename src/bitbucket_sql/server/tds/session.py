"""One login's SQL: T-SQL batches and RPC calls in, result sets and messages out.

Where a statement goes:

- ``SET`` options, transactions (``BEGIN TRAN``/``COMMIT``/``ROLLBACK``): answered from the
  session's own state (the engine is stateless; transactions have nothing to commit);
- ``USE db``: the virtual database changes, when the user has rights on it;
- ``EXEC sp_tables``/``sp_columns``/... and queries over ``sys.*``/``INFORMATION_SCHEMA`` or
  no table at all: answered by :mod:`.metadata`, locally, with zero Bitbucket requests;
- every other query: translated to DuckDB's dialect and run by the engine, exactly as the
  DB-API runs it, so the same pushdown applies; writes go to the engine for read-write users.

A failure is a :class:`~.results.TdsError` with SQL Server's error number, severity and the engine's
readable message. The procedures (``sp_executesql``, ``sp_prepare``...) are in :mod:`.procedures`.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable, Sequence
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from bitbucket_sql.engine import Engine

from .. import session as pg_session
from . import rpc, tsql
from .cursors import ServerCursors
from .datatypes import column_type, fit_to_values
from .metadata import Metadata
from .procedures import SystemProcedures
from .results import (
    Cancelled,
    DatabaseChanged,
    DatabaseOpener,
    Event,
    Result,
    ReturnValue,
    TdsError,
    _Stop,
    display_names,
    local_error_for,
    tds_error_for,
)
from .tsql import Context, SetOption, TsqlError

__all__ = ["Cancelled", "DatabaseChanged", "Event", "Result", "ReturnValue", "TdsError", "TdsSession"]


#: rows a query answered locally may return (the same bound as the PostgreSQL listener's)
LOCAL_ROWS_LIMIT = pg_session.LOCAL_ROWS_LIMIT


class TdsSession(SystemProcedures, ServerCursors):
    """The SQL side of one TDS connection (not thread-safe: one request at a time, as TDS has)."""

    def __init__(self, *, database: str, user: str, engine: Engine, close_engine: Callable[[], None],
                 can_write: bool, spid: int, open_database: DatabaseOpener | None = None,
                 known_databases: Sequence[str] = (), visible_databases: Sequence[str] = (),
                 max_prepared: int = 1000) -> None:
        self.database = database
        self.max_prepared = max_prepared
        #: the databases this user may connect to (sys.databases lists them)
        self.visible_databases = list(visible_databases)
        self.user = user
        self.engine = engine
        self._close_engine = close_engine
        self.can_write = can_write
        self.spid = spid
        self._open_database = open_database
        self.known_databases = set(known_databases) | {database}
        self.options: dict[str, str] = {}
        self.transaction_count = 0
        #: writes and procedure calls applied inside the open transaction (ROLLBACK cannot undo them)
        self.writes_in_transaction = 0
        self._prepared: dict[int, tuple[str, str]] = {}
        self._next_handle = 1
        self._cancel = threading.Event()
        self._metadata: Metadata | None = None

    # --- the contract -----------------------------------------------------------------------------
    @property
    def schema(self) -> str:
        return self.engine.default_schema or "dbo"

    def cancel(self) -> None:
        """Stop the running statement (attention): from another thread."""
        self._cancel.set()
        if self._metadata is not None:
            self._metadata.interrupt()

    def close(self) -> None:
        if self._metadata is not None:
            self._metadata.close()
        self._close_engine()

    def batch(self, text: str) -> list[Event]:
        """Every statement of a SQL batch, in order; the first error stops the batch."""
        self._cancel.clear()
        events: list[Event] = []
        try:
            variables: dict[str, Any] = {}  # DECLAREd in this batch
            for statement in tsql.split_batch(text):
                events.extend(self._statement(statement, variables))
        except TsqlError as error:
            raise self._error(TdsError(error.number, error.message, error.severity), events) from None
        except TdsError as error:
            raise self._error(error, events) from None
        return events

    def call(self, call: rpc.Call) -> tuple[list[Event], int]:
        """One RPC: its events and its return status."""
        self._cancel.clear()
        events: list[Event] = []
        try:
            events.extend(self._procedure(call))
        except TsqlError as error:
            raise self._error(TdsError(error.number, error.message, error.severity), events) from None
        except TdsError as error:
            raise self._error(error, events) from None
        return events, 0

    def _error(self, error: TdsError, events: list[Event]) -> TdsError:
        error.events = events + error.events
        return error

    # --- statements -------------------------------------------------------------------------------
    def _context(self) -> Context:
        return Context(self.database, self.user, self.schema, self.spid, self.transaction_count,
                       self.options.get("language", "us_english"), self.metadata().object_ids)

    def _statement(self, statement: SetOption | exp.Expression, params: dict[str, Any]) -> list[Event]:
        if self._cancel.is_set():
            raise Cancelled()
        if isinstance(statement, SetOption):
            self.options[statement.name] = statement.value
            return []
        if _makes_a_table(statement):
            raise TsqlError(40517, "Temporary and new tables (CREATE TABLE, SELECT ... INTO) are not supported: "
                                   "this server keeps no tables of its own, only Bitbucket's. Tableau creates "
                                   "#Tableau_ tables for long filter lists unless a .tdc file sets "
                                   "CAP_CREATE_TEMP_TABLES and CAP_SELECT_INTO to no (docs/server.md).")
        if isinstance(statement, exp.Use):
            return self._use(statement.this.name if statement.this else "")
        if isinstance(statement, exp.Transaction):
            self.transaction_count += 1
            return []
        if isinstance(statement, exp.Commit | exp.Rollback):
            notice = self.end_transaction(rollback=isinstance(statement, exp.Rollback))
            return [Result(messages=[notice])] if notice else []
        if isinstance(statement, exp.Execute):
            return self._execute_statement(statement, params)
        if isinstance(statement, exp.Declare | exp.Set | exp.IfBlock):
            return self._procedural(statement, params)
        if isinstance(statement, exp.Command):
            word = str(statement.this).upper()
            if word == "SET":
                return []  # a SET option this server does not know: answered, not failed
            if word == "CALL":
                return self._call_statement(str(statement.expression.name), params)
            if word == "PRINT":
                printed = sqlglot.parse_one(f"SELECT {statement.expression.name}", read="tsql")
                value = self._scalar(typing.cast(exp.Select, printed).expressions[0], None, params)
                return [Result(messages=["" if value is None else str(value)])]
            raise TsqlError(40517, f"{word} is not supported by this server (Bitbucket Cloud over TDS); "
                                   "see docs/server.md for the T-SQL it reads.")
        tree = tsql.bind(statement, params) if params or _has_parameters(statement) else statement
        tree = tsql.substitute_system(tree, self._context())
        if isinstance(tree, exp.Insert | exp.Update | exp.Delete | exp.Merge):
            return [self._write(tree)]
        if not isinstance(tree, exp.Query):
            raise TsqlError(40517, f"this statement is not supported here: {tree.key.upper()}; "
                                   "Bitbucket tables are read with SELECT.")
        target = tsql.resolve_tables(tree, self._context(), self.known_databases)
        if target == "engine":
            return [self._engine_query(tree)]
        return [self._local_query(tree, [table.name for table in tsql.table_references(tree)])]

    def _procedural(self, statement: exp.Expression, params: dict[str, Any]) -> list[Event]:
        """``DECLARE @x type [= value]``, ``SET @x = value`` and ``IF condition ... [ELSE ...]``: variables
        live for the batch (or the RPC), values are computed as ``SELECT value`` would compute them."""
        if isinstance(statement, exp.Declare):
            for item in statement.expressions:
                targets = item.this if isinstance(item.this, list) else [item.this]
                default = item.args.get("default")
                kind = item.args.get("kind")
                for target in targets:
                    name = tsql.parameter_name(target)
                    if name:
                        params[name] = (self._scalar(default, kind if isinstance(kind, exp.DataType) else None, params)
                                        if isinstance(default, exp.Expression) else None)
            return []
        if isinstance(statement, exp.Set):
            for item in statement.expressions:
                assignment = item.this
                name = tsql.parameter_name(assignment.this) if isinstance(assignment, exp.EQ) else None
                if name is None:
                    continue  # a SET option: answered, not failed
                if name not in params:
                    raise TsqlError(137, f'Must declare the scalar variable "@{name}".', severity=15)
                params[name] = self._scalar(assignment.expression, None, params)
            return []
        condition = exp.Case(ifs=[exp.If(this=statement.this, true=exp.Literal.number(1))],
                             default=exp.Literal.number(0))
        branch = statement.args.get("true") if self._scalar(condition, None, params) == 1 \
            else statement.args.get("false")
        events: list[Event] = []
        inner = branch.expressions if isinstance(branch, exp.Block) else [branch] if branch is not None else []
        for item in inner:
            events.extend(self._statement(item, params))
        return events

    def _scalar(self, expression: exp.Expression, kind: exp.DataType | None, params: dict[str, Any]) -> Any:
        """The value of one expression (a constant, a variable, a scalar subquery over any table)."""
        value = exp.Cast(this=expression.copy(), to=kind.copy()) if kind is not None else expression.copy()
        results = [event for event in self._statement(exp.select(value), params) if isinstance(event, Result)]
        rows = results[0].rows if results else []
        return rows[0][0] if rows else None

    def _use(self, name: str) -> list[Event]:
        if name.lower() == self.database.lower():
            return [DatabaseChanged(self.database, self.database)]
        if self._open_database is None:
            raise TdsError(911, f"Database '{name}' does not exist. Make sure that the name is entered correctly.")
        try:
            engine, closer, can_write = self._open_database(name)
        except LookupError:
            raise TdsError(911, f"Database '{name}' does not exist. Make sure that the name is entered "
                                "correctly.") from None
        except PermissionError:
            raise TdsError(916, f"The server principal \"{self.user}\" is not able to access the database "
                                f"\"{name}\" under the current security context.", severity=14) from None
        old = self.database
        self.close()
        self.engine, self._close_engine, self.can_write = engine, closer, can_write
        self.database = name
        self.known_databases.add(name)
        self._metadata = None
        self._prepared.clear()
        return [DatabaseChanged(name, old)]

    def _engine_query(self, tree: exp.Expression) -> Result:
        sql = tsql.to_duckdb(tree)
        try:
            pg_session.quiet_engine_warnings()
            result = self.engine.execute(sql, progress=self._progress)
        except _Stop:
            raise Cancelled() from None
        except Exception as error:  # noqa: BLE001 - every failure becomes a TdsError
            if self._cancel.is_set():
                raise Cancelled() from None
            raise tds_error_for(error) from None
        if self._cancel.is_set():
            raise Cancelled()
        names = display_names(tree, [column.name for column in result.columns])
        types = [column_type(column.type) for column in result.columns]
        rows = result.rows
        types = [fit_to_values(kind, [row[index] for row in rows]) for index, kind in enumerate(types)]
        return Result(names, types, rows, count=len(rows), requests=result.stats.requests,
                      messages=[str(message) for message in getattr(result, "warnings", None) or []])

    def _progress(self, _progress: Any) -> None:
        if self._cancel.is_set():
            raise _Stop()

    def metadata(self) -> Metadata:
        if self._metadata is None:
            from ..pg_catalog import catalog_tables

            self._metadata = Metadata(self.database, self.schema, catalog_tables(), self.user, self.visible_databases,
                                      self.spid)
        return self._metadata

    def _local_query(self, tree: exp.Expression, tables: list[str]) -> Result:
        sql = tsql.to_duckdb(tree)
        try:
            names, kinds, rows = self.metadata().run(sql, tables)
        except duckdb.InterruptException:
            raise Cancelled() from None
        except duckdb.Error as error:
            raise local_error_for(error) from None
        if len(rows) > LOCAL_ROWS_LIMIT:
            raise TdsError(50000, f"the result has more than {LOCAL_ROWS_LIMIT:,} rows; add TOP or a WHERE clause")
        types = [column_type(kind) for kind in kinds]
        types = [fit_to_values(kind, [row[index] for row in rows]) for index, kind in enumerate(types)]
        return Result(display_names(tree, names), types, rows, count=len(rows))

    def _write(self, tree: exp.Expression) -> Result:
        word = tree.key.upper()
        if not self.can_write:
            raise TdsError(229, f"The {word} permission was denied: user '{self.user}' has read-only access to "
                                f"database '{self.database}'. Ask the server's administrator for read-write rights.",
                           severity=14)
        tsql.resolve_tables(tree, self._context(), self.known_databases)
        try:
            pg_session.quiet_engine_warnings()
            result = self.engine.execute(tsql.to_duckdb(tree), progress=self._progress)
        except _Stop:
            raise Cancelled() from None
        except Exception as error:  # noqa: BLE001
            raise tds_error_for(error) from None
        self.wrote()
        affected = getattr(result, "affected_rows", None)
        return Result(count=len(result.rows) if affected is None else affected, requests=result.stats.requests)

    def wrote(self) -> None:
        """Count a write applied inside a transaction (Bitbucket applies it at once)."""
        if self.transaction_count:
            self.writes_in_transaction += 1

    def end_transaction(self, *, rollback: bool) -> str:
        """COMMIT or ROLLBACK (a statement or the transaction manager's request); for a ROLLBACK after
        writes, the message the PostgreSQL listener also gives: they were not undone."""
        writes, self.writes_in_transaction, self.transaction_count = self.writes_in_transaction, 0, 0
        if rollback and writes:
            return (f"ROLLBACK did not undo the {writes} write(s) of this transaction: Bitbucket has no "
                    "transactions, every write is applied when it runs (docs/writing.md)")
        return ""

    # --- procedures ---------------------------------------------------------------------------------

def _has_parameters(tree: exp.Expression) -> bool:
    return any(tsql.parameter_name(node) for node in tree.find_all(exp.Parameter))


def _makes_a_table(statement: exp.Expression) -> bool:
    """CREATE TABLE (#temporary or not) and SELECT ... INTO: what BI tools use for scratch tables."""
    if isinstance(statement, exp.Create) and str(statement.args.get("kind", "")).upper() == "TABLE":
        return True
    return isinstance(statement, exp.Select) and statement.args.get("into") is not None
