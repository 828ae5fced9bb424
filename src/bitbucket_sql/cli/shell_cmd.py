"""``bbsql shell``: an interactive SQL prompt on one connection (see :mod:`._repl`)."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console

from bitbucket_sql.cli._connection import connection_options, opened_engine
from bitbucket_sql.cli._repl import HISTORY_PATH, Shell, make_session, run_interactive, run_lines


def start_shell(engine: Any, *, debug: bool) -> None:
    """Run the shell on ``engine``: prompt_toolkit with a terminal, plain stdin lines otherwise."""
    console = Console()
    shell = Shell(engine, console, debug=debug)
    stdin = sys.stdin
    if stdin.isatty() and sys.stdout.isatty():
        session = make_session(engine.tables(), history_path=HISTORY_PATH.expanduser())
        run_interactive(shell, session)
    else:
        run_lines(shell, stdin)


@click.command()
@connection_options
@click.pass_context
def shell(ctx: click.Context, connection: str | None, profile: str | None) -> None:
    """Open an interactive SQL shell (statements end with ';'; .help lists the commands).

    Without a terminal, statements are read from standard input, so the shell also runs scripts:
    bbsql shell -c "$CONN" < queries.sql
    """
    debug = bool((ctx.find_root().obj or {}).get("debug"))
    with opened_engine(connection, profile) as engine:
        start_shell(engine, debug=debug)
