"""One login's SQL: T-SQL batches and RPC calls in, result sets and messages out.

Where a statement goes:

- ``SET`` options, transactions (``BEGIN TRAN``/``COMMIT``/``ROLLBACK``): answered from the
  session's own state (the engine is stateless; transactions have nothing to commit);
- ``USE db``: the virtual database changes, when the user has rights on it;
- ``EXEC sp_tables``/``sp_columns``/... and queries over ``sys.*``/``INFORMATION_SCHEMA`` or
  no table at all: answered by :mod:`.metadata`, locally, with zero Bitbucket requests;
- every other query: translated to DuckDB's dialect and run by the engine, exactly as the
  DB-API runs it, so the same pushdown applies; writes go to the engine for read-write users.

A failure is a :class:`TdsError` with SQL Server's error number, severity and the engine's readable message.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from bitbucket_sql.engine import Engine

from .. import session as pg_session
from ..translate import literal
from . import rpc, tsql
from .datatypes import ColumnType, column_type, fit_to_values
from .metadata import Metadata, ProcResult
from .tsql import Context, SetOption, TsqlError

#: rows a query answered locally may return (the same bound as the PostgreSQL listener's)
LOCAL_ROWS_LIMIT = pg_session.LOCAL_ROWS_LIMIT


class TdsError(Exception):
    """What the client sees as an ERROR token (and, before it, the results that were ready)."""

    def __init__(self, number: int, message: str, severity: int = 16, state: int = 1) -> None:
        super().__init__(message)
        self.number = number
        self.message = message
        self.severity = severity
        self.state = state
        self.events: list[Event] = []


class Cancelled(TdsError):
    def __init__(self) -> None:
        super().__init__(3617, "The query was cancelled by the client (attention).", severity=11)


@dataclass
class Result:
    """One statement's answer: a result set (``names``/``types``/``rows``) or a row count."""

    names: list[str] | None = None
    types: list[ColumnType] | None = None
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    count: int | None = None
    requests: int = 0
    messages: list[str] = field(default_factory=list)


@dataclass
class DatabaseChanged:
    new: str
    old: str


@dataclass
class ReturnValue:
    ordinal: int
    name: str
    value: Any


Event = Result | DatabaseChanged | ReturnValue
#: USE: (database name) -> (engine, closer, can_write); PermissionError/LookupError when refused
DatabaseOpener = Callable[[str], tuple[Engine, Callable[[], None], bool]]


_SQLSTATE_NUMBERS = {"42601": 102, "42P01": 208, "42703": 207, "42883": 195, "42501": 229, "57014": 3617,
                     "0A000": 40517, "22P02": 245, "22003": 220, "22012": 8134, "54000": 50000, "42P02": 137}


class _Stop(Exception):
    pass


