"""``bbsql dashboard``: engineering metrics in the browser (Dash), live, from a sync file, or on demo data.

Dash is an optional extra: without it the command says how to install it instead of failing
with an import error. The server listens on 127.0.0.1 only: the dashboard holds the
connection's credentials and has no login of its own.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from bitbucket_sql.cli._connection import connection_options, resolve_settings
from bitbucket_sql.cli._errors import friendly_errors

HOST = "127.0.0.1"
INSTALL_HINT = (
    "the dashboard needs Dash, which is not installed: run pip install 'bitbucket-sql[dashboard]' "
    "(or pip install -e '.[dashboard]' in a checkout)"
)


@contextlib.contextmanager
def _source(connection: str | None, profile: str | None, from_file: Path | None, demo: bool, scale: str) -> Iterator[Any]:
    from bitbucket_sql.metrics import LiveSource, SyncFileSource

    if from_file is not None:
        with friendly_errors():
            source: Any = SyncFileSource(from_file, connection)
        try:
            yield source
        finally:
            source.close()
        return
    if demo:
        from bitbucket_sql.cli.demo_cmd import demo_connection_string, running_emulator

        click.echo(f"Starting the Bitbucket emulator ({scale} demo data)…", err=True)
        with running_emulator(scale, 1) as emulator:
            source = LiveSource.connect(demo_connection_string(emulator.base_url))
            try:
                yield source
            finally:
                source.close()
        return
    settings = resolve_settings(connection, profile)
    with friendly_errors():
        from bitbucket_sql.engine import Engine

        source = LiveSource(Engine(settings), owns_engine=True)
    try:
        yield source
    finally:
        source.close()


@click.command()
@connection_options
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read a 'bbsql sync' DuckDB file instead of the API: zero requests.",
)
@click.option("--demo", is_flag=True, help="Run on the emulator's demo data (started in this process).")
@click.option(
    "--scale",
    type=click.Choice(["tiny", "small", "medium"]),
    default="small",
    show_default=True,
    help="Size of the demo data (with --demo).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8050,
    show_default=True,
    help="Port on 127.0.0.1; 0 picks a free one (the URL is printed).",
)
@click.option(
    "--days",
    type=click.IntRange(1, 3660),
    default=None,
    help="Initial date range in days, ending today (default 90).",
)
def dashboard(
    connection: str | None,
    profile: str | None,
    from_file: Path | None,
    demo: bool,
    scale: str,
    port: int,
    days: int | None,
) -> None:
    """Serve engineering metrics (PR flow, pipelines, DORA) as a web dashboard on 127.0.0.1.

    Live through the connection (-c, BBSQL_CONNECTION or --profile), from a sync file (--from),
    or on demo data (--demo). The metrics are those of 'bbsql metrics'; see docs/dashboard.md.

    \b
    Examples:
      bbsql dashboard --demo --port 0
      bbsql dashboard --from bitbucket.duckdb
      bbsql dashboard -c "$CONN" --days 30
    """
    if importlib.util.find_spec("dash") is None:
        raise click.ClickException(INSTALL_HINT)
    if demo and from_file is not None:
        raise click.UsageError("--demo and --from exclude each other: choose the demo data or a sync file")
    from bitbucket_sql.cli._ports import port_is_free
    from bitbucket_sql.dashboard import DashboardServer, create_app

    if port and not port_is_free(HOST, port):
        raise click.ClickException(f"port {port} on {HOST} is in use; pick another with --port, or --port 0 for a free one")
    with _source(connection, profile, from_file, demo, scale) as source:
        with friendly_errors():
            app = create_app(source, days=days or 90)
            server = DashboardServer(app, HOST, port)
        click.echo(f"Dashboard: {server.url}  (Ctrl+C stops it)", err=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("bbsql: dashboard stopped", err=True)


@click.command()
@click.argument("name", required=False)
def metrics(name: str | None) -> None:
    """List the engineering metrics (or show one: definition, cost, SQL); run them with
    'bbsql query --metric NAME' or see them all in 'bbsql dashboard'."""
    from bitbucket_sql.metrics import METRICS, get_metric

    if name is None:
        width = max(len(metric.name) for metric in METRICS)
        for metric in METRICS:
            click.echo(f"{metric.name:<{width}}  {metric.title}{' (DORA)' if metric.dora else ''}")
        click.echo("\nShow one with 'bbsql metrics NAME'; run it with 'bbsql query --metric NAME -p days=30'.")
        return
    with friendly_errors():
        metric = get_metric(name)
    click.echo(f"{metric.title}{' (DORA)' if metric.dora else ''}\n")
    click.echo(click.wrap_text(metric.definition, 100) + "\n")
    click.echo(click.wrap_text(f"Cost live: {metric.cost}.", 100))
    click.echo(f"Tables: {', '.join(metric.tables)}")
    click.echo(f"Parameters: workspace, repository, project{', start, end, days' if metric.uses_dates else ''}")
    click.echo(metric.sql)
