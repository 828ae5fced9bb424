"""``Engine``: SQL in, rows out, with the fewest requests that can answer the query.

The path of one query (see docs/architecture.md for the reasoning):

1. parse (sqlglot, DuckDB dialect) after binding ``?`` parameters; EXPLAIN is recognised;
2. resolve table references (schemas are workspaces) and build an empty, typed local DuckDB
   database; binding the query there catches unknown columns before any request;
3. analyze the query per reference and plan the requests (pushdown), parents before children;
4. fetch with the API client (concurrently, cached), load the rows into DuckDB;
5. run the *original* query in DuckDB, rename computed columns PostgreSQL-style, cap MaxRows.
"""

from __future__ import annotations

import contextvars
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlglot import exp

from bitbucket_sql.api.settings import ConnectionSettings
from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.model import TableDef

from . import procedure_tables, procedures, strategies
from . import system_tables as meta
from .analysis import RefFacts, analyze
from .answers import open_answer_cache
from .arrow_rows import ArrowRows, arrow_table, spec_of, unique_rows
from .cache import TTLCache
from .cache_scans import open_scan_cache, widen_plans
from .database import LocalDatabase
from .deadline import QueryDeadline
from .errors import EngineError, QueryTimeoutError, QueryWarning, UnknownTableError
from .estimate import SAMPLED_SCOPES, estimate_of_choice, estimate_scan, listing_requests
from .explain import explain_lines, plural
from .fetcher import Fetcher, ScanReport
from .lazy_client import LazyClient
from .naming import apply_private_aliases
from .planner import ScanPlan, plan_query
from .pushdown import Folder
from .references import DEFAULT_DUCKDB_SCHEMA, TableRef, resolve_references
from .result import Progress, QueryResult, QueryStats, ResultColumn, ResultStream
from .row_stream import RowStream
from .rows import Row, to_arrow
from .statements import DIALECT, Statement, parse_statement, split_explain
from .writes import WriteMethods, is_write

if TYPE_CHECKING:
    from bitbucket_sql.api.client import BitbucketClient

_T = TypeVar("_T")

#: Cache bounds: results by rows, scans by items (a few hundred MB at most).
RESULT_CACHE_ROWS = 500_000
SCAN_CACHE_ITEMS = 500_000


@dataclass
class _Prepared:
    """A query ready to fetch: references, plans in fetch order, the local database."""

    statement: Statement
    refs: dict[int, TableRef]
    facts: dict[int, RefFacts]
    plans: list[tuple[int, ScanPlan]]
    local_sql: str
    names: dict[str, str]
    database: LocalDatabase
    reports: dict[int, ScanReport] = field(default_factory=dict)