class TdsSession:
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
        if isinstance(statement, exp.Use):
            return self._use(statement.this.name if statement.this else "")
        if isinstance(statement, exp.Transaction):
            self.transaction_count += 1
            return []
        if isinstance(statement, exp.Commit | exp.Rollback):
            self.transaction_count = 0
            return []
        if isinstance(statement, exp.Execute):
            return self._execute_statement(statement, params)
        if isinstance(statement, exp.Declare | exp.Set | exp.IfBlock):
            return self._procedural(statement, params)
        if isinstance(statement, exp.Command):
            word = str(statement.this).upper()
            if word == "SET":
                return []  # a SET option this server does not know: answered, not failed
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
        names = _display_names(tree, [column.name for column in result.columns])
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
        return Result(_display_names(tree, names), types, rows, count=len(rows))

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
        affected = getattr(result, "affected_rows", None)
        return Result(count=len(result.rows) if affected is None else affected, requests=result.stats.requests)

    # --- procedures ---------------------------------------------------------------------------------
    def _execute_statement(self, statement: exp.Execute, params: dict[str, Any]) -> list[Event]:
        """``EXEC name arg, @name = arg...`` in a batch: the same procedures as RPC."""
        name = statement.this.name.lower() if statement.this is not None else ""
        call = rpc.Call(name)
        context = self._context()
        for argument in statement.expressions:
            param_name = ""
            value_node = argument
            if isinstance(argument, exp.EQ) and tsql.parameter_name(argument.this):
                param_name = "@" + (tsql.parameter_name(argument.this) or "")
                value_node = argument.expression
            value_node = tsql.substitute_system(tsql.bind(value_node.copy(), params), context)
            call.params.append(rpc.Param(param_name, _constant(value_node), rpc.ParamType(0)))
        return self._procedure(call)

    def _procedure(self, call: rpc.Call) -> list[Event]:
        name = call.procedure
        handler = getattr(self, f"_proc_{name}", None)
        if handler is not None:
            return list(handler(call))
        catalog = self._catalog_procedure(call)
        if catalog is not None:
            return [Result(catalog.names, catalog.types, catalog.rows, count=len(catalog.rows))]
        if name in _engine_procedures():
            return [self._engine_procedure(call)]
        raise TdsError(2812, f"Could not find stored procedure '{call.procedure}'. This server answers "
                             "sp_executesql, sp_prepare/sp_execute/sp_prepexec/sp_unprepare, the catalog "
                             "procedures (sp_tables, sp_columns, sp_pkeys, sp_server_info, sp_datatype_info) "
                             "and Bitbucket's actions (docs/procedures.md).")

    def _engine_procedure(self, call: rpc.Call) -> Result:
        """A Bitbucket action (``EXEC approve_pull_request @repository = 'api', ...``) as the engine's CALL."""
        if not self.can_write:
            raise TdsError(229, f"The EXECUTE permission was denied on '{call.procedure}': user '{self.user}' has "
                                f"read-only access to database '{self.database}'.", severity=14)
        arguments = []
        for param in call.params:
            value = literal(param.value).sql(dialect="duckdb")
            arguments.append(f"{param.name.lstrip('@')} => {value}" if param.name else value)
        sql = f"CALL {call.procedure}({', '.join(arguments)})"
        try:
            pg_session.quiet_engine_warnings()
            result = self.engine.execute(sql, progress=self._progress)
        except _Stop:
            raise Cancelled() from None
        except Exception as error:  # noqa: BLE001 - every failure becomes a TdsError
            raise tds_error_for(error) from None
        types = [column_type(column.type) for column in result.columns]
        rows = result.rows
        types = [fit_to_values(kind, [row[index] for row in rows]) for index, kind in enumerate(types)]
        return Result([column.name for column in result.columns], types, rows, count=len(rows),
                      requests=result.stats.requests)

    def _catalog_procedure(self, call: rpc.Call) -> ProcResult | None:
        meta = self.metadata()
        arg = call.positional
        name = call.procedure
        if name == "sp_tables":
            return meta.sp_tables(arg(0, "table_name"), arg(1, "table_owner"), arg(2, "table_qualifier"),
                                  arg(3, "table_type"))
        if name == "sp_columns":
            return meta.sp_columns(arg(0, "table_name"), arg(1, "table_owner"), arg(2, "table_qualifier"),
                                   arg(3, "column_name"), arg(4, "odbcver", 2))
        if name in ("sp_pkeys", "sp_primary_keys_rowset"):
            return meta.sp_pkeys(arg(0, "table_name"), arg(1, "table_owner"), arg(2, "table_qualifier"))
        if name == "sp_server_info":
            return meta.sp_server_info(arg(0, "attribute_id"))
        if name in ("sp_datatype_info", "sp_datatype_info_90", "sp_datatype_info_100"):
            return meta.sp_datatype_info(arg(0, "data_type"))
        if name in ("sp_fkeys", "sp_foreignkeys"):
            return meta.empty(["PKTABLE_QUALIFIER", "PKTABLE_OWNER", "PKTABLE_NAME", "PKCOLUMN_NAME",
                               "FKTABLE_QUALIFIER", "FKTABLE_OWNER", "FKTABLE_NAME", "FKCOLUMN_NAME", "KEY_SEQ",
                               "UPDATE_RULE", "DELETE_RULE", "FK_NAME", "PK_NAME", "DEFERRABILITY"])
        if name == "sp_statistics":
            return meta.sp_statistics(arg(0, "table_name"), arg(1, "table_owner"), arg(2, "table_qualifier"))
        if name == "sp_special_columns":
            return meta.sp_special_columns(arg(0, "table_name"), arg(1, "table_owner"), arg(2, "table_qualifier"),
                                           arg(3, "col_type", "R"))
        if name in ("sp_stored_procedures", "sp_sproc_columns"):
            return meta.empty(["PROCEDURE_QUALIFIER", "PROCEDURE_OWNER", "PROCEDURE_NAME", "NUM_INPUT_PARAMS",
                               "NUM_OUTPUT_PARAMS", "NUM_RESULT_SETS", "REMARKS", "PROCEDURE_TYPE"])
        return None

    def _run_text(self, text: str, declaration: str, values: list[rpc.Param]) -> list[Event]:
        """A parameterised statement (sp_executesql, sp_execute): named values, else by declared position."""
        names = tsql.declared_names(declaration)
        bound: dict[str, Any] = {}
        for index, param in enumerate(values):
            key = param.name.lstrip("@").lower() if param.name else (names[index] if index < len(names) else "")
            if not key:
                raise TdsError(8144, "Procedure or function has too many arguments specified.")
            bound[key] = param.value
        events: list[Event] = []
        for statement in tsql.split_batch(text):
            events.extend(self._statement(statement, bound))
        return events

    def _proc_sp_executesql(self, call: rpc.Call) -> list[Event]:
        stmt = call.positional(0, "stmt", None, "statement")
        if not isinstance(stmt, str):
            raise TdsError(214, "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.")
        rest = [param for param in call.params[1:] if param.name.lower() not in ("@stmt", "@statement")]
        declaration = ""
        if rest and (rest[0].name.lower() == "@params" or not rest[0].name):
            declaration = str(rest[0].value or "")
            rest = rest[1:]
        return self._run_text(stmt, declaration, rest)

    def _proc_sp_prepare(self, call: rpc.Call) -> list[Event]:
        declaration = str(call.positional(1, "params") or "")
        stmt = call.positional(2, "stmt")
        if not isinstance(stmt, str):
            raise TdsError(214, "Procedure expects parameter '@stmt' of type 'ntext/nchar/nvarchar'.")
        tsql.split_batch(stmt)  # syntax errors now, as SQL Server reports them at prepare
        handle = self._store(stmt, declaration)
        return [ReturnValue(0, call.params[0].name if call.params else "@handle", handle)]

    def _store(self, stmt: str, declaration: str) -> int:
        if len(self._prepared) >= self.max_prepared:
            raise TdsError(8645, f"Too many prepared statements on this connection ({self.max_prepared:,}, the "
                                 "server's max_prepared_statements); sp_unprepare some.")
        handle = self._next_handle
        self._next_handle += 1
        self._prepared[handle] = (stmt, declaration)
        return handle

    def _proc_sp_execute(self, call: rpc.Call) -> list[Event]:
        handle = call.params[0].value if call.params else None
        if handle not in self._prepared:
            raise TdsError(8179, f"Could not find prepared statement with handle {handle}.")
        stmt, declaration = self._prepared[handle]
        return self._run_text(stmt, declaration, call.params[1:])

    def _proc_sp_prepexec(self, call: rpc.Call) -> list[Event]:
        if len(call.params) < 3 or not isinstance(call.params[2].value, str):
            raise TdsError(214, "sp_prepexec expects @handle OUTPUT, @params and @stmt.")
        declaration = str(call.params[1].value or "")
        stmt = call.params[2].value
        handle = self._store(stmt, declaration)
        events = self._run_text(stmt, declaration, call.params[3:])
        return [ReturnValue(0, call.params[0].name or "@handle", handle), *events]

    def _proc_sp_unprepare(self, call: rpc.Call) -> list[Event]:
        if call.params:
            self._prepared.pop(call.params[0].value, None)
        return []

    def _proc_sp_describe_first_result_set(self, call: rpc.Call) -> list[Event]:
        """The columns a statement would return, without running it (SSIS, Microsoft's ODBC/OLE DB drivers)."""
        text = call.positional(0, "tsql")
        if not isinstance(text, str):
            raise TdsError(214, "Procedure expects parameter '@tsql' of type 'ntext/nchar/nvarchar'.")
        statements = [item for item in tsql.split_batch(text) if isinstance(item, exp.Query)]
        names: list[str] = []
        kinds: list[ColumnType] = []
        if statements:
            tree = tsql.substitute_system(statements[0], self._context())
            tree = tree.transform(lambda node: exp.Null() if tsql.parameter_name(node) else node)
            target = tsql.resolve_tables(tree, self._context(), self.known_databases)
            if target == "engine":
                try:
                    columns = self.engine.describe(tsql.to_duckdb(tree))
                except Exception as error:  # noqa: BLE001
                    raise tds_error_for(error) from None
                names = _display_names(tree, [column.name for column in columns])
                kinds = [column_type(column.type) for column in columns]
            else:
                described = exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("described")))
                limited = exp.select("*").from_(described).limit(0)
                local = self._local_query(limited, [table.name for table in tsql.table_references(tree)])
                names, kinds = _display_names(tree, local.names or []), local.types or []
        from .metadata import type_facts

        rows = []
        for ordinal, (name, kind) in enumerate(zip(names, kinds, strict=True), start=1):
            facts = type_facts(kind)
            rows.append((False, ordinal, name or None, True, facts.system_type_id, kind.sql_name, facts.max_length,
                         facts.precision, facts.scale,
                         "Latin1_General_CI_AS" if kind.kind == "nvarchar" else None, facts.system_type_id))
        text_type = ColumnType("nvarchar", max_chars=256)
        result_types = [ColumnType("bit"), ColumnType("int"), ColumnType("nvarchar", max_chars=128), ColumnType("bit"),
                        ColumnType("int"), text_type, ColumnType("smallint"), ColumnType("tinyint"),
                        ColumnType("tinyint"), ColumnType("nvarchar", max_chars=128), ColumnType("int")]
        return [Result(["is_hidden", "column_ordinal", "name", "is_nullable", "system_type_id", "system_type_name",
                        "max_length", "precision", "scale", "collation_name", "user_type_id"],
                       result_types, rows, count=len(rows))]

    def _proc_sp_describe_undeclared_parameters(self, call: rpc.Call) -> list[Event]:
        """The parameters of a statement and the types they compare with (Microsoft's ODBC SQLDescribeParam)."""
        text = call.positional(0, "tsql")
        if not isinstance(text, str):
            raise TdsError(214, "Procedure expects parameter '@tsql' of type 'ntext/nchar/nvarchar'.")
        declared = set(tsql.declared_names(str(call.positional(1, "params") or "")))
        from .metadata import catalog_column_type, type_facts

        columns: dict[str, str] = {}
        found: list[tuple[str, ColumnType]] = []
        for statement in tsql.split_batch(text):
            if isinstance(statement, SetOption):
                continue
            for table in tsql.table_references(statement):
                definition = next((item for item in self.metadata().tables if item.name == table.name.lower()), None)
                if definition is not None:
                    columns.update({column.name: column.type for column in definition.columns})
            for node in statement.find_all(exp.Parameter, bfs=False):  # in the order they are written
                name = tsql.parameter_name(node)
                if not name or name in declared or name in (seen[0] for seen in found):
                    continue
                beside = _compared_column(node)
                kind = catalog_column_type(columns[beside]) if beside in columns else ColumnType("nvarchar")
                found.append((name, ColumnType("nvarchar") if kind.kind == "nvarchar" else kind))
        rows = []
        for ordinal, (name, kind) in enumerate(found, start=1):
            facts = type_facts(kind)
            rows.append((ordinal, f"@{name}", facts.system_type_id, kind.sql_name, facts.max_length, facts.precision,
                         facts.scale, facts.system_type_id, True, False, f"@{name}"))
        return [Result(["parameter_ordinal", "name", "suggested_system_type_id", "suggested_system_type_name",
                        "suggested_max_length", "suggested_precision", "suggested_scale", "suggested_user_type_id",
                        "suggested_is_input", "suggested_is_output", "formal_parameter_name"],
                       [ColumnType("int"), ColumnType("nvarchar", max_chars=128), ColumnType("int"),
                        ColumnType("nvarchar", max_chars=256), ColumnType("smallint"), ColumnType("tinyint"),
                        ColumnType("tinyint"), ColumnType("int"), ColumnType("bit"), ColumnType("bit"),
                        ColumnType("nvarchar", max_chars=128)], rows, count=len(rows))]

    def _proc_sp_reset_connection(self, _call: rpc.Call) -> list[Event]:
        self.options.clear()
        self.transaction_count = 0
        return []


