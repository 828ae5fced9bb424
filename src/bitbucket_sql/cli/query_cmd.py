"""``bbsql query`` and ``bbsql explain``: run one statement and print its result or its plan."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bitbucket_sql.cli._connection import connection_options, opened_engine, resolve_settings
from bitbucket_sql.cli._errors import friendly_errors
from bitbucket_sql.cli._output import (
    DISPLAY_FORMATS,
    PARQUET_NEEDS_A_FILE,
    emit,
    format_option,
    output_option,
)
from bitbucket_sql.cli._progress import ProgressLine
from bitbucket_sql.cli._summary import is_explain, stats_line
from bitbucket_sql.cli._tabular import Tabular, text_of


@contextmanager
def synced_engine(connection: str | None, profile: str | None, path: str) -> Iterator[Any]:
    """An engine answering from a ``bbsql sync`` copy; without a connection, the copy's own
    workspace (when it holds one) is the default schema and no credential is needed."""
    from bitbucket_sql.api.settings import parse_connection_string
    from bitbucket_sql.cli._connection import resolve_settings
    from bitbucket_sql.engine import Engine
    from bitbucket_sql.engine.synced import SyncedCopy

    with friendly_errors():
        if connection or profile:
            settings = resolve_settings(connection, profile).with_overrides(SyncedDatabase=path)
        else:
            held = SyncedCopy(path).workspaces()
            settings = parse_connection_string(
                None, SyncedDatabase=path, **({"Workspace": held[0]} if len(held) == 1 else {}))
        engine = Engine(settings)
    try:
        yield engine
    finally:
        engine.close()


def read_sql(sql: str) -> str:
    """The statement; ``-`` reads it from standard input."""
    if sql == "-":
        sql = sys.stdin.read()
    if not sql.strip():
        raise click.UsageError("the SQL statement is empty")
    return sql


def kept_answer(connection: str | None, profile: str | None, sql: str) -> Any:
    """The answer another process kept for this query (``engine/answers.py``), or None.

    Looked up before the engine is imported: a repeated query then costs neither sqlglot and
    DuckDB nor a request. Any problem (no connection, an unusable cache) means None: the query
    then runs as usual and reports it.
    """
    try:
        settings = resolve_settings(connection, profile)
    except Exception:  # noqa: BLE001 - the normal path reports a bad connection properly
        return None
    from bitbucket_sql.engine.answers import lookup

    try:
        return lookup(settings, sql)
    except Exception:  # noqa: BLE001 - the cache can only save work, never fail a query
        return None


def run_with_progress(engine: Any, sql: str, params: list[Any] | None) -> Any:
    """Execute with a status line on stderr once the query runs longer than a second."""
    with ProgressLine() as progress, friendly_errors():
        return engine.execute(sql, params, progress=progress)


params_option = click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="VALUE",
    help="Value for the next ? placeholder (repeat in order); always a value, never SQL.",
)


@click.command()
@connection_options
@format_option()
@output_option("Write the result to this file instead of standard output (required for parquet).")
@params_option
@click.option(
    "--metric",
    metavar="NAME",
    help="Run a metric of 'bbsql metrics' instead of SQL; then each -p is key=value "
    "(workspace, repository, project, start, end, days).",
)
@click.option("--from", "synced", metavar="FILE", help="Answer from a DuckDB copy made by 'bbsql sync' (no requests).")
@click.argument("sql", required=False)
def query(
    connection: str | None,
    profile: str | None,
    fmt: str,
    output: Path | None,
    params: tuple[str, ...],
    metric: str | None,
    synced: str | None,
    sql: str | None,
) -> None:
    """Run SQL against Bitbucket Cloud and print the result ('-' reads SQL from stdin).

    The cost (rows, time, HTTP requests) goes to stderr for table output, with -o, or when
    stderr is a terminal, so csv/json piped from stdout stay clean. Errors are one paragraph
    and exit 1.

    \b
    Examples:
      bbsql query -c "$CONN" "SELECT id, title FROM pull_requests WHERE repository = 'api'"
      bbsql query -f vertical "SELECT * FROM pull_requests WHERE repository = 'api' LIMIT 2"
      bbsql query -f csv -p OPEN "SELECT * FROM pull_requests WHERE state = ?" > open.csv
      bbsql query -f parquet -o prs.parquet "SELECT * FROM pull_requests"
      bbsql query --metric lead_time -p start=2026-01-01 -p repository=api
      bbsql query --from bitbucket.duckdb "SELECT state, count(*) FROM pull_requests GROUP BY 1"
    """
    if fmt == "parquet" and output is None:
        raise click.UsageError(PARQUET_NEEDS_A_FILE)
    if metric is not None and sql is not None:
        raise click.UsageError("give either SQL or --metric NAME, not both")
    statement = "" if metric is not None else read_sql(sql or "")
    values: list[Any] | None = list(params) or None
    if metric is None and synced is None and values is None and not is_explain(statement):
        answer = kept_answer(connection, profile, statement)
        if answer is not None:  # a repeat inside CacheTTL: no engine, no request
            emit(Tabular.from_result(answer), fmt, output)
            if fmt in DISPLAY_FORMATS or output is not None or sys.stderr.isatty():
                click.echo(stats_line(answer), err=True)
            return
    with synced_engine(connection, profile, synced) if synced else opened_engine(connection, profile) as engine:
        if metric is not None:
            from bitbucket_sql.metrics import metric_statement

            with friendly_errors():
                statement, values = metric_statement(engine, metric, params)
        # a file of any size is written batch by batch as DuckDB reads the rows (little memory);
        # what is printed is small enough to keep as an answer for a repeat (engine/answers.py)
        streamed = output is not None and fmt not in DISPLAY_FORMATS and not is_explain(statement)
        if streamed:  # rows may still be fetched while the file is written: the engine stays open
            with ProgressLine() as progress, friendly_errors():
                result = engine.execute(statement, values, progress=progress, stream=True)
                if getattr(result, "affected_rows", None) is None:
                    emit(Tabular.from_result(result), fmt, output)
        else:
            result = run_with_progress(engine, statement, values)
    plan = is_explain(statement)
    if streamed and getattr(result, "affected_rows", None) is None:
        pass  # written above
    elif plan and fmt in DISPLAY_FORMATS and output is None:
        print_plan(result)
    elif getattr(result, "affected_rows", None) is not None:
        print_write(result, statement, fmt, output)
    else:
        with friendly_errors():  # a streamed result runs in DuckDB while it is written
            emit(Tabular.from_result(result), fmt, output)
    if fmt in DISPLAY_FORMATS or output is not None or sys.stderr.isatty():
        click.echo(stats_line(result, plan=plan), err=True)


@click.command()
@connection_options
@click.option("--analyze", is_flag=True, help="Run the query too and report actual requests and rows.")
@params_option
@click.argument("sql")
def explain(
    connection: str | None, profile: str | None, analyze: bool, params: tuple[str, ...], sql: str
) -> None:
    """Show how a query is answered: which requests are made and what is pushed down to the API."""
    statement = read_sql(sql)
    with opened_engine(connection, profile) as engine, friendly_errors():
        result = engine.explain(statement, list(params) or None, analyze=analyze)
    print_plan(result)


_PAST = {"INSERT": "inserted", "UPDATE": "updated", "DELETE": "deleted"}


def print_write(result: Any, statement: str, fmt: str, output: Path | None) -> None:
    """An INSERT/UPDATE/DELETE: its RETURNING rows (if any), and how many rows it changed. The count
    goes to stdout unless RETURNING rows are written as data (csv, json, a file): then to stderr."""
    verb = statement.split(None, 1)[0].upper() if statement.split() else ""
    line = f"{result.affected_rows} row{'' if result.affected_rows == 1 else 's'} {_PAST.get(verb, 'changed')}"
    if result.columns:
        emit(Tabular.from_result(result), fmt, output)
    click.echo(line, err=bool(result.columns) and (fmt not in DISPLAY_FORMATS or output is not None))


def print_plan(result: Any) -> None:
    """A one-column plan prints as plain lines; a wider one as a table."""
    if len(result.columns) == 1:
        for (line,) in result.rows:
            click.echo(text_of(line))
        return
    emit(Tabular.from_result(result), "table", None)
