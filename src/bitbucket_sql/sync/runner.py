"""One sync run: extract batches, load them with checkpoints, report events.

Checkpoints: pending rows are loaded and the state saved every ``checkpoint_rows`` rows or
``checkpoint_seconds`` seconds, when a run stops (budget, rate limit, error) and at the end. The
state saved is always the state of the last batch whose rows were loaded, so stopping anywhere
(kill -9 included) resumes with no lost and no duplicated rows.
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bitbucket_sql.api.errors import BitbucketError, RateLimitedError

from .extract import extract
from .load import Destination, Loader
from .tables import SyncTable

DONE, PARTIAL, FAILED = "done", "partial", "failed"
EXIT_CODES = {DONE: 0, FAILED: 1, PARTIAL: 3}

Event = dict[str, Any]


@dataclass
class TableTally:
    upserts: int = 0
    deletes: int = 0
    requests: int = 0
    finished: bool = False
    #: False when the refresh policy left the table as it was (not due yet)
    refreshed: bool = True


@dataclass
class RunResult:
    status: str
    requests: int
    seconds: float
    tables: dict[tuple[str, str], TableTally] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    message: str = ""
    loads: int = 0

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def rows(self) -> int:
        return sum(t.upserts + t.deletes for t in self.tables.values())


def run_sync(
    client: Any,
    workspaces: Sequence[str],
    tables: Sequence[SyncTable],
    destination: Destination,
    *,
    since: datetime.datetime | None = None,
    repositories: Iterable[str] | None = None,
    max_requests: int | None = None,
    stop_near_limit: bool = False,
    full_refresh_every: datetime.timedelta | None = None,
    checkpoint_rows: int = 20_000,
    checkpoint_seconds: float = 30.0,
    on_event: Callable[[Event], None] = lambda event: None,
) -> RunResult:
    started = time.monotonic()
    first_request = client.stats.requests
    result = RunResult(status=DONE, requests=0, seconds=0.0)
    with Loader(destination, tables) as loader:
        state = loader.load_state(workspaces)
        on_event({"event": "start", "workspaces": list(workspaces), "tables": [t.name for t in tables],
                  "destination": str(destination), "resumed": bool(state.get("workspaces"))})
        last_checkpoint = time.monotonic()
        last_state: dict[str, Any] | None = None
        previous_requests = 0

        def checkpoint() -> None:
            nonlocal last_checkpoint
            if last_state is None:
                return
            pending = loader.pending_rows
            loader.flush(last_state)
            last_checkpoint = time.monotonic()
            on_event({"event": "checkpoint", "rows": pending, "requests": client.stats.requests - first_request})

        try:
            for batch in extract(client, workspaces, tables, state, since=since, repositories=repositories,
                                 max_requests=max_requests, stop_near_limit=stop_near_limit,
                                 full_refresh_every=full_refresh_every):
                key = (batch.workspace, batch.table)
                tally = result.tables.setdefault(key, TableTally())
                tally.requests += batch.requests - previous_requests
                previous_requests = batch.requests
                tally.upserts += len(batch.upserts)
                tally.deletes += len(batch.deletes)
                result.warnings += batch.warnings
                for warning in batch.warnings:
                    on_event({"event": "warning", "message": warning})
                loader.add(batch)
                last_state = batch.state
                if batch.budget_exhausted:
                    result.status = PARTIAL
                    if batch.stop_reason == "rate_limit":
                        result.message = (f"stopped after {batch.requests} requests: Bitbucket says this hour's "
                                          "rate limit is near (the rest is left to people's queries); run the "
                                          "same command again later to resume where it stopped")
                    else:
                        result.message = (f"stopped after {batch.requests} requests (--max-requests "
                                          f"{max_requests}); run the same command again to resume where it stopped")
                    break
                on_event({"event": "batch", "workspace": batch.workspace, "table": batch.table,
                          "upserts": len(batch.upserts), "deletes": len(batch.deletes),
                          "requests": client.stats.requests - first_request, "finished": batch.finished})
                if batch.finished:
                    tally.finished = True
                    tally.refreshed = batch.refreshed
                    on_event({"event": "table_done", "workspace": batch.workspace, "table": batch.table,
                              "upserts": tally.upserts, "deletes": tally.deletes, "refreshed": batch.refreshed})
                if (loader.pending_rows >= checkpoint_rows
                        or time.monotonic() - last_checkpoint >= checkpoint_seconds):
                    checkpoint()
        except RateLimitedError as error:
            result.status = PARTIAL
            result.message = f"the API's rate limit stopped the sync ({error}); run it again later to resume"
        except BitbucketError as error:
            result.status = FAILED
            result.message = str(error)
        except BaseException:
            # what was read completely is kept, then the error goes on (if the loader itself
            # failed, its first error is the one to show)
            with contextlib.suppress(Exception):
                checkpoint()
            raise
        checkpoint()
        result.loads = loader.loads
    result.requests = client.stats.requests - first_request
    result.seconds = time.monotonic() - started
    on_event({"event": "end", "status": result.status, "requests": result.requests,
              "rows": result.rows, "seconds": round(result.seconds, 3), "message": result.message})
    return result