def _compared_column(node: exp.Expression) -> str | None:
    """The column a parameter is compared with (``size > @min``, ``@min < size``, ``x IN (@a, @b)``)."""
    parent = node.parent
    if isinstance(parent, exp.In) and isinstance(parent.this, exp.Column):
        return parent.this.name.lower()
    if isinstance(parent, exp.Binary):
        other = parent.expression if parent.this is node else parent.this
        if isinstance(other, exp.Column):
            return other.name.lower()
    return None


def _engine_procedures() -> set[str]:
    from bitbucket_sql.catalog.procedures import PROCEDURES

    return {procedure.name for procedure in PROCEDURES}


def _has_parameters(tree: exp.Expression) -> bool:
    return any(tsql.parameter_name(node) for node in tree.find_all(exp.Parameter))


def _constant(node: exp.Expression) -> Any:
    """The Python value of a procedure argument written as a literal (``N'x'``, ``5``, ``NULL``)."""
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        try:
            return int(text)
        except ValueError:
            return float(text)
    if isinstance(node, exp.National):
        return node.this
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return -_constant(node.this)
    if isinstance(node, exp.Column | exp.Identifier | exp.Var):
        return node.name
    if isinstance(node, exp.Boolean):
        return node.this
    raise TsqlError(102, f"Incorrect syntax near '{node.sql(dialect='tsql')}': procedure arguments are literals.")


