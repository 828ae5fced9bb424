"""``bbsql emulator``: serve the local Bitbucket Cloud emulator until interrupted.

Prints the base URL and the demo credentials first, so a user can point any client at it.
``--port 0`` picks a free port and prints the one chosen (tests use that); a busy port is
found before any data is generated and the error names the process holding it where it can.
The default scale is the one ``bbsql demo`` tours, so its queries find the same repositories.
"""

from __future__ import annotations

import datetime
import errno
from pathlib import Path
from typing import Any

import click

SCALE_CHOICES = ["tiny", "small", "medium", "large"]
#: The same as ``bbsql demo``'s, whose closing advice points here.
DEFAULT_SCALE = "small"


def busy_port_message(host: str, port: int) -> str:
    """What is wrong (the port, and who holds it when that can be told) and what to do."""
    from bitbucket_sql.cli._ports import port_holder

    holder = port_holder(port)
    by = f" by {holder}" if holder else ""
    return (
        f"port {port} on {host} is already in use{by}. "
        f"Stop that process, or pass --port 0 to pick a free port (the banner prints it)."
    )


def _banner(base_url: str, root_url: str, workspaces: list[str], source: str) -> str:
    from bitbucket_sql.emulator.auth import (
        DEMO_ACCESS_TOKEN,
        DEMO_API_TOKEN,
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_EMAIL,
        DEMO_READONLY_TOKEN,
    )

    return "\n".join(
        [
            f"Bitbucket Cloud emulator serving {base_url}  ({source})",
            f"Workspaces: {', '.join(workspaces)}. Demo credentials:",
            f"  API token (Basic):     {DEMO_EMAIL} / {DEMO_API_TOKEN}",
            f"  Access token (Bearer): {DEMO_ACCESS_TOKEN} (workspace acme; read-only: {DEMO_READONLY_TOKEN})",
            f"  OAuth consumer:        {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET}  at {root_url}/site/oauth2/",
            f"Statistics: GET {root_url}/_emulator/stats. Press Ctrl-C to stop.",
        ]
    )


def _period(config: Any) -> str:
    """``history 2024-12-04 .. 2026-12-04``: the two years the generated data covers."""
    from bitbucket_sql.emulator.generator import data_period

    start, end = data_period(config.anchor_date)
    return f"history {start.date()} .. {end.date()}"


@click.command(name="emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=7990,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--scale",
    type=click.Choice(SCALE_CHOICES),
    default=DEFAULT_SCALE,
    show_default=True,
    help="Size of the demo data (small is what 'bbsql demo' tours).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated data and faults.")
@click.option(
    "--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True, help="Delay per request."
)
@click.option(
    "--jitter-ms",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Extra uniform random delay per request, up to this many ms.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=None,
    help="Requests per credential per rolling hour (default: unlimited).",
)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Fraction of API requests that fail (500/502/503 or a dropped connection).",
)
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Serve this data file instead of generated data.",
)
@click.option(
    "--retry-after",
    type=click.IntRange(min=0),
    default=None,
    help="Add 'Retry-After: S' to 429 answers (real Bitbucket sends none).",
)
@click.option(
    "--anchor-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The generated history ends on this day, YYYY-MM-DD (default: today, UTC).",
)
@click.option(
    "--access-token-ttl",
    type=click.IntRange(min=1),
    default=7200,
    show_default=True,
    help="Lifetime of issued OAuth access tokens, in seconds.",
)
def emulator(
    host: str,
    port: int,
    scale: str,
    seed: int,
    latency_ms: float,
    jitter_ms: float,
    rate_limit: int | None,
    fault_rate: float,
    data: Path | None,
    retry_after: int | None,
    access_token_ttl: int,
    anchor_date: datetime.datetime | None,
) -> None:
    """Run a local Bitbucket Cloud REST API emulator with demo data.

    The generated history covers the two years up to --anchor-date (today by default), so
    questions like "merged in the last 30 days" find rows.
    """
    from bitbucket_sql.cli._ports import port_is_free
    from bitbucket_sql.emulator.server import EmulatorConfig, EmulatorHandle, serve

    try:
        config = EmulatorConfig(
            host=host,
            port=port,
            scale=scale,
            seed=seed,
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            rate_limit=rate_limit,
            fault_rate=fault_rate,
            data=str(data) if data is not None else None,
            retry_after=retry_after,
            access_token_ttl=access_token_ttl,
            anchor_date=anchor_date.date().isoformat() if anchor_date is not None else None,
        )
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    if port != 0 and not port_is_free(host, port):
        raise click.ClickException(busy_port_message(host, port))

    def announce(handle: EmulatorHandle) -> None:
        source = f"data from {config.data}" if config.data else f"scale {scale}, seed {seed}, {_period(config)}"
        click.echo(_banner(handle.base_url, handle.root_url, handle.store.workspace_slugs(), source))

    try:
        serve(config, on_ready=announce)
    except OSError as error:
        cause = error.__cause__ if isinstance(error.__cause__, OSError) else error
        if cause.errno == errno.EADDRINUSE:  # taken between the check above and the bind
            raise click.ClickException(busy_port_message(host, port)) from error
        raise click.ClickException(str(error)) from error
    except KeyboardInterrupt:
        pass
    click.echo("Emulator stopped.")
