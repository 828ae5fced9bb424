"""One client connection's SQL: PostgreSQL statements in, rows and command tags out.

The protocol layer (server/connection.py) hands each statement here; this module decides
where it goes:

- session commands (SET, SHOW, RESET, BEGIN/COMMIT/ROLLBACK, SAVEPOINT, DISCARD, DEALLOCATE,
  LISTEN...) are answered from the session's own state: the engine is read-only and
  stateless, so transactions are accepted and have nothing to commit;
- statements over ``pg_catalog``/``information_schema`` only (or no relation at all) run in
  the session's local catalog database (:mod:`.pg_catalog`): zero API requests;
- every other query is translated to DuckDB's dialect (:mod:`.translate`) and run by the
  engine, exactly as the DB-API would run it, so the same pushdown applies;
- ``COPY (query) TO STDOUT`` runs the query and hands the rows to the protocol layer as COPY
  data; writes get 42501 (read-only user) or go to the engine (INSERT/UPDATE/DELETE, docs/writing.md),
  as do ``CALL procedure(...)`` actions (docs/procedures.md; command tag ``CALL``).

Every failure a client should see is a :class:`PgError` with PostgreSQL's SQLSTATE, the
engine's readable message and, where it has one, its hint.
"""

from __future__ import annotations

import datetime
import decimal
import json
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from bitbucket_sql.api import errors as api_errors
from bitbucket_sql.engine import Engine, QueryResult
from bitbucket_sql.engine import errors as engine_errors
from bitbucket_sql.engine import procedures as engine_procedures
from bitbucket_sql.engine.naming import postgres_name
from bitbucket_sql.engine.writes import errors as write_errors

from . import call_text, pgtypes, translate, write_types
from .pg_catalog import (
    PG_TABLES,
    READ_ONLY_SETTINGS,
    SERVER_VERSION,
    SERVER_VERSION_NUM,
    PgCatalog,
    SessionState,
    catalog_tables,
    columns_of,
    result_type,
)
from .pgtypes import PgType, pg_type_for
from .streamed import STREAM_ABOVE_ROWS, StreamedRows


class PgError(Exception):
    """A failure the client sees as an ErrorResponse (SQLSTATE, message, optional hint/detail)."""

    def __init__(self, sqlstate: str, message: str, hint: str | None = None, detail: str | None = None,
                 severity: str = "ERROR") -> None:
        super().__init__(message)
        #: results of the statements of the same simple Query that ran before this one (sent first)
        self.results: list[StatementResult] = []
        self.sqlstate = sqlstate
        self.message = message
        self.hint = hint
        self.detail = detail
        self.severity = severity


@dataclass
class Field:
    """One column of RowDescription."""

    name: str
    type: PgType
    table_oid: int = 0
    column_number: int = 0
    type_modifier: int = -1


@dataclass
class StatementResult:
    """The answer to one statement (see /work/notes/server-interface.md)."""

    fields: list[Field] | None
    rows: list[tuple[Any, ...]]
    command_tag: str
    notices: list[str] = field(default_factory=list)
    copy_out: str | None = None
    #: Bitbucket API requests the statement made (for the access log)
    requests: int = 0
    #: a large result's rows, read batch by batch while they are sent (then ``rows`` is empty)
    stream: StreamedRows | None = None


@dataclass
class Prepared:
    param_types: list[PgType]
    fields: list[Field] | None


class _Cancelled(Exception):
    """Raised inside the engine's progress callback to stop fetching."""


#: settings every session starts with (also reported as ParameterStatus where PostgreSQL does)
_DEFAULT_SETTINGS: dict[str, str] = {
    "server_version": SERVER_VERSION,
    "server_version_num": SERVER_VERSION_NUM,
    "server_encoding": "UTF8",
    "client_encoding": "UTF8",
    "datestyle": "ISO, MDY",
    "intervalstyle": "postgres",
    "timezone": "UTC",
    "integer_datetimes": "on",
    "standard_conforming_strings": "on",
    "is_superuser": "off",
    "application_name": "",
    "default_transaction_isolation": "read committed",
    "transaction_isolation": "read committed",
    "default_transaction_read_only": "off",
    "transaction_read_only": "off",
    "extra_float_digits": "1",
    "client_min_messages": "notice",
    "max_identifier_length": "63",
    "lc_collate": "C.UTF-8",
    "lc_ctype": "C.UTF-8",
    "lc_messages": "C.UTF-8",
    "lc_monetary": "C.UTF-8",
    "lc_numeric": "C.UTF-8",
    "lc_time": "C.UTF-8",
    "statement_timeout": "0",
    "lock_timeout": "0",
    "idle_in_transaction_session_timeout": "0",
    "bytea_output": "hex",
    "default_table_access_method": "heap",
}
#: PostgreSQL's spelling of settings in SHOW's column name and ParameterStatus
_DISPLAY_NAMES = {"datestyle": "DateStyle", "intervalstyle": "IntervalStyle", "timezone": "TimeZone"}
_STATUS_SETTINGS = ("server_version", "server_encoding", "client_encoding", "datestyle", "intervalstyle",
                    "timezone", "integer_datetimes", "standard_conforming_strings", "is_superuser",
                    "application_name", "default_transaction_read_only")
_READ_ONLY_SETTINGS = READ_ONLY_SETTINGS

_WRITE_WORDS = {"INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER", "TRUNCATE",
                "GRANT", "REVOKE", "COMMENT", "VACUUM", "REINDEX", "CLUSTER", "REFRESH", "SECURITY", "IMPORT",
                "LOCK"}
#: writes that reach the engine for read-write users
_DML_WORDS = {"INSERT", "UPDATE", "DELETE", "MERGE"}
_UNSUPPORTED_WORDS = {"DO", "PREPARE", "EXECUTE", "DECLARE", "FETCH", "MOVE", "LOAD", "CHECKPOINT",
                      "ANALYZE", "REASSIGN", "CREATEDB"}
_QUERY_WORDS = {"SELECT", "WITH", "VALUES", "TABLE", "(", "EXPLAIN"}
_COPY = re.compile(r"^\s*COPY\s+(?P<source>\(.*\)|[\w.\"]+(?:\s*\([^)]*\))?)\s+TO\s+STDOUT\b(?P<options>.*)$",
                   re.IGNORECASE | re.DOTALL)