def _display_names(tree: exp.Expression, names: list[str]) -> list[str]:
    """SQL Server's column names: an unnamed expression (``SELECT 1``, ``SELECT COUNT(*)``) has none."""
    if not isinstance(tree, exp.Select) or len(tree.expressions) != len(names):
        return names
    return [
        name if isinstance(expression, exp.Alias | exp.Column | exp.Star) else ""
        for name, expression in zip(names, tree.expressions, strict=True)
    ]


def tds_error_for(error: BaseException) -> TdsError:
    """The engine's failure as SQL Server reports its kind (the message stays the engine's)."""
    pg = pg_session.pg_error_for(error)
    message = pg.message + (f" {pg.hint}" if pg.hint else "")
    number = _SQLSTATE_NUMBERS.get(pg.sqlstate, 50000)
    if pg.sqlstate.startswith("22") and number == 50000:
        number = 245
    return TdsError(number, message, severity=14 if number == 229 else 16)


def local_error_for(error: duckdb.Error) -> TdsError:
    text = str(error).splitlines()[0]
    if isinstance(error, duckdb.CatalogException) and "Function with name" in text:
        return TdsError(195, f"Not a recognized built-in function name here: {text}")
    if isinstance(error, duckdb.CatalogException) and "does not exist" in text:
        return TdsError(208, f"Invalid object name: {text.split(':', 1)[-1].strip()} (docs/server.md lists the "
                             "sys and INFORMATION_SCHEMA views this server answers)")
    if isinstance(error, duckdb.BinderException):
        return TdsError(207, f"Invalid column name or expression: {text}")
    if isinstance(error, duckdb.ParserException):
        return TdsError(102, f"Incorrect syntax: {text}")
    if isinstance(error, duckdb.ConversionException):
        return TdsError(245, f"Conversion failed: {text}")
    return TdsError(50000, text)
