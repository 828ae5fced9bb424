"""Where a metric's SQL runs: live through the engine, or over a ``bbsql sync`` DuckDB file.

Both answer the same :class:`MetricResult`, so callers (the CLI, the dashboard, a notebook) do
not care which. Live runs go through :class:`~bitbucket_sql.engine.Engine` with its caches:
metrics over the same tables share their listings, and the result says how many requests the
metric cost and how much of the rate limit is left. A sync file is read with DuckDB directly
(read-only): the file has one schema per workspace with the catalog's table names and columns,
so the same SQL answers with zero requests.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bitbucket_sql.metrics.library import METRICS
from bitbucket_sql.metrics.model import Metric, MetricError, MetricParams, quote_identifier, render


@dataclass(frozen=True)
class RateLimit:
    """Requests this process used with the credential in the rolling hour, and what is left."""

    used_last_hour: int
    limit: int
    remaining: int


@dataclass
class MetricResult:
    """A metric's rows with what they cost (``requests`` is 0 from a sync file)."""

    metric: Metric
    params: MetricParams
    columns: list[str]
    rows: list[tuple[Any, ...]]
    requests: int = 0
    cache_hits: int = 0
    elapsed_s: float = 0.0
    sql: str = ""
    sql_params: list[Any] = field(default_factory=list)

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts (column -> value), dates and timestamps as ISO text, for JSON and charts."""
        return [{name: _plain(value) for name, value in zip(self.columns, row, strict=True)} for row in self.rows]


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


class MetricSource(Protocol):
    """Something that runs metric SQL: :class:`LiveSource` or :class:`SyncFileSource`."""

    live: bool

    def run(self, metric: Metric, params: MetricParams) -> MetricResult: ...

    def workspaces(self) -> list[str]: ...

    def repositories(self, workspace: str) -> list[tuple[str, str | None]]: ...

    def rate_limit(self) -> RateLimit | None: ...

    def close(self) -> None: ...


def get_metric(name: str) -> Metric:
    """The metric called ``name``, or a MetricError listing the known names."""
    for metric in METRICS:
        if metric.name == name:
            return metric
    known = ", ".join(m.name for m in METRICS)
    raise MetricError(f"unknown metric {name!r}; known metrics: {known} (see 'bbsql metrics')")


class LiveSource:
    """Metrics through the engine: pushed down, cached for the engine's CacheTTL."""

    live = True

    def __init__(self, engine: Any, owns_engine: bool = False) -> None:
        self.engine = engine
        self._owns_engine = owns_engine

    @classmethod
    def connect(cls, connection_string: str) -> LiveSource:
        from bitbucket_sql.api.settings import parse_connection_string
        from bitbucket_sql.engine import Engine

        return cls(Engine(parse_connection_string(connection_string)), owns_engine=True)

    def run(self, metric: Metric, params: MetricParams) -> MetricResult:
        sql, values = render(metric, params)
        result = self.engine.execute(sql, values)
        return MetricResult(
            metric=metric,
            params=params,
            columns=[column.name for column in result.columns],
            rows=[tuple(row) for row in result.rows],
            requests=result.stats.requests,
            cache_hits=result.stats.cache_hits,
            elapsed_s=result.stats.elapsed_s,
            sql=sql,
            sql_params=values,
        )

    def workspaces(self) -> list[str]:
        """The workspaces the credential can see (one request, cached); the connection's first."""
        rows = self.engine.execute('SELECT "SchemaName" FROM sys_schemas ORDER BY 1').rows
        names = [str(name) for (name,) in rows]
        default = self.engine.default_schema
        if default and default in names:
            names.remove(default)
        return ([default] if default else []) + names

    def repositories(self, workspace: str) -> list[tuple[str, str | None]]:
        """(slug, project key) of the workspace's repositories: one request, cached."""
        sql = f"SELECT slug, project_key FROM {quote_identifier(workspace)}.repositories ORDER BY slug"
        return [(str(slug), project) for slug, project in self.engine.execute(sql).rows]

    def rate_limit(self) -> RateLimit | None:
        try:
            status = self.engine.client.rate_limit
        except AttributeError:
            return None
        return RateLimit(status.used_last_hour, status.limit, status.remaining)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.close()


class SyncFileSource:
    """Metrics over a ``bbsql sync`` DuckDB file: no requests, the data as of the last sync.

    The file is opened read-only (a sync may still write it later), with UTC as the session
    time zone so weeks and days are cut as on the live engine. One connection serves every
    metric, behind a lock (the dashboard calls from several threads).
    """

    live = False

    def __init__(self, path: str | Path) -> None:
        import duckdb

        self.path = Path(path)
        if not self.path.is_file():
            raise MetricError(f"sync file {str(self.path)!r} does not exist; create it with 'bbsql sync'")
        try:
            self._connection = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as error:
            raise MetricError(f"cannot open {str(self.path)!r} as a DuckDB file: {error}") from error
        self._connection.execute("SET TimeZone = 'UTC'")
        self._lock = threading.Lock()

    def _tables(self, workspace: str) -> set[str]:
        rows = self._connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [workspace]
        ).fetchall()
        return {str(name) for (name,) in rows}

    def run(self, metric: Metric, params: MetricParams) -> MetricResult:
        import time

        import duckdb

        sql, values = render(metric, params)
        started = time.perf_counter()
        with self._lock:
            missing = [table for table in metric.tables if table not in self._tables(params.workspace)]
            if missing:
                raise MetricError(
                    f"metric {metric.name} needs table(s) {', '.join(missing)} of workspace "
                    f"{params.workspace!r}, which {str(self.path)!r} does not hold; sync them with 'bbsql sync'"
                )
            try:
                cursor = self._connection.execute(sql, values)
            except duckdb.Error as error:
                raise MetricError(f"metric {metric.name} failed on {str(self.path)!r}: {error}") from error
            columns = [str(column[0]) for column in cursor.description or ()]
            rows = [tuple(row) for row in cursor.fetchall()]
        return MetricResult(metric, params, columns, rows, 0, 0, time.perf_counter() - started, sql, values)

    def workspaces(self) -> list[str]:
        """The file's schemas that hold synced tables (DuckDB's own schemas left out)."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT DISTINCT table_schema FROM information_schema.tables "
                "WHERE table_catalog = current_database() AND table_schema NOT IN ('main', 'information_schema', 'pg_catalog') "
                "ORDER BY 1"
            ).fetchall()
        return [str(name) for (name,) in rows]

    def repositories(self, workspace: str) -> list[tuple[str, str | None]]:
        with self._lock:
            if "repositories" not in self._tables(workspace):
                return []
            sql = f"SELECT slug, project_key FROM {quote_identifier(workspace)}.repositories ORDER BY slug"
            return [(str(slug), project) for slug, project in self._connection.execute(sql).fetchall()]

    def rate_limit(self) -> RateLimit | None:
        return None

    def close(self) -> None:
        self._connection.close()
