"""Where a metric's SQL runs: live through the engine, or over a ``bbsql sync`` DuckDB file.

Both answer the same :class:`MetricResult`, so callers (the CLI, the dashboard, a notebook) do
not care which. Live runs go through :class:`~bitbucket_sql.engine.Engine` with its caches:
metrics over the same tables share their listings, and the result says how many requests the
metric cost and how much of the rate limit is left. A sync file is read by the same engine with
``SyncedDatabase=FILE`` (the copy holds one schema per workspace with the catalog's table names
and columns), so the same SQL answers with zero requests.
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
        #: one statement at a time on the engine (the dashboard's callbacks run on several threads)
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, connection_string: str) -> LiveSource:
        from bitbucket_sql.api.settings import parse_connection_string
        from bitbucket_sql.engine import Engine

        return cls(Engine(parse_connection_string(connection_string)), owns_engine=True)

    def run(self, metric: Metric, params: MetricParams) -> MetricResult:
        sql, values = render(metric, params)
        with self._lock:
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
        with self._lock:
            rows = self.engine.execute('SELECT "SchemaName" FROM sys_schemas ORDER BY 1').rows
        names = [str(name) for (name,) in rows]
        default = self.engine.default_schema
        if default and default in names:
            names.remove(default)
        return ([default] if default else []) + names

    def repositories(self, workspace: str) -> list[tuple[str, str | None]]:
        """(slug, project key) of the workspace's repositories: one request, cached."""
        sql = f"SELECT slug, project_key FROM {quote_identifier(workspace)}.repositories ORDER BY slug"
        with self._lock:
            rows = self.engine.execute(sql).rows
        return [(str(slug), project) for slug, project in rows]

    def rate_limit(self) -> RateLimit | None:
        try:
            status = self.engine.client.rate_limit
        except AttributeError:
            return None
        return RateLimit(status.used_last_hour, status.limit, status.remaining)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.close()


class SyncFileSource(LiveSource):
    """Metrics over a ``bbsql sync`` DuckDB file: zero requests, the data as of the last sync.

    The engine itself answers from the copy (``SyncedDatabase=FILE``, which maps each
    workspace to its schema in the file and names any table the copy lacks), so the metric's SQL
    runs exactly as it does live, over the same typed tables; only freshness differs.
    """

    live = False

    def __init__(self, path: str | Path, connection_string: str | None = None) -> None:
        from bitbucket_sql.api.settings import parse_connection_string
        from bitbucket_sql.engine import Engine
        from bitbucket_sql.engine.errors import EngineError
        from bitbucket_sql.engine.synced import SyncedCopy

        self.path = Path(path)
        if not self.path.is_file():
            raise MetricError(f"sync file {str(self.path)!r} does not exist; create it with 'bbsql sync --to {path}'")
        try:
            self._held = SyncedCopy(str(self.path)).workspaces()
        except EngineError as error:
            raise MetricError(str(error)) from None
        if connection_string:
            settings = parse_connection_string(connection_string).with_overrides(SyncedDatabase=str(self.path))
        else:
            workspace = {"Workspace": self._held[0]} if self._held else {}
            settings = parse_connection_string(None, SyncedDatabase=str(self.path), **workspace)
        super().__init__(Engine(settings), owns_engine=True)

    def workspaces(self) -> list[str]:
        """The workspaces the file holds (from each schema's sync state)."""
        return list(self._held)

    def rate_limit(self) -> RateLimit | None:
        return None
