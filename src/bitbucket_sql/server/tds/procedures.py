"""The procedures a TDS client calls, by RPC or with EXEC: parameterised SQL (``sp_executesql``,
``sp_prepare``/``sp_execute``/``sp_prepexec``/``sp_unprepare``), statement descriptions
(``sp_describe_first_result_set``, ``sp_describe_undeclared_parameters``), the catalog procedures
ODBC and BI tools use (answered by :mod:`.metadata`) and Bitbucket's actions (the engine's ``CALL``).

A mixin of :class:`~.session.TdsSession`: procedures run in the session's state (its prepared
handles, rights and engine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from .. import session as pg_session
from ..translate import literal
from . import rpc, tsql
from .datatypes import ColumnType, column_type, fit_to_values
from .metadata import ProcResult
from .results import Cancelled, Event, Result, ReturnValue, TdsError, _Stop, display_names, tds_error_for
from .tsql import SetOption, TsqlError

if TYPE_CHECKING:
    from bitbucket_sql.engine import Engine

    from .metadata import Metadata
    from .tsql import Context


class SystemProcedures:
    """``_procedure(call)`` and the handlers it dispatches to (``_proc_<name>``)."""

    if TYPE_CHECKING:  # what the session provides
        engine: Engine
        user: str
        database: str
        can_write: bool
        max_prepared: int
        options: dict[str, str]
        transaction_count: int
        known_databases: set[str]
        _prepared: dict[int, tuple[str, str]]
        _next_handle: int

        def _statement(self, statement: SetOption | exp.Expression, params: dict[str, Any]) -> list[Event]: ...
        def _context(self) -> Context: ...
        def metadata(self) -> Metadata: ...
        def _progress(self, progress: Any) -> None: ...
        def _local_query(self, tree: exp.Expression, tables: list[str]) -> Result: ...
        def wrote(self) -> None: ...
        def end_transaction(self, *, rollback: bool) -> str: ...

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

    def _call_statement(self, text: str, params: dict[str, Any]) -> list[Event]:
        """``CALL name(args)`` in a batch, as the PostgreSQL listener and the DB-API take it: the same
        procedures as EXEC (``[workspace.]name``, positional then ``name => value`` arguments)."""
        usage = "write CALL name(argument, ..., name => value) as docs/procedures.md shows, or EXEC name ..."
        try:
            tree = sqlglot.parse_one(f"SELECT {text}", read="tsql")
        except sqlglot.errors.ParseError:
            raise TsqlError(102, f"Incorrect syntax near 'CALL': {usage}") from None
        node = tree.expressions[0] if isinstance(tree, exp.Select) and len(tree.expressions) == 1 else None
        schema = ""
        if isinstance(node, exp.Dot):
            schema, node = node.this.name, node.expression
        if not isinstance(node, exp.Anonymous):
            raise TsqlError(102, f"Incorrect syntax near 'CALL': {usage}")
        call = rpc.Call(str(node.name).lower(), schema="" if schema.lower() == "dbo" else schema)
        context = self._context()
        for argument in node.expressions:
            name, value_node = "", argument
            if isinstance(argument, exp.Kwarg | exp.PropertyEQ):
                name, value_node = "@" + argument.this.name, argument.expression
            value_node = tsql.substitute_system(tsql.bind(value_node.copy(), params), context)
            call.params.append(rpc.Param(name, _constant(value_node), rpc.ParamType(0)))
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
        name = f"{exp.to_identifier(call.schema).sql(dialect='duckdb')}.{call.procedure}" if call.schema \
            else call.procedure
        sql = f"CALL {name}({', '.join(arguments)})"
        try:
            pg_session.quiet_engine_warnings()
            result = self.engine.execute(sql, progress=self._progress)
        except _Stop:
            raise Cancelled() from None
        except Exception as error:  # noqa: BLE001 - every failure becomes a TdsError
            raise tds_error_for(error) from None
        self.wrote()
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
                names = display_names(tree, [column.name for column in columns])
                kinds = [column_type(column.type) for column in columns]
            else:
                described = exp.Subquery(this=tree, alias=exp.TableAlias(this=exp.to_identifier("described")))
                limited = exp.select("*").from_(described).limit(0)
                local = self._local_query(limited, [table.name for table in tsql.table_references(tree)])
                names, kinds = display_names(tree, local.names or []), local.types or []
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
        self.end_transaction(rollback=False)
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
