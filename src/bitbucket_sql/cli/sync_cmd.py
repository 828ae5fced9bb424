"""``bbsql sync``: copy Bitbucket tables into DuckDB, PostgreSQL or any dlt destination,
incrementally and resumably (see docs/sync.md).

Exit codes: 0 done, 3 partial (the request budget or the rate limit stopped it; the state is
saved and the same command resumes), 1 failed (the last checkpoint is kept), 2 usage errors.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from bitbucket_sql.cli._connection import connection_options, resolve_settings
from bitbucket_sql.cli._errors import QueryError, friendly_errors

_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """``15m``, ``1h30m``, ``90s``, ``1d`` as seconds."""
    compact = text.strip().lower().replace(" ", "")
    parts = _DURATION.findall(compact)
    if not parts or "".join(f"{n}{u}" for n, u in parts) != compact:
        raise click.BadParameter(f"{text!r} is not an interval such as 15m, 1h or 1h30m", param_hint="--schedule")
    seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds < 1:
        raise click.BadParameter("the interval must be at least one second", param_hint="--schedule")
    return float(seconds)


def parse_since(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    try:
        value = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date or timestamp such as 2026-01-01", param_hint="--since") from None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def _names(text: str | None) -> list[str] | None:
    if not text:
        return None
    names = [part.strip() for part in text.split(",") if part.strip()]
    return names or None


class RunLog:
    """JSON lines for schedulers: one object per event, with a UTC timestamp."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream

    def __call__(self, event: dict[str, Any]) -> None:
        if self.stream is None:
            return
        record = {"time": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds"), **event}
        self.stream.write(json.dumps(record, default=str) + "\n")
        self.stream.flush()


@contextlib.contextmanager
def _settings_for(connection: str | None, profile: str | None, demo: bool, scale: str) -> Iterator[Any]:
    if demo or (not connection and not profile):
        from bitbucket_sql.api.settings import parse_connection_string
        from bitbucket_sql.cli.demo_cmd import demo_connection_string, running_emulator

        if not demo:
            click.echo("bbsql: no connection given: syncing the demo data (pass -c CONNECTION for your workspace)",
                       err=True)
        click.echo(f"Starting the Bitbucket emulator ({scale} demo data)…", err=True)
        with running_emulator(scale, 1) as emulator:
            yield parse_connection_string(demo_connection_string(emulator.base_url))
        return
    yield resolve_settings(connection, profile)


@click.command()
@connection_options
@click.option("--demo", is_flag=True, help="Sync the demo data of a local emulator (the default without a connection).")
@click.option("--scale", default="small", show_default=True, metavar="SCALE", help="Size of the demo data (with --demo).")
@click.option("--to", "to", metavar="FILE|URL", help="DuckDB file (default bitbucket.duckdb) or postgresql:// URL.")
@click.option("--destination", metavar="NAME", help="Any dlt destination by name, configured as dlt documents "
              "(.dlt/secrets.toml or DESTINATION__<NAME>__CREDENTIALS...).")
@click.option("--state-file", metavar="FILE", help="Keep the sync state in this JSON file instead of the destination.")
@click.option("--tables", metavar="A,B", help="Tables to sync (default: every readable table but the per-commit ones).")
@click.option("--workspaces", metavar="A,B", help="Workspaces to sync (default: the connection's Workspace).")
@click.option("--repositories", metavar="A,B", help="Only these repositories (repository tables).")
@click.option("--since", metavar="DATE", help="First sync: only pull requests updated, pipelines created and commits "
              "dated since then.")
@click.option("--max-requests", type=click.IntRange(min=1), metavar="N",
              help="Stop after about N requests, checkpoint, exit 3; the same command resumes.")
@click.option("--spend-rate-limit", is_flag=True,
              help="Go on when Bitbucket says the hour's rate limit is near (by default the sync checkpoints "
              "and exits 3, leaving the rest of the hour to people's queries).")
@click.option("--log", "log_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Append a JSON-lines run log to FILE ('-' for stdout).")
@click.option("--schedule", metavar="INTERVAL", help="Sync again every INTERVAL (15m, 1h) until interrupted.")
@click.option("--full-refresh-every", metavar="INTERVAL",
              help="List the per-repository settings tables (permissions, webhooks, restrictions...) again only "
              "when their last refresh is this old (6h, 1d); default: on every sync.")
@click.option("--checkpoint-rows", type=click.IntRange(min=1), default=20_000, show_default=True, metavar="N",
              help="Load and save the state at least every N rows.")
@click.option("--checkpoint-seconds", type=click.FloatRange(min=0), default=30.0, show_default=True, metavar="S",
              help="Load and save the state at least every S seconds.")
def sync(
    connection: str | None,
    profile: str | None,
    demo: bool,
    scale: str,
    to: str | None,
    destination: str | None,
    state_file: str | None,
    tables: str | None,
    workspaces: str | None,
    repositories: str | None,
    since: str | None,
    max_requests: int | None,
    spend_rate_limit: bool,
    log_file: Path | None,
    schedule: str | None,
    full_refresh_every: str | None,
    checkpoint_rows: int,
    checkpoint_seconds: float,
) -> None:
    """Copy Bitbucket tables into a database, incrementally: a second sync reads only changes.

    \b
    Examples:
      bbsql sync                                   # the demo data into bitbucket.duckdb
      bbsql sync -c "$CONN" --to bitbucket.duckdb --tables pull_requests,pipelines
      bbsql sync -c "$CONN" --to postgresql://me@db/analytics --since 2026-01-01
      bbsql sync -c "$CONN" --schedule 15m --log sync.jsonl
      bbsql sync -c "$CONN" --schedule 15m --full-refresh-every 6h
      bbsql query --from bitbucket.duckdb "SELECT state, count(*) FROM pull_requests GROUP BY 1"
    """
    from bitbucket_sql.sync.load import Destination
    from bitbucket_sql.sync.tables import sync_tables

    interval = parse_interval(schedule) if schedule else None
    refresh_every = _refresh_every(full_refresh_every)
    since_value = parse_since(since)
    try:
        target = Destination.parse(to, destination, state_file)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    with friendly_errors():
        chosen = sync_tables(_names(tables))
    with contextlib.ExitStack() as stack:
        log_stream: TextIO | None = None
        if log_file is not None and str(log_file) == "-":
            log_stream = sys.stdout
        elif log_file is not None:
            log_stream = stack.enter_context(log_file.open("a", encoding="utf-8"))
        log = RunLog(log_stream)
        settings = stack.enter_context(_settings_for(connection, profile, demo, scale))
        names = _names(workspaces) or ([settings.workspace] if settings.workspace else None)
        if not names:
            raise QueryError("no workspace: give Workspace=... in the connection or --workspaces A,B")
        while True:
            code = _one_run(settings, names, chosen, target, since_value, _names(repositories), max_requests,
                            not spend_rate_limit, refresh_every, checkpoint_rows, checkpoint_seconds, log)
            if interval is None:
                raise click.exceptions.Exit(code)
            next_at = datetime.datetime.now() + datetime.timedelta(seconds=interval)
            click.echo(f"Next sync at {next_at:%H:%M:%S} (every {schedule}; Ctrl-C stops).", err=True)
            time.sleep(interval)


def _refresh_every(text: str | None) -> datetime.timedelta | None:
    from bitbucket_sql.sync.policy import parse_duration

    if not text:
        return None
    try:
        return parse_duration(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--full-refresh-every") from None


def _one_run(settings: Any, workspaces: list[str], tables: list[Any], target: Any,
             since: datetime.datetime | None, repositories: list[str] | None, max_requests: int | None,
             stop_near_limit: bool, refresh_every: datetime.timedelta | None, checkpoint_rows: int,
             checkpoint_seconds: float, log: RunLog) -> int:
    from bitbucket_sql.api.client import BitbucketClient
    from bitbucket_sql.sync.runner import run_sync

    with friendly_errors(), BitbucketClient(settings) as client, SyncProgress(client, workspaces, tables) as progress:
        def on_event(event: dict[str, Any]) -> None:
            log(event)
            progress.update(event)

        result = run_sync(client, workspaces, tables, target, since=since, repositories=repositories,
                          max_requests=max_requests, stop_near_limit=stop_near_limit,
                          full_refresh_every=refresh_every, checkpoint_rows=checkpoint_rows,
                          checkpoint_seconds=checkpoint_seconds, on_event=on_event)
    print_summary(result, target)
    return result.exit_code


class SyncProgress:
    """One progress line per table (rows, requests) and a header with the rate-limit headroom,
    on stderr when it is a terminal (nothing in pipes, CI logs or tests)."""

    def __init__(self, client: Any, workspaces: list[str], tables: list[Any]) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.client = client
        console = Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[rows]:>8} rows"),
            TextColumn("{task.fields[requests]:>6} requests"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
            transient=False,
        )
        self.header = self.progress.add_task("rate limit", total=None, rows="", requests="")
        self.tasks: dict[tuple[str, str], Any] = {}
        self.counts: dict[tuple[str, str], list[int]] = {}
        self.workspaces = workspaces
        self.last_requests = 0

    def __enter__(self) -> SyncProgress:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def update(self, event: dict[str, Any]) -> None:
        if event.get("event") != "batch":
            return
        key = (event["workspace"], event["table"])
        if key not in self.tasks:
            label = f"{key[0]}.{key[1]}" if len(self.workspaces) > 1 else key[1]
            self.tasks[key] = self.progress.add_task(label, total=None, rows=0, requests=0)
            self.counts[key] = [0, 0]
        counts = self.counts[key]
        counts[0] += event["upserts"] + event["deletes"]
        counts[1] += event["requests"] - self.last_requests
        self.last_requests = event["requests"]
        self.progress.update(self.tasks[key], rows=counts[0], requests=counts[1])
        if event.get("finished"):
            self.progress.update(self.tasks[key], total=1, completed=1)
        limit = self.client.rate_limit
        self.progress.update(self.header, description=f"rate limit: {limit.remaining} of {limit.limit} left this hour")


def print_summary(result: Any, target: Any) -> None:
    """Per table rows upserted and deleted and requests; totals; what to do when partial."""
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=True)
    table = Table(title=f"bbsql sync -> {target}", title_justify="left")
    for name in ("table", "upserted", "deleted", "requests", "done"):
        table.add_column(name, justify="left" if name == "table" else "right")
    workspaces = {workspace for workspace, _ in result.tables}
    for (workspace, name), tally in sorted(result.tables.items()):
        label = f"{workspace}.{name}" if len(workspaces) > 1 else name
        done = ("yes" if tally.refreshed else "not due") if tally.finished else "no"
        table.add_row(label, str(tally.upserts), str(tally.deletes), str(tally.requests), done)
    console.print(table)
    # plain lines (never wrapped) for what scripts and schedulers read
    click.echo(f"{result.status}: {result.rows} rows in {result.seconds:.1f} s, {result.requests} requests, "
               f"{result.loads} loads", err=True)
    for warning in result.warnings[:20]:
        click.echo(f"bbsql: warning: {warning}", err=True)
    if len(result.warnings) > 20:
        click.echo(f"bbsql: warning: {len(result.warnings) - 20} more warnings in the run log (--log)", err=True)
    if result.message:
        click.echo(f"bbsql: {result.message}", err=True)
