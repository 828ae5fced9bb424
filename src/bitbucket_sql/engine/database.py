"""The per-query in-memory DuckDB database that runs the user's original query.

One fresh connection per query: a schema per workspace holding typed tables (empty until the
fetched rows arrive), the engine's information_schema under a private schema name, and the
connection's Workspace as the current schema. File and network access are switched off and
the configuration locked before any user SQL runs, so a query cannot read local files
(``read_csv('/etc/passwd')``) or change those settings. Binding the query against the empty
tables *before* fetching turns unknown columns and type errors into clear errors without
spending a single API request.
"""

from __future__ import annotations

import difflib
import json
import re
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import duckdb

if TYPE_CHECKING:
    import pyarrow as pa

from .arrow_build import build_array, positions
from .errors import EngineError, SqlSyntaxError, UnknownColumnError
from .rows import arrow_type as catalog_arrow_type
from .system_tables import duckdb_type

_MISSING_COLUMN = re.compile(r'Referenced column "([^"]+)" not found')
_TABLE_COLUMN = re.compile(r'Table "([^"]+)" does not have a column named "([^"]+)"')
_CANDIDATES = re.compile(r'Candidate bindings: (.*)', re.DOTALL)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_body(columns: Sequence[tuple[str, str]]) -> str:
    """The column list of a fetched table's CREATE TABLE, from (column, catalog type) pairs."""
    return ", ".join(f"{quote_identifier(column)} {duckdb_type(kind)}" for column, kind in columns)


def _typed_select(columns: Sequence[tuple[str, str]], source: str) -> str:
    """A SELECT of ``source`` with each column cast to its catalog type (the table's stand-in)."""
    typed = ", ".join(f"CAST({quote_identifier(column)} AS {duckdb_type(kind)}) AS {quote_identifier(column)}"
                      for column, kind in columns)
    return f"SELECT {typed} FROM {source}"