class Engine(WriteMethods):
    """The pushdown query engine of one connection.

    ``pushdown=False`` fetches every scope without filter, sort, limit or projection (except
    ``+values.x`` for fields the list endpoint omits): slower, but the reference for tests
    that check pushdown never changes a result.
    """

    def __init__(
        self,
        settings: ConnectionSettings | None = None,
        client: BitbucketClient | None = None,
        *,
        pushdown: bool = True,
    ) -> None:
        if settings is None:
            settings = client.settings if client is not None else ConnectionSettings()
        self.settings = settings
        self._owns_client = client is None
        # made on the first request: SELECT 1, the catalog and cached answers need no HTTP stack
        self.client: Any = client if client is not None else LazyClient(settings)
        self.pushdown = pushdown
        # Cache=persistent: small answers are on disk too, for a repeat in another process (engine/answers.py)
        self.result_cache: TTLCache[QueryResult] = open_answer_cache(
            settings, max_weight=RESULT_CACHE_ROWS, weigh=lambda r: len(r.rows)
        )
        # Cache=persistent (default): shared on disk by every process (engine/cache_scans.py)
        self.scan_cache: TTLCache[list[Any]] = open_scan_cache(settings, self.client, SCAN_CACHE_ITEMS)
        self._known_schemas: list[str] = []
        self._lock = threading.Lock()
        self._closed = False

    # --- catalog --------------------------------------------------------------------------
    @property
    def default_schema(self) -> str | None:
        """The connection's Workspace (the schema of unqualified table names)."""
        return self.settings.workspace

    def tables(self) -> tuple[TableDef, ...]:
        return registry.all_tables()

    def table(self, name: str) -> TableDef:
        table = registry.get_table(name)
        if table is None:
            raise UnknownTableError(name, registry.closest_tables(name))
        return table

    def close(self) -> None:
        """Release caches, and the client when the engine created it."""
        if self._closed:
            return
        self._closed = True
        self.result_cache.close()  # kept on disk for other connections; a write clears it (forget_cached)
        self.scan_cache.close()  # a persistent cache keeps its entries for other connections
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- queries --------------------------------------------------------------------------
    def execute(
        self,
        sql: str,
        params: Sequence[Any] | None = None,
        *,
        progress: Callable[[Progress], None] | None = None,
        stream: bool = False,
        whole_up_to: int | None = None,
    ) -> QueryResult:
        """Run one query (or ``EXPLAIN [ANALYZE] <query>``) and return its result.

        ``stream=True`` leaves a query's rows in DuckDB to be read batch by batch from
        ``result.stream`` (:class:`~.result.ResultStream`: exports of any size in little memory).
        With ``whole_up_to``, a streamed result of at most that many rows comes whole instead
        (``rows``, cached as any answer): only a large result stays in DuckDB (the DB-API).
        """
        self._check_open()
        call = procedures.parse_call(sql, params)
        if call is not None:  # CALL procedure(...): a Bitbucket action (engine/procedures.py)
            return procedures.execute_call(self, call)
        if is_write(sql):  # INSERT, UPDATE, DELETE (engine/writes)
            return self.execute_write(sql, params)
        statement = parse_statement(sql, params)
        if statement.explain != "none":
            return self._explain(statement, analyze=statement.explain == "analyze", progress=progress)
        return self._run(statement, progress, stream, whole_up_to)

    def explain(self, sql: str, params: Sequence[Any] | None = None, analyze: bool = False) -> QueryResult:
        """The plan of a query as rows of text (``analyze=True`` runs it and adds the costs)."""
        self._check_open()
        call = procedures.parse_call(sql, params)
        if call is not None:
            return procedures.execute_call(self, replace(call, explain="analyze" if analyze else "explain"))
        if is_write(sql):
            return self.execute_write(sql if split_explain(sql)[0] != "none" else "EXPLAIN " + sql, params)
        statement = parse_statement(sql, params)
        return self._explain(statement, analyze=analyze or statement.explain == "analyze", progress=None)

    def describe(self, sql: str, params: Sequence[Any] | None = None) -> list[ResultColumn]:
        """The result columns of a query without running it: no API request is made.

        The query is bound against the empty, typed local tables (as every query is before
        fetching), so unknown tables and columns raise here too. The SQL server answers a
        client's Describe (of a prepared statement) with this.
        """
        self._check_open()
        call = procedures.parse_call(sql, params)
        if call is not None:
            return procedures.describe_call(call)
        if is_write(sql):
            return self.describe_write(sql, params)
        statement = parse_statement(sql, params)
        if statement.explain != "none":
            return [ResultColumn("plan", "VARCHAR")]
        with self.client.recording():
            prepared = self._prepare(statement)
            try:
                relation = prepared.database.connection.sql(prepared.local_sql)
                names, types = list(relation.columns), [str(kind) for kind in relation.types]
            finally:
                prepared.database.close()
        return [ResultColumn(prepared.names.get(name, name), kind) for name, kind in zip(names, types, strict=True)]

    def _check_open(self) -> None:
        if self._closed:
            raise EngineError("This connection's engine is closed; open a new connection to run queries.")

    def _cache_key(self, statement: Statement) -> tuple[Any, ...]:
        return statement.sql, self.default_schema, self.pushdown

    def _run(self, statement: Statement, progress: Callable[[Progress], None] | None,
             stream: bool = False, whole_up_to: int | None = None) -> QueryResult:
        started = time.monotonic()
        cached = self.result_cache.get(self._cache_key(statement))
        if cached is not None:
            stats = QueryStats(rows_returned=len(cached.rows), cache_hits=max(1, cached.stats.cache_hits),
                               elapsed_s=time.monotonic() - started)
            _issue(cached.warnings)
            return QueryResult(list(cached.columns), list(cached.rows), stats, list(cached.warnings))
        result, _ = self._execute(statement, progress, started, streamed=stream, whole_up_to=whole_up_to)
        if result.stream is None:  # a streamed result's rows are read once, by its caller
            self.result_cache.put(self._cache_key(statement), result)
        _issue(result.warnings)
        return result

    def _execute(
        self, statement: Statement, progress: Callable[[Progress], None] | None, started: float,
        scan_cache: TTLCache[list[Any]] | None = None, *, uncapped: bool = False, streamed: bool = False,
        whole_up_to: int | None = None,
    ) -> tuple[QueryResult, _Prepared]:
        deadline = self._deadline(started)
        with self.client.recording() as recording:
            prepared = self._prepare(statement, streamed=streamed)
            try:
                fetcher = self._fetcher(progress, started, recording, prepared.database, deadline, scan_cache)
                planned_at = time.monotonic()
                feed = self._fetch_while_read(prepared, fetcher) if streamed else None
                if feed is None:
                    rows_fetched = deadline.run(lambda: self._fetch(prepared, fetcher),
                                                phase="fetching rows from Bitbucket", on_abandon=prepared.database.close)
                else:  # the rows are fetched while the result is read: figures at its end
                    rows_fetched = 0
                fetched_at = time.monotonic()
                max_rows = self.settings.max_rows if self.settings.max_rows >= 0 and not uncapped else None
                if streamed:  # the rows stay in DuckDB until the caller reads them (ResultStream)
                    names, types = prepared.database.columns(prepared.local_sql)
                    rows: list[tuple[Any, ...]] = []
                else:
                    names, types, rows = _run_local(prepared.database, prepared.local_sql, max_rows, deadline)
            except BaseException:
                if streamed and not deadline.abandoned:
                    prepared.database.close()
                raise
            finally:
                if not deadline.abandoned and not streamed:  # else the fetch thread closes it when it stops
                    prepared.database.close()
        finished = time.monotonic()
        columns = [ResultColumn(prepared.names.get(name, name), kind) for name, kind in zip(names, types, strict=True)]
        stats = QueryStats(
            requests=recording.requests,
            retries=recording.retries,
            bytes=recording.bytes,
            rows_fetched=rows_fetched,
            rows_returned=len(rows),
            elapsed_s=finished - started,
            api_s=fetched_at - planned_at,
            local_s=(planned_at - started) + (finished - fetched_at),
            cache_hits=fetcher.cache_hits,
        )
        result = QueryResult(columns, rows, stats, list(fetcher.warnings))
        if streamed:
            # read ahead no more than needed to tell a small result from a large one
            batch_rows = whole_up_to + 1 if whole_up_to is not None else ResultStream.BATCH_ROWS
            on_finish = None
            if feed is not None:
                def on_finish() -> None:  # the fetch is over (it ends before the rows do)
                    stats.requests, stats.retries, stats.bytes = recording.requests, recording.retries, recording.bytes
                    stats.rows_fetched, stats.cache_hits = feed.rows_fetched, fetcher.cache_hits
                    stats.api_s = feed.fetch_seconds
                    stats.elapsed_s = time.monotonic() - started
                    stats.local_s = max(0.0, stats.elapsed_s - stats.api_s)
                    later = [message for message in fetcher.warnings if message not in result.warnings]
                    result.warnings.extend(later)
                    _issue(later)
            result.stream = ResultStream(prepared.database, prepared.local_sql, max_rows, stats, batch_rows,
                                         feed=feed, on_finish=on_finish)
            if whole_up_to is not None:
                whole = _head(result.stream, whole_up_to, deadline, prepared.database)
                if whole is not None:
                    result.rows, result.stream = whole, None
                    stats.local_s += time.monotonic() - finished
                    stats.elapsed_s = time.monotonic() - started
        return result, prepared

    def _fetcher(
        self,
        progress: Callable[[Progress], None] | None,
        started: float,
        recording: Any = None,
        database: LocalDatabase | None = None,
        deadline: QueryDeadline | None = None,
        scan_cache: TTLCache[list[Any]] | None = None,
    ) -> Fetcher:
        return Fetcher(
            self.client,
            max_fanout=self.settings.max_fanout,
            pushdown=self.pushdown,
            scan_cache=scan_cache if scan_cache is not None else self.scan_cache,
            progress=progress,
            started=started,
            recording=recording,
            value_filter=database.filter_values if database is not None else None,
            deadline=deadline,
        )

    def _deadline(self, started: float) -> QueryDeadline:
        """The query's QueryTimeout deadline, counted from when the query started."""
        return QueryDeadline(getattr(self.settings, "query_timeout", None), started)

    # --- preparation ----------------------------------------------------------------------
    def _prepare(self, statement: Statement, *, streamed: bool = False) -> _Prepared:
        tree = cast(exp.Expression, statement.tree.copy())
        refs = resolve_references(tree, self.default_schema)
        names = apply_private_aliases(tree)
        rewritten = names or any(ref.kind == "information_schema" for ref in refs.values())
        # the user's own text unless it had to change: no sqlglot round trip can alter its meaning
        local_sql = tree.sql(dialect=DIALECT) if rewritten else statement.sql
        # a result read as a stream over one table is read in order, by one thread (its rows come
        # as an Arrow stream): a second DuckDB worker would only hold buffers of its own (~5 MiB)
        one_stream = streamed and len(refs) == 1 and next(iter(refs.values())).kind == "catalog"
        database = LocalDatabase(threads=1 if one_stream else 2)
        try:
            schema: dict[str, dict[str, dict[str, str]]] = {}
            for ref in refs.values():
                columns = _columns_of(ref)
                database.create_table(ref.duckdb_schema, ref.name, columns)
                schema.setdefault(ref.duckdb_schema, {})[ref.name] = {name: kind for name, kind in columns}
            database.use(self.default_schema or DEFAULT_DUCKDB_SCHEMA)
            database.lock()
            database.begin()
            database.bind(local_sql)
            catalog_refs = {ref_id: ref for ref_id, ref in refs.items() if ref.kind == "catalog"}
            max_rows = self.settings.max_rows if self.settings.max_rows >= 0 else None
            facts = analyze(tree, catalog_refs, schema, self.default_schema or DEFAULT_DUCKDB_SCHEMA,
                            max_rows=max_rows) if catalog_refs else {}
            plans = self._plan(catalog_refs, facts, lambda node: database.evaluate(node.sql(dialect=DIALECT)))
            widen_plans(self.scan_cache, plans)  # whole rows when cached on disk (cache_scans.widen_plans)
        except BaseException:
            database.close()
            raise
        return _Prepared(statement, refs, facts, plans, local_sql, names, database)

    def _plan(
        self, refs: dict[int, TableRef], facts: dict[int, RefFacts], fold: Folder | None = None
    ) -> list[tuple[int, ScanPlan]]:
        """Plans in fetch order (``planner.plan_query``: one pass over the references)."""
        return plan_query(refs, facts, pushdown=self.pushdown, fold=fold, default_repository=self._default_repository)

    def _default_repository(self, ref: TableRef) -> str | None:
        """The connection's Repository, for references in the connection's Workspace only."""
        repository = self.settings.repository
        if not repository or ref.workspace is None or ref.workspace != self.default_schema:
            return None
        return repository

    # --- fetching -------------------------------------------------------------------------
    def _fetch(self, prepared: _Prepared, fetcher: Fetcher) -> int:
        """Fetch every scan and metadata table into the local database; returns rows fetched."""
        synced = self.settings.synced_database
        if synced:
            from .synced import SyncedCopy  # bbsql sync's copy answers instead of the API

            return SyncedCopy(synced).load(
                prepared, self.default_schema,
                lambda ref: to_arrow(_columns_of(ref), self._metadata_rows(ref, fetcher)), to_arrow)
        ref_rows: dict[int, Sequence[Row]] = {}
        fetched_rows: dict[int, Sequence[Row]] = {}  # before key filters: what a shared scan reuses
        by_physical: dict[tuple[str, str], list[Sequence[Row]]] = {}  # each scan's rows (Arrow)
        if prepared.plans:  # once per query (headroom moves as it runs); a query of no table needs no client
            fetcher.goal = strategies.goal(self.settings, self.client)
        fetcher.ref_tables = {ref_id: ref.table for ref_id, ref in prepared.refs.items() if ref.table is not None}
        fetched = 0
        key_sources = {link.source_ref for _, plan in prepared.plans
                       for link in [*plan.links.values(), *plan.link_terms]}
        done: set[int] = set()
        pending = list(prepared.plans)
        while pending:
            wave = _independent(pending, done, prepared)
            results = self._fetch_wave(wave, fetcher, ref_rows, prepared, by_physical, fetched_rows)
            for (ref_id, plan), (rows, shared) in zip(wave, results, strict=True):
                ref_rows[ref_id] = rows
                fetched_rows[ref_id] = rows
                done.add(ref_id)
                if not shared:
                    fetched += len(rows)
                    by_physical.setdefault(prepared.refs[ref_id].physical, []).append(rows)
                elif plan.shared_with is None:
                    continue  # a whole-table scan of a table without identity
                if ref_id in key_sources and plan.key_filter:
                    ref_rows[ref_id] = _passing(prepared.database, plan, rows)
                    prepared.reports[ref_id].keys_passed = (len(ref_rows[ref_id]), len(rows))
            pending = [item for item in pending if item[0] not in done]
        loaded: set[tuple[str, str]] = set()
        for ref in prepared.refs.values():
            if ref.physical in loaded:
                continue
            loaded.add(ref.physical)
            if ref.kind == "catalog":
                assert ref.table is not None
                prepared.database.insert(ref.duckdb_schema, ref.name,
                                         unique_rows(ref.table, by_physical.pop(ref.physical, [])))
            else:
                rows = self._metadata_rows(ref, fetcher)
                prepared.database.insert(ref.duckdb_schema, ref.name, to_arrow(_columns_of(ref), rows))
        return fetched

    def _fetch_while_read(self, prepared: _Prepared, fetcher: Fetcher) -> RowStream | None:
        """For a query over one table whose result is read as a stream: start its fetch on a
        thread of its own, its rows going to DuckDB as they come (engine/row_stream.py), and
        return the stream once the scan's requests are known. None when the query has joins,
        several references or a synced copy: those fetch everything first (``_fetch``)."""
        if self.settings.synced_database or len(prepared.plans) != 1 or len(prepared.refs) != 1:
            return None
        ref_id, plan = prepared.plans[0]
        ref = prepared.refs[ref_id]
        if ref.kind != "catalog" or ref.table is None or plan.links or plan.link_terms or plan.shared_with is not None:
            return None
        if not prepared.database.scanned_once(prepared.local_sql, ref.duckdb_schema, ref.name):
            return None  # a stream gives its rows once (a recursive CTE reads its table each round)
        feed = RowStream(ref.table, fetcher.deadline.check if fetcher.deadline is not None else None)
        fetcher.row_stream = feed
        fetcher.goal = strategies.goal(self.settings, self.client)
        fetcher.ref_tables = {ref_id: ref.table}
        report = prepared.reports[ref_id] = ScanReport(plan=plan)

        def fetch() -> None:
            began, error = time.monotonic(), None
            try:
                choice = report.choice = self._choose(plan, {}, prepared, fetcher)
                rows = choice.strategy.fetch(fetcher, plan, {}, report)
                if not feed.used:  # a strategy that builds its rows itself: they go in one piece
                    feed.begin([{}])
                    feed.add(0, rows)
                    feed.finish(0)
            except BaseException as failure:  # noqa: BLE001 - handed to the reader, raised there
                error = failure
            finally:
                feed.fetch_seconds = time.monotonic() - began
                feed.end(error)

        prepared.database.read_stream(ref.duckdb_schema, ref.name, feed.reader())
        thread = threading.Thread(target=contextvars.copy_context().run, args=(fetch,), daemon=True,
                                  name="bbsql-fetch-while-read")
        thread.start()
        feed.begun.wait()  # the fetch filters key values in DuckDB before it knows its requests
        return feed

    def _fetch_wave(
        self,
        wave: list[tuple[int, ScanPlan]],
        fetcher: Fetcher,
        ref_rows: dict[int, Sequence[Row]],
        prepared: _Prepared,
        by_physical: dict[tuple[str, str], list[Sequence[Row]]],
        fetched_rows: dict[int, Sequence[Row]],
    ) -> list[tuple[Sequence[Row], bool]]:
        """Fetch scans that do not depend on each other concurrently; (rows, shared whole-table scan) each.

        Each scan runs on its own thread (in a copy of this context, so the query's request
        accounting sees its requests); their requests share the client's pool, so MaxConcurrency
        still bounds what is in flight.
        """

        def one(ref_id: int, plan: ScanPlan) -> tuple[Sequence[Row], bool]:
            report = ScanReport(plan=plan)
            prepared.reports[ref_id] = report
            physical = prepared.refs[ref_id].physical
            if not plan.table.primary_key and physical in by_physical:
                # same whole-table scan (see _plan)
                return ArrowRows(spec_of(plan.table), [arrow_table(plan.table, by_physical[physical])]), True
            if plan.shared_with is not None and plan.shared_with in fetched_rows:
                source = prepared.facts.get(plan.shared_with)
                report.shared_with = (source.alias if source is not None else "") or plan.table.name
                return fetched_rows[plan.shared_with], True  # same table, scope and filter (planner.share_scans)
            choice = self._choose(plan, ref_rows, prepared, fetcher)
            report.choice = choice
            return choice.strategy.fetch(fetcher, plan, ref_rows, report), False

        if len(wave) == 1:
            return [one(*wave[0])]
        with ThreadPoolExecutor(max_workers=len(wave), thread_name_prefix="bbsql-scan") as threads:
            futures = [threads.submit(contextvars.copy_context().run, one, ref_id, plan) for ref_id, plan in wave]
            return [future.result() for future in futures]

    def _choose(self, plan: ScanPlan, ref_rows: dict[int, Sequence[Row]], prepared: _Prepared,
                fetcher: Fetcher) -> strategies.Choice:
        """The cheapest strategy for ``plan`` now that the rows its joins need are fetched."""
        context = strategies.join_context(
            plan, ref_rows, fetcher.ref_tables, dict(prepared.plans),
            concurrency=self.settings.max_concurrency,
            optimize=fetcher.goal or strategies.goal(self.settings, self.client))
        # what the scan cache holds of this join's listings per parent: known counts, not guesses
        return strategies.choose(plan, strategies.with_cached_counts(context, plan, ref_rows, fetcher))

    def _metadata_rows(self, ref: TableRef, fetcher: Fetcher) -> list[Row]:
        tables = [t for t in registry.all_tables() if not t.removed]
        if ref.name == "sys_schemas" and ref.kind == "system":
            items = list(self.client.paginate("/user/workspaces", None, pagelen=_workspaces_pagelen()))
            rows = meta.sys_schema_rows(items)
            with self._lock:
                for row in rows:
                    if row[1] and row[1] not in self._known_schemas:
                        self._known_schemas.append(row[1])
            return rows
        schemas = self._schemas_for_metadata()
        if ref.kind == "system":
            if ref.name == "sys_tables":
                return meta.sys_table_rows(schemas, registry.all_tables())
            if ref.name == "sys_procedures":
                return procedure_tables.sys_procedure_rows(schemas)
            if ref.name == "sys_procedureparameters":
                return procedure_tables.sys_procedure_parameter_rows(schemas)
            return meta.sys_column_rows(schemas, registry.all_tables())
        if ref.name == "tables":
            return meta.info_table_rows(schemas, tables)
        if ref.name == "columns":
            return meta.info_column_rows(schemas, tables)
        return meta.info_schemata_rows(schemas)

    def _schemas_for_metadata(self) -> list[str | None]:
        with self._lock:
            known: list[str | None] = list(dict.fromkeys(
                ([self.default_schema] if self.default_schema else []) + self._known_schemas
            ))
        return known or [None]

    # --- EXPLAIN --------------------------------------------------------------------------
    def _explain(
        self, statement: Statement, *, analyze: bool, progress: Callable[[Progress], None] | None
    ) -> QueryResult:
        started = time.monotonic()
        # EXPLAIN ANALYZE lists the parents twice (to estimate, then to run): the second time from
        # a cache, even when CacheTTL=0, so estimating costs only its samples
        shared: TTLCache[list[Any]] = self.scan_cache
        if analyze and not self.scan_cache.enabled:
            shared = TTLCache(3600, max_weight=SCAN_CACHE_ITEMS, weigh=len)
        scans, prepared, recording, cache_hits = self._counted(statement, started, shared)
        total, at_least = _estimate_total(scans)
        estimate = (f"Estimate: {'at least ' if at_least else '~'}{plural(total, 'request')} for the whole query "
                    f"(the scans' estimates plus the parent listings)")
        if analyze:
            estimated = {report.plan.ref.ref_id: report.estimate for report, _ in scans if report.plan.ref is not None}
            result, prepared = self._execute(statement, progress, time.monotonic(), shared)
            for ref_id, report in prepared.reports.items():
                report.estimate = estimated.get(ref_id)
            scans = [(prepared.reports[ref_id], prepared.facts.get(ref_id, RefFacts(ref_id)).alias)
                     for ref_id, _ in prepared.plans]
            system = [ref.name for ref in prepared.refs.values() if ref.kind != "catalog"]
            estimate += (f"; actual {plural(result.stats.requests, 'request')} (estimating beforehand took "
                         f"{plural(recording.requests, 'request')}, not counted; the parent listings it made were "
                         f"reused)")
            lines = explain_lines(scans, system, prepared.statement.sql, analyze=True, enumeration_requests=0,
                                  stats=result.stats, rate_limit=self._rate_limit(), estimate=estimate)
            return _text_result(lines, result.stats)
        system = [ref.name for ref in prepared.refs.values() if ref.kind != "catalog"]
        lines = explain_lines(scans, system, prepared.statement.sql, analyze=False,
                              enumeration_requests=recording.requests, rate_limit=self._rate_limit(),
                              estimate=estimate)
        stats = QueryStats(requests=recording.requests, retries=recording.retries, bytes=recording.bytes,
                           elapsed_s=time.monotonic() - started, cache_hits=cache_hits)
        return _text_result(lines, stats)

    def _counted(
        self, statement: Statement, started: float, scan_cache: TTLCache[list[Any]] | None = None
    ) -> tuple[list[tuple[ScanReport, str]], _Prepared, Any, int]:
        """Every scan's report with its scopes counted (parents enumerated) and its requests estimated."""
        deadline = self._deadline(started)
        with self.client.recording() as recording:
            prepared = self._prepare(statement)
            try:
                fetcher = self._fetcher(None, started, recording, prepared.database, deadline, scan_cache)
                fetcher.ref_tables = {i: r.table for i, r in prepared.refs.items() if r.table is not None}

                key_sources = {link.source_ref for _, plan in prepared.plans for link in plan.links.values()}

                goal = strategies.goal(self.settings, self.client)
                by_ref = dict(prepared.plans)

                def count() -> list[tuple[ScanReport, str]]:
                    counted = []
                    rows: dict[int, int | None] = {}
                    scopes: dict[int, int | None] = {}
                    names: dict[int, str] = {}
                    for ref_id, plan in prepared.plans:
                        report = ScanReport(plan=plan)
                        if plan.shared_with is not None:
                            report.shared_with = names.get(plan.shared_with, plan.table.name)
                            report.scopes = 0
                            rows[ref_id] = rows.get(plan.shared_with)
                            counted.append((report, prepared.facts.get(ref_id, RefFacts(ref_id)).alias))
                            continue
                        fetcher.count(plan, report)
                        alias = prepared.facts.get(ref_id, RefFacts(ref_id)).alias
                        names[ref_id] = alias or plan.table.name
                        sources = [link.source_ref for link in plan.links.values()]
                        source = sources[0] if sources else None
                        # a sample costs a request: worth it for several scopes or a join's key source
                        worth = ref_id in key_sources or (report.scopes or 0) >= 2
                        # scopes counted from the scan cache are the sample (no request): a range
                        # early stop's later scopes, cached with their adapted page size, are not
                        # found under the full one, but its first ones tell the rows per scope
                        worth = worth and sum(count is not None for count in report.cached) < SAMPLED_SCOPES
                        report.estimate = estimate_scan(
                            plan, report.scopes, report.samples if worth else [], self.client,
                            source_rows=rows.get(source) if source is not None else None,
                            source_name=names.get(source, "") if source is not None else "",
                            concurrency=self.settings.max_concurrency, cached=report.cached,
                        )
                        scopes[ref_id] = report.scopes
                        context = strategies.Context(  # scopes: as the run knows them (strategies.run_scopes)
                            concurrency=self.settings.max_concurrency, optimize=goal,
                            scopes=strategies.run_scopes(plan, report.scopes),
                            parents=rows.get(source) if source is not None else None,
                            outer_scopes=scopes.get(source) if source is not None else None,
                            parents_filtered=strategies.filtered(by_ref[source]) if source in by_ref else True)
                        report.choice = strategies.choose(plan, context)
                        if report.choice.strategy.reshapes:  # another endpoint than the plan's own
                            report.estimate = estimate_of_choice(report.choice)
                        rows[ref_id] = report.estimate.rows
                        counted.append((report, alias))
                    return counted

                scans = deadline.run(count, phase="counting the scopes for EXPLAIN",
                                     on_abandon=prepared.database.close)
            finally:
                if not deadline.abandoned:
                    prepared.database.close()
        return scans, prepared, recording, fetcher.cache_hits


    def _rate_limit(self) -> Any:
        """The client's rate-limit figures, or None when the client does not provide them."""
        try:
            return self.client.rate_limit
        except AttributeError:
            return None


