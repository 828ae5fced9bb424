"""Entry point of the ``bbsql`` command.

Subcommands live in their own modules and are imported lazily, so ``bbsql --help`` stays
fast and one outlet's heavy imports (DuckDB, uvicorn) never slow another's start-up.
Errors are printed as one line (``bbsql: error: ...``) with a non-zero exit code; the
traceback appears only with ``--debug``.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings
from collections.abc import Callable
from typing import Any, TextIO

import click

from bitbucket_sql import __version__

#: subcommand name -> "module:attribute" of a click command.
SUBCOMMANDS: dict[str, str] = {
    "demo": "bitbucket_sql.cli.demo_cmd:demo",
    "query": "bitbucket_sql.cli.query_cmd:query",
    "shell": "bitbucket_sql.cli.shell_cmd:shell",
    "tables": "bitbucket_sql.cli.catalog_cmd:tables",
    "describe": "bitbucket_sql.cli.catalog_cmd:describe",
    "explain": "bitbucket_sql.cli.query_cmd:explain",
    "auth": "bitbucket_sql.cli.auth_cmd:auth",
    "emulator": "bitbucket_sql.cli.emulator_cmd:emulator",
    "serve": "bitbucket_sql.cli.serve_cmd:serve",
    "sync": "bitbucket_sql.cli.sync_cmd:sync",
    "cache": "bitbucket_sql.cli.cache_cmd:cache",
    "dashboard": "bitbucket_sql.cli.dashboard_cmd:dashboard",
    "metrics": "bitbucket_sql.cli.dashboard_cmd:metrics",
}


#: subcommand name -> the first paragraph of its help, which ``bbsql --help`` shortens to list it
#: without importing every command module (and the libraries they load: rich, uvicorn, dlt...).
#: tests/cli/test_cli_startup.py checks that each matches its command's own help; a command missing
#: here is imported to list it.
SHORT_HELP: dict[str, str] = {
    "demo": "Start a local Bitbucket emulator with demo data and tour it with real SQL queries.",
    "query": "Run SQL against Bitbucket Cloud and print the result ('-' reads SQL from stdin).",
    "shell": "Open an interactive SQL shell (statements end with ';'; .help lists the commands).",
    "tables": "List the tables: name, description, scope and primary key.",
    "describe": "List a table's columns: name, type, description and pushdown.",
    "explain": "Show how a query is answered: which requests are made and what is pushed down to the API.",
    "auth": "Sign in to Bitbucket, show who you are, or sign out.",
    "emulator": "Run a local Bitbucket Cloud REST API emulator with demo data.",
    "serve": "Serve Bitbucket as a PostgreSQL database and as a SQL Server (TDS) one: psql, JDBC, ODBC, "
    "SQL Server clients and BI tools connect unmodified.",
    "sync": "Copy Bitbucket tables into a database, incrementally: a second sync reads only changes.",
    "cache": "The persistent cache of fetched rows (Cache=persistent): status and clear.",
    "dashboard": "Serve engineering metrics (PR flow, pipelines, DORA) as a web dashboard on 127.0.0.1.",
    "metrics": "List the engineering metrics (or show one: definition, cost, SQL); run them with "
    "'bbsql query --metric NAME' or see them all in 'bbsql dashboard'.",
}


def _available(name: str) -> bool:
    module = SUBCOMMANDS[name].split(":", 1)[0]
    return importlib.util.find_spec(module) is not None


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in SUBCOMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None or not _available(cmd_name):
            return None
        module_name, attribute = target.split(":", 1)
        return getattr(importlib.import_module(module_name), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, as click writes it, from :data:`SHORT_HELP`."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in SHORT_HELP:
                rows.append((name, click.Command(name, help=SHORT_HELP[name]).get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            known = ", ".join(self.list_commands(ctx))
            raise click.UsageError(f"unknown command {name!r}; known commands: {known}")
        return super().resolve_command(ctx, args)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="bbsql", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """bbsql: query Bitbucket Cloud with SQL.

    Start with `bbsql demo`, which runs a local Bitbucket emulator with demo data and
    shows real queries against it.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if not debug:
        previous = warnings.showwarning
        warnings.showwarning = _product_warnings_as_one_line(previous)
        ctx.call_on_close(lambda: setattr(warnings, "showwarning", previous))


#: the signature of :func:`warnings.showwarning`
ShowWarning = Callable[..., None]


def _product_warnings_as_one_line(previous: ShowWarning) -> ShowWarning:
    """Print the product's own warnings (a skipped repository, a UUID given for a slug) as one
    ``bbsql: warning: ...`` line, like its errors, instead of Python's file:line and source line;
    other warnings keep Python's format."""

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        if not category.__module__.startswith("bitbucket_sql."):
            previous(message, category, filename, lineno, file, line)
            return
        from bitbucket_sql.cli._errors import one_paragraph  # masks credentials like the logs

        warning = message if isinstance(message, Warning) else category(message)
        click.echo(f"bbsql: warning: {one_paragraph(warning)}", err=True)

    return show


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn every failure into one readable line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="bbsql", standalone_mode=False)
    except click.exceptions.Exit as stop:
        sys.exit(stop.exit_code)
    except click.exceptions.Abort:
        click.echo("bbsql: aborted", err=True)
        sys.exit(130)
    except click.UsageError as error:
        click.echo(f"bbsql: error: {error.format_message()} (see 'bbsql --help')", err=True)
        sys.exit(2)
    except click.ClickException as error:
        click.echo(f"bbsql: error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        click.echo("bbsql: interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        if debug:
            raise
        from bitbucket_sql.cli._errors import one_paragraph  # masks credentials like the logs

        click.echo(f"bbsql: error: {one_paragraph(error)}", err=True)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