class LocalDatabase:
    """An in-memory DuckDB connection prepared for one query."""

    def __init__(self, threads: int = 2) -> None:
        self.connection = duckdb.connect(
            ":memory:",
            config={"enable_external_access": False, "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False, "threads": threads},
        )
        self.connection.execute("SET TimeZone = 'UTC'")
        # A streamed result is read batch by batch (engine/result.py): DuckDB's default of 10 MiB of
        # result chunks computed ahead of the reader is memory the reader does not need; one
        # batch's worth keeps the query as fast. No progress bar: the outlets report progress.
        self.connection.execute("SET streaming_buffer_size = '1MB'")
        self.connection.execute("SET enable_progress_bar = false")
        self._schemas: set[str] = {"main"}
        #: scans fetched concurrently may filter values at the same time; a connection is not re-entrant
        self._lock = threading.RLock()
        self._tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
        #: tables read in place (``insert``): their Arrow rows and the name DuckDB knows them by
        self._arrow: dict[tuple[str, str], pa.Table | pa.RecordBatchReader] = {}
        self._sources: dict[tuple[str, str], str] = {}

    def close(self) -> None:
        self.connection.close()
        self._arrow.clear()

    def __enter__(self) -> LocalDatabase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def create_table(self, schema: str, name: str, columns: Sequence[tuple[str, str]]) -> None:
        """Create ``schema.name`` with (column, catalog type) pairs, once."""
        if (schema, name) in self._tables:
            return
        if schema not in self._schemas:
            self.connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
            self._schemas.add(schema)
        self.connection.execute(f"CREATE TABLE {quote_identifier(schema)}.{quote_identifier(name)} "
                                f"({_table_body(columns)})")
        self._tables[(schema, name)] = list(columns)

    def use(self, schema: str) -> None:
        if schema not in self._schemas:
            self.connection.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
            self._schemas.add(schema)
        self.connection.execute(f"USE {quote_identifier(schema)}")

    def lock(self) -> None:
        """Freeze the configuration: user SQL may not re-enable file access."""
        self.connection.execute("SET lock_configuration = true")

    def begin(self) -> None:
        """Start the one transaction the query runs in: ``now()`` is the same in planning and execution."""
        self.connection.execute("BEGIN TRANSACTION")

    def evaluate(self, expression_sql: str) -> Any:
        """The value of a constant SQL expression (``now() - INTERVAL 7 DAY``), as DuckDB computes it."""
        sql = f"SELECT ({expression_sql})"
        self._probe(sql)
        try:
            rows = self.connection.execute(sql).fetchall()
        except duckdb.Error as error:
            raise self.translate_error(error) from None
        return rows[0][0] if rows else None

    def _probe(self, sql: str) -> None:
        """Run ``sql`` on a connection of its own first, so that its error is raised there.

        Why: in DuckDB any failed statement aborts the transaction it ran in, and the query's work
        (folding a constant, filtering keys) runs in the query's transaction; a failure there that the
        planner tolerates (the predicate just stays local) would make the final query fail with
        "Current transaction is aborted" instead of the real error.
        """
        probe = self.connection.cursor()
        try:
            probe.execute(sql).fetchall()
        except duckdb.Error as error:
            raise self.translate_error(error) from None
        finally:
            probe.close()

    def _probe_predicates(self, columns: Sequence[tuple[str, str]], predicates: Sequence[str]) -> None:
        """Bind the predicates on their own connection against one all-NULL row of the same columns."""
        select = ", ".join(f"CAST(NULL AS {sql_type}) AS {quote_identifier(name)}" for name, sql_type in columns)
        where = " AND ".join(f"({predicate})" for predicate in predicates)
        self._probe(f"SELECT 1 FROM (SELECT {select}) AS probe WHERE {where}")


    def filter_values(self, name: str, sql_type: str, values: Sequence[Any], predicates: Sequence[str]) -> set[Any]:
        """The ``values`` for which every predicate (on a column called ``name``) is true."""
        with self._lock:
            return self._filter_values(name, sql_type, values, predicates)

    def _filter_values(self, name: str, sql_type: str, values: Sequence[Any], predicates: Sequence[str]) -> set[Any]:
        import pyarrow as pa  # on first use: start-up does not pay for it

        schema, table = "bbsql_work", f"values_{len(self._tables)}"
        self.create_table(schema, table, [(name, sql_type)])
        # key values typed as the column when they are; other than text, else as pyarrow infers them
        column = build_array(list(values), catalog_arrow_type(sql_type),
                             infer_otherwise=sql_type not in ("VARCHAR", "JSON"))
        self.insert(schema, table, pa.Table.from_arrays([column], names=[name]))
        self._probe_predicates([(name, sql_type)], predicates)
        where = _keep_unless_false(predicates)
        sql = f"SELECT {quote_identifier(name)} FROM {quote_identifier(schema)}.{quote_identifier(table)} WHERE {where}"
        try:
            return {row[0] for row in self.connection.execute(sql).fetchall()}
        except duckdb.Error as error:
            raise self.translate_error(error) from None

    def filter_rows(self, columns: Sequence[tuple[str, str]], rows: pa.Table, predicates: Sequence[str]) -> list[int]:
        """Indexes of the ``rows`` (typed per ``columns``) for which every predicate is true.

        The rows go into a scratch table of the query's own transaction, so predicates mean what
        they mean in the final query (same types, same ``now()``).
        """
        with self._lock:
            return self._filter_rows(columns, rows, predicates)

    def _filter_rows(self, columns: Sequence[tuple[str, str]], rows: pa.Table, predicates: Sequence[str]) -> list[int]:
        schema, table = "bbsql_work", f"rows_{len(self._tables)}"
        index_column = "__bbsql_row"
        self.create_table(schema, table, [*columns, (index_column, "BIGINT")])
        indexed = rows.append_column(index_column, positions(rows.num_rows))
        self.insert(schema, table, indexed)
        self._probe_predicates(columns, predicates)
        where = _keep_unless_false(predicates)
        sql = (f"SELECT {quote_identifier(index_column)} FROM {quote_identifier(schema)}.{quote_identifier(table)} "
               f"WHERE {where} ORDER BY 1")
        try:
            return [row[0] for row in self.connection.execute(sql).fetchall()]
        except duckdb.Error as error:
            raise self.translate_error(error) from None

    def insert(self, schema: str, name: str, rows: pa.Table) -> None:
        """Give ``schema.name`` these rows.

        A query's table is read in place: the empty table the query was bound against becomes a
        view over the Arrow rows with the same columns and types, so DuckDB does not copy them
        (that copy was a fifth of a large query's memory). Scratch tables (``bbsql_work``) take
        a copy, as they are written more than once.
        """
        if rows.num_rows == 0:
            return
        if schema != "bbsql_work":
            self._read_in_place(schema, name, rows)
            return
        view = "__bbsql_rows"
        self.connection.register(view, rows)
        try:
            self.connection.execute(
                f"INSERT INTO {quote_identifier(schema)}.{quote_identifier(name)} SELECT * FROM {view}"
            )
        finally:
            self.connection.unregister(view)

    def _read_in_place(self, schema: str, name: str, rows: pa.Table) -> None:
        import pyarrow as pa

        key = (schema, name)
        target = f"{quote_identifier(schema)}.{quote_identifier(name)}"
        if key in self._arrow:  # rows given twice: one view over both
            rows = pa.concat_tables([self._arrow[key], rows])
            self.connection.unregister(self._sources[key])
            self.connection.execute(f"DROP VIEW {target}")
        else:
            self._sources[key] = f"__bbsql_arrow_{len(self._sources)}"
            self.connection.execute(f"DROP TABLE {target}")
        self._arrow[key] = rows  # DuckDB reads it while the query runs
        self._typed_view(key, target, rows)

    def scanned_once(self, sql: str, schema: str, name: str) -> bool:
        """Whether DuckDB's plan of ``sql`` reads ``schema.name`` exactly once: one scan, not
        inside a recursive CTE (which runs its part again each round). Only such a table can be
        read from a stream (:meth:`read_stream`), which gives its rows one time.

        The plan is made over a stand-in of unknown content (the table's columns cast from an
        empty Arrow stream, as :meth:`read_stream` reads it): over the empty table itself DuckDB
        proves any filter false (``EMPTY_RESULT``, no scan at all), and a query with a WHERE
        clause was then never streamed. The table is put back afterwards.
        """
        import pyarrow as pa

        key = (schema, name)
        target = f"{quote_identifier(schema)}.{quote_identifier(name)}"
        source = "__bbsql_stand_in"
        columns = self._tables[key]
        schema_of_strings = pa.schema([(column, pa.string()) for column, _ in columns])
        empty = pa.RecordBatchReader.from_batches(schema_of_strings, iter([]))  # EXPLAIN reads nothing
        self.connection.execute(f"DROP TABLE {target}")
        try:
            self.connection.register(source, empty)
            self.connection.execute(f"CREATE VIEW {target} AS {_typed_select(columns, source)}")
            try:
                plan = json.loads(self.connection.execute("EXPLAIN (FORMAT JSON) " + sql).fetchall()[0][1])
            except (duckdb.Error, ValueError, IndexError, TypeError):
                return False
        finally:
            self.connection.execute(f"DROP VIEW IF EXISTS {target}")
            self.connection.unregister(source)
            self.connection.execute(f"CREATE TABLE {target} ({_table_body(columns)})")
        scans = 0
        pending = [(node, False) for node in plan] if isinstance(plan, list) else [(plan, False)]
        while pending:
            node, repeated = pending.pop()
            kind = str(node.get("name", "")).strip()
            repeated = repeated or kind.startswith("REC")  # REC_CTE and its kin run their children again
            if "ARROW_SCAN" in kind:  # the one Arrow source of this database: the stand-in
                if repeated:
                    return False
                scans += 1
            pending.extend((child, repeated) for child in node.get("children", []))
        return scans == 1

    def read_stream(self, schema: str, name: str, reader: pa.RecordBatchReader) -> None:
        """Let ``schema.name`` be read from an Arrow stream (once, by the query): rows that are
        still being fetched (engine/row_stream.py). The view casts each column as _read_in_place's."""
        key = (schema, name)
        target = f"{quote_identifier(schema)}.{quote_identifier(name)}"
        self._sources[key] = f"__bbsql_stream_{len(self._sources)}"
        self.connection.execute(f"DROP TABLE {target}")
        self._arrow[key] = reader
        self._typed_view(key, target, reader)

    def _typed_view(self, key: tuple[str, str], target: str, rows: pa.Table | pa.RecordBatchReader) -> None:
        """``target`` as a view over ``rows`` (registered under the key's source name), each
        column cast to the type the query was bound against."""
        self.connection.register(self._sources[key], rows)
        self.connection.execute(f"CREATE VIEW {target} AS {_typed_select(self._tables[key], self._sources[key])}")

    def bind(self, sql: str) -> None:
        """Check the query against the (empty) tables; raise engine errors for mistakes."""
        try:
            self.connection.sql(sql)
        except duckdb.Error as error:
            raise self.translate_error(error) from None

    def run(self, sql: str, max_rows: int | None) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
        """Execute; (column names, DuckDB type names, rows) with at most ``max_rows`` rows."""
        try:
            result = self.connection.execute(sql)
            names = [column[0] for column in result.description or []]
            types = [str(column[1]) for column in result.description or []]
            rows = result.fetchmany(max_rows) if max_rows is not None else result.fetchall()
        except duckdb.Error as error:
            raise self.translate_error(error) from None
        return names, types, rows

    def columns(self, sql: str) -> tuple[list[str], list[str]]:
        """(column names, DuckDB type names) of a query's result, without running it."""
        try:
            relation = self.connection.sql(sql)
        except duckdb.Error as error:
            raise self.translate_error(error) from None
        if relation is None:
            return [], []
        return list(relation.columns), [str(kind) for kind in relation.types]

    def stream_rows(self, sql: str, batch_rows: int) -> Iterator[list[tuple[Any, ...]]]:
        """Execute; the rows in batches of Python values (``fetchmany``: DuckDB streams them)."""
        try:
            result = self.connection.execute(sql)
            while batch := result.fetchmany(batch_rows):
                yield batch
        except duckdb.Error as error:
            raise self.translate_error(error) from None

    def stream_arrow(self, sql: str, batch_rows: int) -> Iterator[pa.RecordBatch]:
        """Execute; the rows as Arrow record batches (DuckDB's Arrow types), streamed."""
        try:
            relation = self.connection.sql(sql)
            if relation is None:
                return
            reader = relation.to_arrow_reader(batch_rows)
            empty = True
            for batch in reader:
                empty = False
                yield batch
            if empty:  # no rows: the columns and their types still make a (parquet) file's schema
                import pyarrow as pa

                yield pa.RecordBatch.from_pylist([], schema=reader.schema)
        except duckdb.Error as error:
            raise self.translate_error(error) from None

    def translate_error(self, error: duckdb.Error) -> EngineError:
        message = str(error).strip()
        first_line = message.splitlines()[0] if message else type(error).__name__
        match = _TABLE_COLUMN.search(message)
        if match:
            table, column = match.groups()
            known = self._columns_of(table)
            return UnknownColumnError(column, table, difflib.get_close_matches(column.lower(), known, n=3, cutoff=0.5))
        match = _MISSING_COLUMN.search(message)
        if match:
            column = match.group(1)
            candidates_match = _CANDIDATES.search(message)
            candidates = []
            if candidates_match:
                candidates = [c.strip().strip('"') for c in candidates_match.group(1).split(",") if c.strip()]
            known = sorted({col for cols in self._tables.values() for col, _ in cols})
            closest = difflib.get_close_matches(column.split(".")[-1].lower(), known, n=3, cutoff=0.5)
            return UnknownColumnError(column, None, closest or candidates[:3])
        if isinstance(error, duckdb.ParserException):
            return SqlSyntaxError(f"SQL syntax error: {first_line}. Check the SQL near the position DuckDB names.")
        return EngineError(f"The query failed in the local SQL engine (DuckDB): {first_line}")

    def _columns_of(self, table: str) -> list[str]:
        lowered = table.lower()
        for (_, name), columns in self._tables.items():
            if name.lower() == lowered:
                return [col for col, _ in columns]
        return sorted({col for cols in self._tables.values() for col, _ in cols})


def _keep_unless_false(predicates: Sequence[str]) -> str:
    """A WHERE clause true where every predicate is true, and where evaluating one fails at run time.

    Key filtering may only drop what the final query would drop: a value it cannot evaluate is kept
    (the final query decides), and ``TRY`` keeps that run-time error from aborting the transaction.
    """
    return " AND ".join(f"coalesce(TRY(CASE WHEN ({predicate}) THEN 1 ELSE 0 END), 1) = 1" for predicate in predicates)
