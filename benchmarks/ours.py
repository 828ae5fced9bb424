"""Running a query through bitbucket-sql's engine and measuring it."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.http_wait import HTTP_WAIT
from benchmarks.measure import SideResult

DEMO_USER = "demo@example.com"
DEMO_API_TOKEN = "demo-api-token"


def connection_string(base_url: str, workspace: str, max_concurrency: int, extra: str = "") -> str:
    """The connection a user would write for the emulator's demo credentials (plus ``extra``)."""
    return (
        f"BaseURL={base_url};Workspace={workspace};AuthScheme=APIToken;User={DEMO_USER};"
        f"APIToken={DEMO_API_TOKEN};MaxConcurrency={max_concurrency}" + (f";{extra}" if extra else "")
    )


def open_engine(base_url: str, workspace: str, max_concurrency: int, extra: str = "") -> Any:
    """A fresh engine (empty cache). Imported lazily: the baseline must run without the engine."""
    from bitbucket_sql.api.settings import parse_connection_string
    from bitbucket_sql.engine import Engine

    return Engine(parse_connection_string(connection_string(base_url, workspace, max_concurrency, extra)))


def run_ours(engine: Any, sql: str, emulator: Any) -> SideResult:
    """Execute ``sql`` and return its answer with the client's and the emulator's counts."""
    emulator.reset_stats()
    HTTP_WAIT.clear()
    started = time.perf_counter()
    result = engine.execute(sql)
    finished = time.perf_counter()
    wall = finished - started
    server_requests = int(emulator.stats()["total"])
    stats = result.stats
    return SideResult(
        requests=int(stats.requests),
        emulator_requests=server_requests,
        rows_fetched=int(stats.rows_fetched),
        rows_returned=len(result.rows),
        bytes=int(stats.bytes),
        wall_s=wall,
        local_s=HTTP_WAIT.local(started, finished),  # not stats.local_s: the same measure as the baselines
        rows=[tuple(row) for row in result.rows],
        cache_hits=int(stats.cache_hits),
    )