#: rows a statement answered by the session's local database may return (a server shares its memory)
LOCAL_ROWS_LIMIT = 1_000_000
_BUILTIN_SCHEMAS = ("public", "pg_catalog", "information_schema")
_SHOW_ALL_FIELDS = [Field("name", pgtypes.TEXT), Field("setting", pgtypes.TEXT), Field("description", pgtypes.TEXT)]
#: parsed statements a session keeps (prepared statements are parsed at Parse and at Execute)
_PARSED_KEPT = 64
_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+(?=[A-Z(`])")


class _DescribeCache:
    """Result columns of engine queries by (default workspace, engine SQL), shared by all sessions.

    A Parse of an engine query asks the engine to describe it, which builds and binds a local
    database (~40 ms of CPU); drivers prepare every query (asyncpg) and BI tools send the same
    ones from every connection. The answer depends only on the SQL, the default workspace and
    the table definitions (no API request, no connection setting), so it is kept process-wide.
    Failures are not kept: the engine raises them again.
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str | None, str], list[tuple[str, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str | None, str]) -> list[tuple[str, str]] | None:
        with self._lock:
            columns = self._entries.get(key)
            if columns is not None:
                self._entries.move_to_end(key)
            return columns

    def put(self, key: tuple[str | None, str], columns: list[tuple[str, str]]) -> None:
        with self._lock:
            self._entries[key] = columns
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)


_DESCRIBED = _DescribeCache(capacity=1024)


class SqlSession:
    """One client connection's SQL state (search_path, settings, transaction status)."""

    def __init__(self, database: str, user: str, engine: Engine, can_write: bool) -> None:
        self.database = database
        self.user = user
        self.engine = engine
        self.can_write = can_write
        workspace = engine.default_schema
        settings = dict(_DEFAULT_SETTINGS)
        settings["search_path"] = f"{workspace}, public" if workspace else "public"
        settings["session_authorization"] = user
        self.state = SessionState(database, user, can_write, settings)
        self.schemas: list[str] = [workspace] if workspace else []
        self._catalog: PgCatalog | None = None
        self._catalog_lock = threading.Lock()
        #: "I" idle, "T" in a transaction block, "E" in a failed transaction block
        self.transaction_status = "I"
        self._cancel = threading.Event()
        self._running = False
        self._state_lock = threading.Lock()
        self._parsed: dict[str, exp.Expression] = {}
        self._timed_out = False
        #: writes and CALLs applied inside the open transaction block (ROLLBACK cannot undo them)
        self._writes_in_block = 0

    # --- the contract -------------------------------------------------------------------------
    def parameter_status(self) -> dict[str, str]:
        """The ParameterStatus messages sent after authentication."""
        status = {_DISPLAY_NAMES.get(name, name): self.state.settings[name] for name in _STATUS_SETTINGS}
        status["session_authorization"] = self.user
        return status

    def apply_startup_parameters(self, parameters: dict[str, str]) -> None:
        """The StartupMessage's settings (application_name, DateStyle, ``options=-c name=value``...).

        Call before :meth:`parameter_status`, which then reports them. ``user``, ``database`` and
        the protocol's own keys are not settings and are skipped; a bad value raises PgError.
        """
        for name, value in parameters.items():
            key = name.lower()
            if key == "options":
                for option, option_value in _command_line_options(value):
                    self._apply_setting(option, option_value)
            elif key not in _STARTUP_NON_SETTINGS and not key.startswith("_pq_"):
                self._apply_setting(key, value)

    def execute(self, sql: str, stream: bool = False) -> list[StatementResult]:
        """A simple Query: every statement in ``sql``, in order (the first failure stops the rest).

        With ``stream=True`` a large result of the last statement comes as
        ``StatementResult.stream`` (server/streamed.py): the statement then lasts until its rows
        are read or the stream is closed."""
        self._start()
        results: list[StatementResult] = []
        try:
            statements = split_statements(sql)
            for number, text in enumerate(statements, start=1):
                try:
                    results.append(self._statement(text, None, None, stream=stream and number == len(statements)))
                except PgError as error:
                    error.results = results
                    raise
            return results
        finally:
            if not (results and results[-1].stream is not None):
                self._finish()

    def prepare(self, sql: str, param_oids: Sequence[int]) -> Prepared:
        """Parse (+ Describe statement): parameter types and result columns, without API requests."""
        try:
            return self._prepare(sql, param_oids)
        except PgError:
            if self.transaction_status == "T":
                self.transaction_status = "E"  # as in PostgreSQL, a failed Parse fails the block
            raise

    def _prepare(self, sql: str, param_oids: Sequence[int]) -> Prepared:
        statements = split_statements(sql)
        if len(statements) > 1:
            raise PgError("42601", "cannot insert multiple commands into a prepared statement")
        if not statements:
            return Prepared([], None)
        text = statements[0]
        word = _first_word(text)
        if self.transaction_status == "E" and not _ends_failed_block(text):
            raise _aborted_block()
        if word == "SHOW":
            name = self._show_name(text)
            return Prepared([], _SHOW_ALL_FIELDS if name.lower() == "all" else [Field(name, pgtypes.TEXT)])
        explain = re.match(r"^\s*EXPLAIN(\s+ANALY[SZ]E)?\s+", text, re.IGNORECASE)
        inner = _first_word(text[explain.end():]) if explain else word
        if inner == "CALL" or inner in _DML_WORDS - {"MERGE"}:
            return self._prepare_change(inner, text, param_oids)
        if word not in _QUERY_WORDS:
            return Prepared([_given_type(oid) for oid in param_oids], None)
        tree = self._parse(text[explain.end():] if explain else text)
        count = max(translate.parameter_numbers(tree), default=0)
        count = max(count, len(param_oids))
        inferred = translate.infer_parameter_types(tree, self._column_types(tree), count)
        types = [_given_type(param_oids[i]) if i < len(param_oids) and param_oids[i] else inferred[i]
                 for i in range(count)]
        fields = [Field("plan", pgtypes.TEXT)] if explain else self._describe(tree, types)
        return Prepared(types, fields)

    def execute_prepared(self, sql: str, params: list[Any], param_types: list[PgType],
                         stream: bool = False) -> StatementResult:
        """Bind + Execute: ``params`` are text (or already decoded binary) values. ``stream`` as
        for :meth:`execute` (only for an Execute that reads the whole result)."""
        self._start()
        result: StatementResult | None = None
        try:
            statement = _strip_trailing_semicolons(sql)
            if not _strip_comments(statement).strip():
                return StatementResult(None, [], "EMPTY")
            values = [coerce_parameter(value, param_types[i] if i < len(param_types) else pgtypes.TEXT, i + 1)
                      for i, value in enumerate(params)]
            result = self._statement(statement, values, param_types, stream=stream)
            return result
        finally:
            if result is None or result.stream is None:
                self._finish()

    def fail_transaction(self) -> None:
        """An error the protocol layer reported inside a transaction block fails the block, as in PostgreSQL."""
        if self.transaction_status == "T":
            self.transaction_status = "E"

    def cancel(self) -> None:
        """Stop the running statement (thread-safe); its remaining API requests are not sent."""
        with self._state_lock:
            if self._running:
                self._cancel.set()
                if self._catalog is not None:
                    self._catalog.connection.interrupt()

    def close(self) -> None:
        """Release the local catalog database (the engine belongs to the caller)."""
        with self._catalog_lock:
            if self._catalog is not None:
                self._catalog.close()
                self._catalog = None

    # --- running one statement ------------------------------------------------------------------
    def _start(self) -> None:
        with self._state_lock:
            self._cancel.clear()
            self._running = True

    def _finish(self) -> None:
        with self._state_lock:
            self._running = False

    def _statement(self, text: str, params: list[Any] | None, types: Sequence[PgType] | None,
                   stream: bool = False) -> StatementResult:
        word = _first_word(text)
        if self.transaction_status == "E" and not _ends_failed_block(text):
            raise _aborted_block()
        timeout_ms = _milliseconds(self.state.settings.get("statement_timeout", "0"))
        timer = threading.Timer(timeout_ms / 1000, self._time_out) if timeout_ms and word in _TIMED_WORDS else None
        self._timed_out = False
        if timer is not None:
            timer.daemon = True
            timer.start()
        result: StatementResult | None = None
        try:
            result = self._dispatch(word, text, params, types, stream)
            return result
        except PgError:
            if self.transaction_status == "T":
                self.transaction_status = "E"
            raise
        finally:
            if result is not None and result.stream is not None:
                result.stream.on_close(lambda: self._end_statement(timer, streamed=True))
            else:
                self._end_statement(timer)

    def _end_statement(self, timer: threading.Timer | None, streamed: bool = False) -> None:
        """The statement is over (a streamed one when its rows are read): its timeout stops."""
        if timer is not None:
            timer.cancel()
        if self._timed_out:
            self._cancel.clear()  # a timer that fired as the statement ended must not stop the next one
        if streamed:
            self._finish()

    def _time_out(self) -> None:
        """statement_timeout elapsed: cancel, and say why."""
        self._timed_out = True
        self.cancel()

    def _cancelled(self) -> PgError:
        if self._timed_out:
            return PgError("57014", "canceling statement due to statement timeout",
                           hint="Raise statement_timeout (SET statement_timeout = '60s') or narrow the query.")
        return PgError("57014", "canceling statement due to user request",
                       hint="The query was cancelled; requests not yet sent to Bitbucket were not sent.")

    def _dispatch(self, word: str, text: str, params: list[Any] | None,
                  types: Sequence[PgType] | None, stream: bool = False) -> StatementResult:
        if word in _QUERY_WORDS:
            return self._query(text, params, stream)
        if word == "COPY":
            return self._copy(text)
        if word == "SET":
            return self._set(text)
        if word == "RESET":
            return self._reset(text)
        if word == "SHOW":
            return self._show(text)
        if word in ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"):
            return self._transaction(word, text)
        if word in ("DISCARD", "DEALLOCATE", "LISTEN", "UNLISTEN", "NOTIFY", "CLOSE"):
            return self._no_op(word, text)
        if word in _WRITE_WORDS:
            return self._write(word, text, params)
        if word == "CALL":
            return self._call(text, params)
        if word in _UNSUPPORTED_WORDS:
            raise PgError("0A000", f"{word} is not supported by bitbucket-sql",
                          hint="Send plain SELECT queries; session commands SET, SHOW and transactions are accepted.")
        raise PgError("42601", f'syntax error at or near "{text.split()[0] if text.split() else text}"',
                      hint="A query starts with SELECT, WITH, VALUES or EXPLAIN.")

    # --- queries ---------------------------------------------------------------------------------
    def _parse(self, text: str) -> exp.Expression:
        """A tree the caller owns; trees of recent statements are kept (clients repeat statements)."""
        cached = self._parsed.get(text)
        if cached is None:
            try:
                cached = translate.parse(text)
            except translate.TranslationError as error:
                raise PgError("42601", str(error), hint="Check the SQL around that position.") from None
            if len(self._parsed) >= _PARSED_KEPT:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[text] = cached
        return cached.copy()

    def _query(self, text: str, params: list[Any] | None, stream: bool = False) -> StatementResult:
        explain = re.match(r"^\s*EXPLAIN(\s+ANALY[SZ]E)?\s+", text, re.IGNORECASE)
        body = text[explain.end():] if explain else text
        if explain and _first_word(body) == "CALL":
            return self._call(text, params)
        tree = self._parse(body)
        numbers = translate.parameter_numbers(tree)
        if numbers and params is None:
            raise PgError("42P02", f"there is no parameter ${numbers[0]}",
                          hint="Bind parameters through the extended protocol (a driver's placeholders).")
        try:
            bound = translate.bind_parameters(tree, params, copy=False) if numbers else tree
        except translate.TranslationError as error:
            raise PgError("08P01", str(error)) from None
        if translate.target_of(bound) == "catalog" and not explain:
            return self._catalog_query(bound)
        return self._engine_query(bound, explain.group(0).upper().split() if explain else None, stream)

    def _catalog_query(self, tree: exp.Expression) -> StatementResult:
        names, types, rows = self._run_catalog(tree, describe_only=False)
        fields = [Field(name, result_type(name, kind)) for name, kind in zip(names, types, strict=True)]
        return StatementResult(fields, _plain_rows(rows, types), f"SELECT {len(rows)}")

    def _run_catalog(self, tree: exp.Expression, *, describe_only: bool) -> tuple[list[str], list[str], list[Any]]:
        missing = translate.unknown_catalog_relation(tree)
        if missing is not None:
            raise PgError("42P01", f'relation "{missing}" does not exist',
                          hint="This server provides the pg_catalog and information_schema relations clients "
                               "use for introspection; see docs/server-sql.md.")
        bare_values = isinstance(tree, exp.Values)  # PostgreSQL names its columns column1, column2...
        _with_postgres_names(tree)
        translated = translate.translate(tree, "catalog", copy=False)
        catalog = self._catalog_db()
        try:
            if describe_only:
                names, types = catalog.describe(translated.sql, translated.functions, translated.relations)
                rows: list[Any] = []
            else:
                names, types, rows = catalog.run(translated.sql, translated.functions, translated.relations,
                                                 LOCAL_ROWS_LIMIT)
        except duckdb.InterruptException:
            raise self._cancelled() from None
        except duckdb.Error as error:
            raise _catalog_error(error) from None
        if self._cancel.is_set():
            raise self._cancelled()
        if len(rows) > LOCAL_ROWS_LIMIT:
            raise PgError("54000", f"the result has more than {LOCAL_ROWS_LIMIT:,} rows",
                          hint="Queries answered by the server itself (no Bitbucket table) are limited; add LIMIT.")
        if bare_values:
            names = [f"column{index}" for index in range(1, len(names) + 1)]
        return names, types, rows

    def _engine_query(self, tree: exp.Expression, explain: list[str] | None, stream: bool = False) -> StatementResult:
        translated = translate.translate(self._qualified(tree), "engine", copy=False)
        sql = translated.sql if explain is None else " ".join(explain) + " " + translated.sql
        if self._cancel.is_set():
            raise self._cancelled()
        streaming = stream and explain is None
        try:
            quiet_engine_warnings()
            result = self.engine.execute(sql, progress=self._progress, stream=streaming,
                                         whole_up_to=STREAM_ABOVE_ROWS if streaming else None)
        except _Cancelled:
            raise self._cancelled() from None
        except Exception as error:  # noqa: BLE001 - every failure becomes a PgError
            if self._cancel.is_set():
                raise self._cancelled() from None
            raise pg_error_for(error) from None
        if self._cancel.is_set():
            raise self._cancelled()
        fields = [Field(column.name, pg_type_for(column.type)) for column in result.columns]
        types = [column.type for column in result.columns]
        if result.stream is not None:
            if self._cancel.is_set():
                result.stream.close()
                raise self._cancelled()
            rows = StreamedRows(result, cancelled=self._cancel_reason, translate=self._streamed_error,
                                convert=lambda batch: _plain_rows(batch, types), notices=self._notices)
            return StatementResult(fields, [], "SELECT", stream=rows)
        return StatementResult(fields, _plain_rows(result.rows, types), f"SELECT {len(result.rows)}",
                               self._notices(result), requests=result.stats.requests)

    def _cancel_reason(self) -> PgError | None:
        """The error a cancelled statement ends with, None while it may go on (a streamed result)."""
        return self._cancelled() if self._cancel.is_set() else None

    def _streamed_error(self, error: BaseException) -> BaseException:
        """An error met while a streamed result was read, as the client gets it."""
        if isinstance(error, _Cancelled) or self._cancel.is_set():
            return self._cancelled()
        if not isinstance(error, Exception):
            return error
        return pg_error_for(error)

    def _progress(self, _progress: Any) -> None:
        if self._cancel.is_set():
            raise _Cancelled()

    def _qualified(self, tree: exp.Expression) -> exp.Expression:
        """Unqualified tables read the search path's first schema when it is not the Workspace."""
        current = self._current_schema() if self._search_path_moved() else None
        if current is None or current in _BUILTIN_SCHEMAS:
            return tree
        for table in translate.table_references(tree):
            if not table.db:
                table.set("db", exp.to_identifier(current))
        return tree

    def _current_schema(self) -> str | None:
        """current_schema(): the search path's first schema that exists (no catalog needed)."""
        for name in self.state.search_path:
            if name in self.schemas or name in _BUILTIN_SCHEMAS:
                return name
        return None

    def _search_path_moved(self) -> bool:
        workspace = self.engine.default_schema
        path = self.state.search_path
        return bool(path) and path[0] != workspace and path[0] in self.schemas

    def _notices(self, result: QueryResult) -> list[str]:
        notices = [str(message) for message in getattr(result, "warnings", None) or []]
        try:
            status = self.engine.client.rate_limit
        except AttributeError:
            return notices
        if result.stats.requests and getattr(status, "near_limit", False):
            notices.append(
                f"Bitbucket rate-limit budget low: {status.remaining} of {status.limit} requests left in "
                f"this rolling hour. Narrow queries (filters on keys, LIMIT) or raise CacheTTL."
            )
        return notices

    def _describe(self, tree: exp.Expression, types: list[PgType]) -> list[Field] | None:
        try:
            bound = translate.bind_parameters(tree, None, types, copy=False)
        except translate.TranslationError as error:
            raise PgError("08P01", str(error)) from None
        if translate.target_of(bound) == "catalog":
            names, kinds, _ = self._run_catalog(bound, describe_only=True)
            return [Field(name, result_type(name, kind)) for name, kind in zip(names, kinds, strict=True)]
        translated = translate.translate(self._qualified(bound), "engine", copy=False)
        key = (self.engine.default_schema, translated.sql)
        columns = _DESCRIBED.get(key)
        if columns is None:
            try:
                columns = [(column.name, column.type) for column in self.engine.describe(translated.sql)]
            except Exception as error:  # noqa: BLE001 - every failure becomes a PgError
                raise pg_error_for(error) from None
            _DESCRIBED.put(key, columns)
        return [Field(name, pg_type_for(kind)) for name, kind in columns]

    def _column_types(self, tree: exp.Expression) -> dict[str, str]:
        """Column name -> DuckDB type over the relations a statement reads (for parameter types)."""
        found: dict[str, str] = {}
        for table in translate.table_references(tree):
            relation = translate.catalog_relation(table)
            if relation is not None:
                specs = PG_TABLES.get(relation[1], ())
                found.update({spec.name: spec.type for spec in columns_of(specs)})
                continue
            for definition in catalog_tables():
                if definition.name == table.name.lower():
                    found.update({column.name: column.type for column in definition.columns})
        return found

    def _catalog_db(self) -> PgCatalog:
        with self._catalog_lock:
            if self._catalog is None:
                self._catalog = PgCatalog(self.state, self.schemas)
            return self._catalog

    # --- COPY ------------------------------------------------------------------------------------
    def _copy(self, text: str) -> StatementResult:
        match = _COPY.match(text.strip().rstrip(";"))
        if match is None:
            if re.search(r"\bFROM\s+STDIN\b", text, re.IGNORECASE):
                return self._write("COPY")
            raise PgError("0A000", "only COPY (query) TO STDOUT and COPY table TO STDOUT are supported",
                          hint="Write COPY (SELECT ...) TO STDOUT WITH (FORMAT csv, HEADER), or psql's \\copy.")
        source = match.group("source").strip()
        if source.startswith("("):
            query = source[1:-1]
        else:
            table_match = re.match(r"^([\w.\"]+)\s*(?:\((.*)\))?$", source, re.DOTALL)
            assert table_match is not None
            columns = table_match.group(2) or "*"
            query = f"SELECT {columns} FROM {table_match.group(1)}"
        copy_out = _copy_format(match.group("options"))
        result = self._query(query, None)
        return StatementResult(result.fields, result.rows, f"COPY {len(result.rows)}", result.notices,
                               copy_out=copy_out, requests=result.requests)

    # --- session commands --------------------------------------------------------------------------
    def _set(self, text: str) -> StatementResult:
        body = re.sub(r"^\s*SET\s+(SESSION\s+|LOCAL\s+)?", "", text.strip().rstrip(";"), flags=re.IGNORECASE)
        upper = body.upper()
        if upper.startswith(("TRANSACTION", "CHARACTERISTICS", "SESSION CHARACTERISTICS", "CONSTRAINTS")):
            return StatementResult(None, [], "SET")
        if upper.startswith("TIME ZONE"):
            name, value = "timezone", body[len("TIME ZONE"):].strip()
        elif upper.startswith("NAMES"):
            name, value = "client_encoding", body[len("NAMES"):].strip()
        elif upper.startswith("ROLE") or upper.startswith("SESSION AUTHORIZATION"):
            return StatementResult(None, [], "SET")
        else:
            match = re.match(r'^("?[\w.]+"?)\s*(?:=|\bTO\b)\s*(.*)$', body, re.IGNORECASE | re.DOTALL)
            if match is None:
                raise PgError("42601", f"syntax error in SET: {text.strip()!r}",
                              hint="Write SET name = value (or SET name TO value).")
            name, value = match.group(1).strip('"').lower(), match.group(2).strip()
        self._apply_setting(name, _setting_value(value))
        return StatementResult(None, [], "SET")

    def _apply_setting(self, name: str, value: str | None) -> None:
        if name in _READ_ONLY_SETTINGS:
            raise PgError("55P02", f'parameter "{name}" cannot be changed')
        if value is None or value.upper() == "DEFAULT":
            value = self._default_setting(name)
        if name == "client_encoding":
            value = _client_encoding(value)
        if name == "search_path":
            value = self._use_search_path(value)
        self.state.settings[name] = value
        with self._catalog_lock:
            if self._catalog is not None:
                self._catalog.update_setting(name, value)

    def _default_setting(self, name: str) -> str:
        if name == "search_path":
            workspace = self.engine.default_schema
            return f"{workspace}, public" if workspace else "public"
        return _DEFAULT_SETTINGS.get(name, "")

    def _use_search_path(self, value: str) -> str:
        """Schemas named in search_path become known workspaces (the catalog then lists them)."""
        added = False
        for part in value.split(","):
            name = part.strip().strip('"')
            if name and name not in ("$user", "public", "pg_catalog", "information_schema", "pg_temp") \
                    and name not in self.schemas:
                self.schemas.append(name)
                added = True
        if added:
            self.close()  # rebuilt with the new schemas on the next catalog query
        return value

    def _reset(self, text: str) -> StatementResult:
        name = text.strip().rstrip(";").split(None, 1)[1].strip().strip('"').lower() if len(text.split()) > 1 else ""
        if name == "all":
            for setting in list(self.state.settings):
                if setting not in _READ_ONLY_SETTINGS:
                    self._apply_setting(setting, self._default_setting(setting))
        elif name:
            self._apply_setting(name, self._default_setting(name))
        return StatementResult(None, [], "RESET")

    def _show_name(self, text: str) -> str:
        body = re.sub(r"^\s*SHOW\s+", "", text.strip().rstrip(";"), flags=re.IGNORECASE).strip()
        name = re.sub(r"\s+", " ", body.strip('"')).lower()
        name = {"transaction isolation level": "transaction_isolation", "time zone": "timezone"}.get(name, name)
        return _DISPLAY_NAMES.get(name, name)

    def _show(self, text: str) -> StatementResult:
        name = self._show_name(text)
        key = name.lower()
        if key == "all":
            fields = list(_SHOW_ALL_FIELDS)
            rows = [(_DISPLAY_NAMES.get(k, k), v, "") for k, v in sorted(self.state.settings.items())]
            return StatementResult(fields, rows, "SHOW")
        if key not in self.state.settings:
            raise PgError("42704", f'unrecognized configuration parameter "{name}"',
                          hint="SHOW ALL lists the settings.")
        return StatementResult([Field(name, pgtypes.TEXT)], [(self.state.settings[key],)], "SHOW")

    def _transaction(self, word: str, text: str) -> StatementResult:
        upper = re.sub(r"\s+", " ", text.strip().rstrip(";").upper())
        notices: list[str] = []
        if word in ("BEGIN", "START"):
            if self.transaction_status != "I":
                notices.append("there is already a transaction in progress")
            self.transaction_status = "T" if self.transaction_status == "I" else self.transaction_status
            return StatementResult(None, [], "BEGIN" if word == "BEGIN" else "START TRANSACTION", notices)
        if word in ("COMMIT", "END"):
            failed = self.transaction_status == "E"
            if self.transaction_status == "I":
                notices.append("there is no transaction in progress")
            self.transaction_status = "I"
            self._writes_in_block = 0
            return StatementResult(None, [], "ROLLBACK" if failed else "COMMIT", notices)
        if word in ("ROLLBACK", "ABORT"):
            if " TO " in f" {upper} ":
                if self.transaction_status == "I":
                    raise PgError("25P01", "ROLLBACK TO SAVEPOINT can only be used in transaction blocks")
                self.transaction_status = "T"
                return StatementResult(None, [], "ROLLBACK")
            if self.transaction_status == "I":
                notices.append("there is no transaction in progress")
            elif self._writes_in_block:
                notices.append(f"ROLLBACK did not undo the {self._writes_in_block} write(s) of this transaction "
                               "block: Bitbucket has no transactions, every write is applied when it runs "
                               "(docs/writing.md)")
            self.transaction_status = "I"
            self._writes_in_block = 0
            return StatementResult(None, [], "ROLLBACK", notices)
        if self.transaction_status == "I":
            raise PgError("25P01", f"{word} can only be used in transaction blocks")
        return StatementResult(None, [], word)

    def _no_op(self, word: str, text: str) -> StatementResult:
        words = text.strip().rstrip(";").upper().split()
        if word == "DISCARD":
            return StatementResult(None, [], " ".join(words[:2]))
        if word == "DEALLOCATE":
            return StatementResult(None, [], "DEALLOCATE ALL" if words[-1] == "ALL" else "DEALLOCATE")
        if word == "CLOSE":
            return StatementResult(None, [], "CLOSE CURSOR")
        return StatementResult(None, [], word)

    def _read_only(self, word: str) -> PgError:
        what = "CALL runs a Bitbucket action (it changes data)" if word == "CALL" else f"{word} changes data"
        return PgError("42501", f"permission denied: user {self.user!r} has read-only access to database "
                                f"{self.database!r}; {what}",
                       hint="Ask the server's administrator for read-write rights on this database "
                            "(EXPLAIN shows what the statement would send, and sends nothing).")

    def _call(self, text: str, params: list[Any] | None) -> StatementResult:
        """``[EXPLAIN [ANALYZE]] CALL procedure(...)``: a Bitbucket action, run by the engine.

        Read-only users may EXPLAIN a call (a dry run: nothing is sent) and nothing else. The
        result set is the procedure's one row (what Bitbucket answered); the tag is ``CALL``.
        """
        mode = call_text.explain_mode(text)
        if mode != "explain" and not self.can_write:
            raise self._read_only("CALL")
        current = self._current_schema() if self._search_path_moved() else None
        if current is not None and current not in _BUILTIN_SCHEMAS:
            text = call_text.with_schema(text, current)
        try:
            sql, values = call_text.with_question_marks(text, params)
        except IndexError as error:
            raise PgError("42P02", str(error),
                          hint="Bind parameters through the extended protocol (a driver's placeholders).") from None
        result = self._run_engine(sql, values or None)
        if mode == "none":
            self._writes_in_block += self.transaction_status != "I"
        fields = [Field(column.name, pg_type_for(column.type)) for column in result.columns]
        types = [column.type for column in result.columns]
        tag = "CALL" if mode == "none" else f"SELECT {len(result.rows)}"
        return StatementResult(fields, _plain_rows(result.rows, types), tag, self._notices(result),
                               requests=result.stats.requests)

    def _run_engine(self, sql: str, params: list[Any] | None = None) -> QueryResult:
        """A write or CALL run by the engine; every failure becomes a PgError."""
        if self._cancel.is_set():
            raise self._cancelled()
        try:
            quiet_engine_warnings()
            return self.engine.execute(sql, params, progress=self._progress)
        except _Cancelled:
            raise self._cancelled() from None
        except Exception as error:  # noqa: BLE001 - every failure becomes a PgError
            raise pg_error_for(error) from None

    def _prepare_change(self, word: str, text: str, param_oids: Sequence[int]) -> Prepared:
        """Parse of a write or CALL: parameter types and the RETURNING/result columns, no request."""
        explain = re.match(r"^\s*EXPLAIN(\s+ANALY[SZ]E)?\s+", text, re.IGNORECASE)
        body = text[explain.end():] if explain else text
        try:
            if word == "CALL":
                count = max(max(call_text.dollar_numbers(body), default=0), len(param_oids))
                declared = write_types.call_parameter_types(body, count)
                types = [_given_type(param_oids[i]) if i < len(param_oids) and param_oids[i] else declared[i]
                         for i in range(count)]
                columns = self.engine.describe(call_text.with_question_marks(body, None)[0])
            else:
                tree = self._parse(body)
                count = max(max(translate.parameter_numbers(tree), default=0), len(param_oids))
                inferred = translate.infer_parameter_types(tree, self._column_types(tree), count)
                inferred = write_types.insert_value_types(tree, inferred)
                types = [_given_type(param_oids[i]) if i < len(param_oids) and param_oids[i] else inferred[i]
                         for i in range(count)]
                bound = translate.bind_parameters(tree, None, types, copy=False)
                columns = self.engine.describe(translate.translate(bound, "engine", copy=False).sql)
        except PgError:
            raise
        except translate.TranslationError as error:
            raise PgError("08P01", str(error)) from None
        except Exception as error:  # noqa: BLE001 - the engine's own message, as Execute would give it
            raise pg_error_for(error) from None
        if explain:
            return Prepared(types, [Field("plan", pgtypes.TEXT)])
        return Prepared(types, [Field(column.name, pg_type_for(column.type)) for column in columns] or None)

    def _write(self, word: str, text: str = "", params: list[Any] | None = None) -> StatementResult:
        """Writes: refused for read-only users; passed to the engine for read-write users.

        The engine decides what it can change (docs/writing.md) and refuses the rest with its own
        message; the command tag counts the rows it changed (``UPDATE 3``).
        """
        if not self.can_write:
            raise self._read_only(word)
        if word not in _DML_WORDS or not text:
            raise PgError("0A000", f"{word} is not supported: bitbucket-sql has no schema to change",
                          hint="Tables come from Bitbucket's API; query them with SELECT.")
        tree = self._parse(text)
        if translate.parameter_numbers(tree):
            if params is None:
                raise PgError("42P02", f"there is no parameter ${translate.parameter_numbers(tree)[0]}")
            tree = translate.bind_parameters(tree, params, copy=False)
        # unqualified tables write where they read: the search path's first workspace (as EXPLAIN shows)
        translated = translate.translate(self._qualified(tree), "engine", copy=False)
        result = self._run_engine(translated.sql)
        self._writes_in_block += self.transaction_status != "I"
        count = result.affected_rows if result.affected_rows is not None else len(result.rows)  # rows changed
        tag = f"INSERT 0 {count}" if word == "INSERT" else f"{word} {count}"
        fields = [Field(column.name, pg_type_for(column.type)) for column in result.columns] or None
        return StatementResult(fields, result.rows if fields else [], tag, self._notices(result),
                               requests=result.stats.requests)


# --- helpers -------------------------------------------------------------------------------------


def split_statements(sql: str) -> list[str]:
    """The statements of a simple Query, split at top-level semicolons (never inside strings)."""
    try:
        tokens = Postgres().tokenize(sql)
    except TokenError:
        if not sql.strip().strip(";").strip():
            return []
        raise PgError("42601", "unterminated quoted string or comment",
                      hint="Close every ' and \" and /* comment.") from None
    pieces: list[str] = []
    start = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            pieces.append(sql[start:token.start])
            start = token.end + 1
    pieces.append(sql[start:])
    return [piece.strip() for piece in pieces if _strip_comments(piece).strip()]


def _strip_trailing_semicolons(sql: str) -> str:
    """One extended-protocol statement without the ``;`` drivers sometimes leave at its end."""
    text = sql.strip()
    while text.endswith(";"):
        text = text[:-1].rstrip()
    return text


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", " ", text)


def _first_word(text: str) -> str:
    stripped = _strip_comments(text).lstrip()
    if stripped.startswith("("):
        return "("
    match = re.match(r"[A-Za-z_]+", stripped)
    return match.group(0).upper() if match else ""


def _ends_failed_block(text: str) -> bool:
    return _first_word(text) in ("ROLLBACK", "ABORT", "COMMIT", "END")


#: StartupMessage keys that are not run-time settings
_STARTUP_NON_SETTINGS = {"user", "database", "replication", "password"}


def _command_line_options(options: str) -> list[tuple[str, str]]:
    """``-c search_path=acme --statement_timeout=5s`` as (name, value) pairs (libpq's ``options``)."""
    pairs = []
    words = options.replace("\\ ", "\0").split()
    index = 0
    while index < len(words):
        word = words[index].replace("\0", " ")
        if word == "-c" and index + 1 < len(words):
            word = words[index + 1].replace("\0", " ")
            index += 1
        elif word.startswith("-c") or word.startswith("--"):
            word = word[2:]
        if "=" in word:
            name, _, value = word.partition("=")
            pairs.append((name.strip().lower().replace("-", "_"), value))
        index += 1
    return pairs


#: client encodings this server can honour, by PostgreSQL's cleaned spelling -> its canonical name.
#: SQL_ASCII means "no conversion": PostgreSQL then sends the UTF8 bytes as they are, and so do we
#: (libpq sends it for client_encoding=auto in a C locale, as an interactive psql does).
_CLIENT_ENCODINGS = {"UTF8": "UTF8", "UNICODE": "UTF8", "SQLASCII": "SQL_ASCII"}


def _client_encoding(value: str) -> str:
    """PostgreSQL's name of a client encoding, or PgError for one this server cannot send."""
    # PostgreSQL ignores all but letters and digits in encoding names (asyncpg sends 'utf-8' quoted)
    canonical = _CLIENT_ENCODINGS.get(re.sub(r"[^A-Za-z0-9]", "", value).upper())
    if canonical is None:
        raise PgError("0A000", f"client encoding {value!r} is not supported: this server speaks UTF8 only",
                      hint="Set client_encoding to UTF8.")
    return canonical


def _aborted_block() -> PgError:
    return PgError("25P02", "current transaction is aborted, commands ignored until end of transaction block",
                   hint="Send ROLLBACK (or ROLLBACK TO SAVEPOINT) to continue.")


def _given_type(oid: int) -> PgType:
    return pgtypes.BY_OID.get(oid, pgtypes.TEXT) if oid else pgtypes.TEXT


def _setting_value(raw: str) -> str | None:
    value = raw.strip()
    if value.upper() == "DEFAULT":
        return None
    parts = [part.strip() for part in re.findall(r"'(?:[^']|'')*'|[^,]+", value)]
    cleaned = [part[1:-1].replace("''", "'") if part.startswith("'") and part.endswith("'") else part
               for part in parts if part]
    return ", ".join(cleaned)


def _copy_format(options: str) -> str:
    words = re.sub(r"[(),]", " ", options).lower().split()
    words = [word.strip("'\"") for word in words if word not in ("with",)]
    csv = "csv" in words
    if "binary" in words:
        raise PgError("0A000", "COPY in binary format is not supported", hint="Use FORMAT csv or text.")
    for option in ("delimiter", "null", "quote", "escape", "force_quote", "encoding"):
        if option in words:
            raise PgError("0A000", f"the COPY option {option.upper()} is not supported",
                          hint="Supported: FORMAT text|csv and HEADER.")
    header = "header" in words and not ({"false", "off", "0"} & set(words[words.index("header") + 1:][:1]))
    if csv:
        return "csv header" if header else "csv"
    return "text"


#: PostgreSQL's column names for sqlglot's typed niladic functions
_NILADIC_NAMES: dict[type[exp.Expression], str] = {
    exp.CurrentVersion: "version", exp.CurrentSchema: "current_schema", exp.CurrentUser: "current_user",
    exp.SessionUser: "session_user", exp.CurrentDatabase: "current_database", exp.CurrentCatalog: "current_catalog",
    exp.CurrentTimestamp: "now", exp.GroupConcat: "string_agg", exp.ArrayAgg: "array_agg",
}


def _with_postgres_names(tree: exp.Expression) -> None:
    """Alias unaliased computed projections of the outermost SELECT with PostgreSQL's names (in place)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    projections = []
    for projection in select.expressions:
        keyword = isinstance(projection, exp.Column) and not projection.table and not projection.this.quoted \
            and projection.name.lower() in ("user", "current_role")
        if isinstance(projection, exp.Alias | exp.Star | exp.Column) and not keyword or projection.alias:
            projections.append(projection)
            continue
        name = projection.name.lower() if keyword else  _NILADIC_NAMES.get(type(projection)) or postgres_name(projection)
        projections.append(exp.alias_(projection, name, quoted=True))
    select.set("expressions", projections)


def _plain_rows(rows: list[tuple[Any, ...]], types: Sequence[str]) -> list[tuple[Any, ...]]:
    """Values the codec encodes: nested values of JSON-typed columns become JSON text."""
    json_columns = [index for index, kind in enumerate(types) if pgtypes.is_json_like(kind)]
    if not json_columns:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for index in json_columns:
            if values[index] is not None and not isinstance(values[index], str):
                values[index] = json.dumps(values[index], default=str)
        converted.append(tuple(values))
    return converted


def _array_items(text: str, pg_type: PgType, position: int) -> list[str | None]:
    """PostgreSQL's one-dimensional array input (``{a,"b c",NULL}``) as its items' texts."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise PgError("22P02", f'malformed array literal: "{text}"', detail=f"Parameter ${position} ({pg_type.name}) "
                      'must look like {1,2,3} or {"a","b"}.')
    items: list[str | None] = []
    current, quoted, was_quoted, escape = "", False, False, False
    for char in body[1:-1]:
        if escape:
            current, escape = current + char, False
        elif char == "\\":
            escape = True
        elif char == '"':
            quoted, was_quoted = not quoted, True
        elif char == "," and not quoted:
            items.append(None if not was_quoted and current.strip().upper() == "NULL" else
                         (current if was_quoted else current.strip()))
            current, was_quoted = "", False
        else:
            current += char
    if current.strip() or was_quoted or items:
        items.append(None if not was_quoted and current.strip().upper() == "NULL" else
                     (current if was_quoted else current.strip()))
    return items


_TRUE = {"t", "true", "1", "on", "yes", "y"}
_FALSE = {"f", "false", "0", "off", "no", "n"}


def coerce_parameter(value: Any, pg_type: PgType, position: int) -> Any:
    """A text parameter as the Python value its type means (binary ones arrive decoded)."""
    if not isinstance(value, str):
        if isinstance(value, bytes | bytearray | memoryview) and pg_type.oid != pgtypes.BYTEA.oid:
            value = bytes(value).decode("utf-8", errors="replace")
        else:
            return value
    text = value
    if pg_type.element_oid:
        element = pgtypes.BY_OID.get(pg_type.element_oid, pgtypes.TEXT)
        return [None if item is None else coerce_parameter(item, element, position)
                for item in _array_items(text, pg_type, position)]
    try:
        oid = pg_type.oid
        if oid == 16:
            lowered = text.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise ValueError(text)
        if oid in (20, 21, 23, 26):
            return int(text.strip())
        if oid in (700, 701):
            return float(text.strip())
        if oid == 1700:
            return decimal.Decimal(text.strip())
        if oid == 1082:
            return datetime.date.fromisoformat(text.strip())
        if oid in (1114, 1184):
            stamp = text.strip().replace(" ", "T", 1)
            stamp = re.sub(r"([+-]\d\d)$", r"\1:00", stamp)
            parsed = datetime.datetime.fromisoformat(stamp)
            if oid == 1184 and parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.UTC)
            return parsed
        if oid == 17:
            return bytes.fromhex(text[2:]) if text.startswith("\\x") else text.encode("utf-8")
    except (ValueError, decimal.InvalidOperation):
        raise PgError("22P02", f'invalid input syntax for type {pg_type.display_name}: "{text}"',
                      detail=f"Parameter ${position}.") from None
    return text


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}
#: statements statement_timeout applies to (session commands are instant)
_TIMED_WORDS = _QUERY_WORDS | {"COPY"}


def _milliseconds(value: str) -> float:
    """A duration setting (``5000``, ``'5s'``, ``'1min'``; milliseconds by default) in ms, 0 if unset."""
    match = _DURATION.match(value or "")
    if match is None:
        return 0
    return float(match.group(1)) * _UNIT_MS[(match.group(2) or "ms").lower()]


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _split_message(text: str) -> tuple[str, str | None]:
    parts = _SENTENCE_BREAK.split(text.strip(), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (text.strip(), None)


#: The SQLSTATE of every engine and API error class, chosen as PostgreSQL would answer (the class
#: nearest in the exception's MRO wins). Every class of engine/errors.py and api/errors.py is listed
#: on purpose (tests/server/test_error_mapping.py fails for a new one until it is given its code here);
#: docs/server.md has the table.
SQLSTATE_BY_ERROR: dict[type[BaseException], str] = {
    # the engine: the query names something wrong
    engine_errors.SqlSyntaxError: "42601",  # syntax_error
    engine_errors.UnknownTableError: "42P01",  # undefined_table
    engine_errors.UnknownColumnError: "42703",  # undefined_column
    engine_errors.NoWorkspaceError: "3F000",  # invalid_schema_name: workspaces are schemas
    engine_errors.KeyNotFoundError: "42704",  # undefined_object (3F000 when the key is a workspace)
    engine_errors.InvalidIdentifierError: "42602",  # invalid_name: cannot be a workspace/repository name
    engine_errors.RemovedTableError: "0A000",  # feature_not_supported: Bitbucket removed it (410)
    engine_errors.UnsupportedStatementError: "0A000",  # feature_not_supported
    engine_errors.ParameterError: "22023",  # invalid_parameter_value
    engine_errors.FanoutLimitError: "53400",  # configuration_limit_exceeded: MaxFanout
    engine_errors.QueryTimeoutError: "57014",  # query_canceled: QueryTimeout, like statement_timeout
    engine_procedures.UnknownProcedureError: "42883",  # undefined_function: CALL of an unknown procedure
    # writes (engine/writes/errors.py): refused before any request, or failed part way
    write_errors.ReadOnlyConnectionError: "25006",  # read_only_sql_transaction: ReadOnly=true
    write_errors.WriteScopeError: "42501",  # insufficient_privilege: the credential lacks the write scope
    write_errors.WriteFanoutError: "53400",  # configuration_limit_exceeded: MaxFanout
    write_errors.WriteValidationError: "22023",  # invalid_parameter_value (refined from the problem below)
    write_errors.PartialWriteError: "58000",  # system_error: Bitbucket failed part way; the message lists rows
    engine_errors.EngineError: "XX000",  # anything else: refined from DuckDB's text, else internal_error
    # the API client: Bitbucket (upstream) answered with an error or not at all
    api_errors.ConfigurationError: "F0000",  # config_file_error: the server's connection settings
    api_errors.AuthenticationError: "08006",  # connection_failure: the server's Bitbucket credential
    api_errors.OAuthFlowError: "08006",
    api_errors.PermissionDeniedError: "42501",  # insufficient_privilege
    api_errors.NotFoundError: "42704",  # undefined_object
    api_errors.ConflictError: "55000",  # object_not_in_prerequisite_state (409)
    api_errors.GoneError: "0A000",  # feature_not_supported: removed for good (410)
    api_errors.ValidationError: "22023",  # invalid_parameter_value: Bitbucket rejected a value (400)
    api_errors.RateLimitedError: "53400",  # configuration_limit_exceeded: the hourly budget
    api_errors.TooManyPagesError: "53400",  # configuration_limit_exceeded: MaxPages
    api_errors.DeadlineExceededError: "57014",  # query_canceled: one request exceeded Timeout
    api_errors.ServerError: "08006",  # connection_failure: Bitbucket's 5xx after retries
    api_errors.TransportError: "08006",
    api_errors.CrossHostError: "08006",  # a link to another host was refused (credentials stay home)
    api_errors.UnexpectedResponseError: "08006",
    api_errors.BitbucketError: "08006",
}


def sqlstate_for(error: BaseException) -> str | None:
    """The listed SQLSTATE of an engine or API error (None for other exceptions)."""
    for kind in type(error).__mro__:
        sqlstate = SQLSTATE_BY_ERROR.get(kind)
        if sqlstate is not None:
            if isinstance(error, engine_errors.KeyNotFoundError) and error.key == "workspace":
                return "3F000"
            if isinstance(error, write_errors.WriteValidationError):
                return _write_validation_sqlstate(str(error)) or sqlstate
            return sqlstate
    return None


def _write_validation_sqlstate(message: str) -> str | None:
    """PostgreSQL's code for a refused written value: unknown column, missing value, read-only column, type."""
    for words, sqlstate in (("no such column", "42703"),  # undefined_column
                            ("required", "23502"),  # not_null_violation
                            ("is NULL", "23502"),
                            ("read-only", "428C9"),  # generated_always: Bitbucket sets it
                            ("the value given is", "42804")):  # datatype_mismatch
        if words in message:
            return sqlstate
    return None


def pg_error_for(error: BaseException) -> PgError:
    """The PgError a client sees for an engine or API failure (SQLSTATE from its class)."""
    if isinstance(error, PgError):
        return error
    sqlstate = sqlstate_for(error)
    if isinstance(error, api_errors.BitbucketError):
        hint = error.hint.strip() if error.hint else None
        message = str(error)
        if hint:
            # the client shows the hint on its own line: keep it out of the message
            message = message.replace(_sentence(hint), "").replace(hint, "").strip()
            hint = _sentence(hint)
        return PgError(sqlstate or "08006", message, hint=hint)
    message, hint = _split_message(str(error))
    if sqlstate == "XX000":  # a DuckDB failure the engine passed on: its kind is in its text
        text = str(error)
        if "Conversion Error" in text or "Could not convert" in text:
            sqlstate = "22P02"
        elif "No function matches" in text or "Function with name" in text:
            sqlstate = "42883"
        elif "timed out" in text.lower() or "timeout" in text.lower():
            sqlstate = "57014"
    if sqlstate is not None:
        return PgError(sqlstate, message, hint=hint)
    if isinstance(error, TimeoutError):
        return PgError("57014", f"canceling statement due to statement timeout: {error}")
    return PgError("XX000", f"internal error: {error or type(error).__name__}")


def quiet_engine_warnings() -> None:
    """The engine's Python ``QueryWarning`` for a server query is not printed on the server's stderr.

    The engine issues each warning of a result twice: in ``QueryResult.warnings`` (the session
    sends them as NoticeResponse and the access log records them) and through ``warnings.warn``
    for DB-API users, attributed to the engine's caller: this module. Only warnings attributed to
    this module are ignored, so DB-API and CLI users in the same process still see theirs; the
    filter is (re)installed before each engine call because ``warnings.catch_warnings`` (pytest,
    embedding applications) restores the filter list it found.
    """
    if _QUIET_FILTER not in warnings.filters:
        warnings.filterwarnings("ignore", category=engine_errors.QueryWarning, module=_THIS_MODULE)


_THIS_MODULE = re.escape(__name__) + r"\Z"
warnings.filterwarnings("ignore", category=engine_errors.QueryWarning, module=_THIS_MODULE)
_QUIET_FILTER = warnings.filters[0]


def _catalog_error(error: duckdb.Error) -> PgError:
    text = str(error).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    if isinstance(error, duckdb.ParserException):
        return PgError("42601", f"syntax error: {first}")
    if "Referenced column" in text or "does not have a column" in text:
        return PgError("42703", f"column does not exist: {first}",
                       hint="The catalog relations have PostgreSQL 16's columns; see docs/server-sql.md.")
    if "Function with name" in text or "No function matches" in text:
        return PgError("42883", f"function does not exist: {first}",
                       hint="See docs/server-sql.md for the functions this server provides.")
    if "Conversion Error" in text:
        return PgError("22P02", f"invalid input: {first}")
    if "Out of Memory" in text:
        return PgError("53200", f"out of memory: {first}", hint="Add LIMIT or narrow the query.")
    if "cannot be changed" in text:
        return PgError("55P02", first.rsplit("Error: ", 1)[-1])
    return PgError("0A000", f"this catalog query is not supported: {first}",
                   hint="Please report the query; see docs/server-sql.md for what is supported.")
