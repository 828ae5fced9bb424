"""``bbsql shell``: an interactive SQL prompt on one connection (see :mod:`._repl`)."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console

from bitbucket_sql.cli._connection import connection_options, opened_engine
from bitbucket_sql.cli._display import plural
from bitbucket_sql.cli._errors import QueryError
from bitbucket_sql.cli._repl import HISTORY_PATH, Shell, make_session, run_interactive, run_lines


def start_shell(engine: Any, *, debug: bool) -> None:
    """Run the shell on ``engine``: prompt_toolkit with a terminal, plain stdin lines otherwise.

    A script (no terminal) runs to its end even when inputs fail, then raises a QueryError
    (exit 1) that counts them, so ``bbsql shell < script.sql`` can be checked by its status.
    """
    stdin = sys.stdin
    if stdin.isatty() and sys.stdout.isatty():
        shell = Shell(engine, Console(), debug=debug)
        session = make_session(engine.tables(), history_path=HISTORY_PATH.expanduser())
        run_interactive(shell, session)
        return
    shell = Shell(engine, Console(), debug=debug, errors=Console(stderr=True))
    shell.error_prefix = "bbsql: error: "
    run_lines(shell, stdin)
    if shell.failures:
        raise QueryError(f"{plural(shell.failures, 'input')} of the script failed (see the errors above)")


@click.command()
@connection_options
@click.pass_context
def shell(ctx: click.Context, connection: str | None, profile: str | None) -> None:
    """Open an interactive SQL shell (statements end with ';'; .help lists the commands).

    Without a terminal, statements are read from standard input, so the shell also runs scripts.
    A script carries on after a failed statement (its error goes to stderr with its line number)
    and the shell then exits 1.

    \b
    Example:
      bbsql shell -c "$CONN" < queries.sql
    """
    debug = bool((ctx.find_root().obj or {}).get("debug"))
    with opened_engine(connection, profile) as engine:
        start_shell(engine, debug=debug)