def _estimate_total(scans: list[tuple[ScanReport, str]]) -> tuple[int, bool]:
    """Estimated requests of the whole query: every scan's estimate plus its parent listings."""

    total, at_least = 0, False
    for report, _ in scans:
        # a strategy reading another endpoint estimates all it sends (the listing per author: its
        # members listing), not the parents EXPLAIN listed to count the plan's own scopes
        if report.choice is None or not report.choice.strategy.reshapes:
            total += listing_requests(report)
        if report.estimate is not None:
            total += report.estimate.requests
            at_least = at_least or report.estimate.at_least
    return total, at_least


def _run_local(
    database: LocalDatabase, sql: str, max_rows: int | None, deadline: QueryDeadline
) -> tuple[list[str], list[str], list[tuple[Any, ...]]]:
    """Run the query in DuckDB, interrupted at the query's deadline."""
    return _locally(database, deadline, lambda: database.run(sql, max_rows))


def _head(stream: ResultStream, limit: int, deadline: QueryDeadline,
          database: LocalDatabase) -> list[tuple[Any, ...]] | None:
    """``stream.head(limit)`` (the whole result when it is small), within the query's deadline."""
    return _locally(database, deadline, lambda: stream.head(limit))


def _locally(database: LocalDatabase, deadline: QueryDeadline, work: Callable[[], _T]) -> _T:
    """``work`` on the local database, interrupted (QueryTimeoutError) at the query's deadline."""
    deadline.check("running the query locally")
    timer = deadline.interrupt_at_deadline(database.connection.interrupt)
    try:
        return work()
    except EngineError:
        if timer is not None and deadline.expired():
            raise QueryTimeoutError(deadline.seconds or 0.0, "running the query locally (DuckDB)") from None
        raise
    finally:
        if timer is not None:
            timer.cancel()


def _issue(messages: list[str]) -> None:
    """Each warning of a result as a Python warning (DB-API users and the CLI see them)."""
    for message in messages:
        warnings.warn(message, QueryWarning, stacklevel=4)


def _text_result(lines: list[str], stats: QueryStats) -> QueryResult:
    stats = replace(stats, rows_returned=len(lines))
    return QueryResult([ResultColumn("plan", "VARCHAR")], [(line,) for line in lines], stats)


def _columns_of(ref: TableRef) -> list[tuple[str, str]]:
    if ref.table is not None:
        return [(column.name, column.type) for column in ref.table.columns]
    assert ref.system is not None
    return list(ref.system.columns)


def _independent(
    pending: list[tuple[int, ScanPlan]], done: set[int], prepared: _Prepared
) -> list[tuple[int, ScanPlan]]:
    """The pending scans whose join sources are all fetched (at least the first pending scan).

    Two references of one table never share a wave: they often send the same requests (a
    self-join, a recursive CTE), and one after the other the second finds them in the scan cache
    (tables without a primary key even share one whole-table scan).
    """
    wave: list[tuple[int, ScanPlan]] = []
    physicals: set[tuple[str, str]] = set()
    for ref_id, plan in pending:
        sources = {link.source_ref for link in [*plan.links.values(), *plan.link_terms]}
        physical = prepared.refs[ref_id].physical
        if not sources <= done or physical in physicals:
            continue
        physicals.add(physical)
        wave.append((ref_id, plan))
    return wave or pending[:1]


def _passing(database: LocalDatabase, plan: ScanPlan, rows: Sequence[Row]) -> Sequence[Row]:
    """The rows that pass the reference's own filters: only their keys go to joined children.

    Safe because analysis only gives a reference predicates that every row of the result must
    satisfy; if DuckDB cannot evaluate them here, every row is kept (more requests, same result).
    """
    if not rows:
        return rows
    try:
        kept = database.filter_rows([(c.name, c.type) for c in plan.table.columns], arrow_table(plan.table, [rows]),
                                    plan.key_filter)
    except EngineError:
        return rows
    return [rows[index] for index in kept]


def _workspaces_pagelen() -> int:
    table = registry.get_table("workspaces")
    return table.max_pagelen if table is not None else 100



