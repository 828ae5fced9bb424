"""``bbsql demo``: a local Bitbucket emulator with demo data, a short tour of real queries, a shell.

It needs no network, account or configuration: the emulator runs in this process (in a
background thread, on 127.0.0.1 and a free port) and the queries go to it over HTTP exactly
as they would go to api.bitbucket.org, through the same engine and client. Each step prints
its SQL, its result and what it cost (rows, time, HTTP requests).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import click
from rich.console import Console
from rich.syntax import Syntax

from bitbucket_sql.cli._display import print_result
from bitbucket_sql.cli._errors import QueryError, friendly_errors, one_paragraph

DEMO_WORKSPACE = "acme"
DEMO_USER = "demo@example.com"
DEMO_API_TOKEN = "demo-api-token"  # the emulator's published demo credential, not a secret


@dataclass(frozen=True)
class TourStep:
    """One query of the tour; ``sql`` may use ``{repo}``, filled with a repository of the demo data."""

    title: str
    sql: str
    why: str


TOUR: tuple[TourStep, ...] = (
    TourStep(
        "Repositories of the workspace",
        "SELECT slug, language, updated_on\nFROM repositories\nORDER BY updated_on DESC\nLIMIT 5",
        "One request lists the workspace's repositories; DuckDB sorts and limits locally.",
    ),
    TourStep(
        "Recent pull requests of one repository",
        "SELECT id, title, state, author_display_name, created_on\nFROM pull_requests\n"
        "WHERE repository = '{repo}'\nORDER BY created_on DESC\nLIMIT 5",
        "repository = '{repo}' becomes the URL and ORDER BY ... LIMIT becomes sort=-created_on with an "
        "early stop: one request.",
    ),
    TourStep(
        "Open pull requests by author, across the workspace",
        "SELECT author_display_name AS author, count(*) AS open_prs\nFROM pull_requests\n"
        "WHERE state = 'OPEN'\nGROUP BY author\nORDER BY open_prs DESC, author\nLIMIT 10",
        "state = 'OPEN' is sent as BBQL q=state=\"OPEN\" to every repository, concurrently.",
    ),
    TourStep(
        "Merged pull requests per week",
        "SELECT date_trunc('week', updated_on) AS week, count(*) AS merged\nFROM pull_requests\n"
        "WHERE state = 'MERGED'\nGROUP BY week\nORDER BY week DESC\nLIMIT 8",
        "The filter is pushed down; grouping by week happens in DuckDB.",
    ),
    TourStep(
        "Failed pipelines",
        "SELECT repository, build_number, target_ref_name, created_on\nFROM pipelines\n"
        "WHERE state_result_name = 'FAILED'\nORDER BY created_on DESC\nLIMIT 10",
        "Pipelines have no BBQL; the engine filters the fetched runs locally.",
    ),
    TourStep(
        "Commits per author in one repository",
        "SELECT author_user_display_name AS author, count(*) AS commits\nFROM commits\n"
        "WHERE repository = '{repo}'\nGROUP BY author\nORDER BY commits DESC, author\nLIMIT 10",
        "Only the commits of '{repo}' are fetched.",
    ),
    TourStep(
        "How a query is answered: EXPLAIN",
        "EXPLAIN\nSELECT title FROM pull_requests\nWHERE repository = '{repo}' AND state = 'MERGED'\n"
        "ORDER BY created_on DESC LIMIT 5",
        "The plan shows the request URL, the BBQL filter, the sort and the early stop.",
    ),
    TourStep(
        "A join: open pull requests and their comments",
        "SELECT p.id, p.title, count(c.id) AS comments\nFROM pull_requests p\n"
        "LEFT JOIN pull_request_comments c\n  ON c.repository = p.repository AND c.pull_request_id = p.id\n"
        "WHERE p.repository = '{repo}' AND p.state = 'OPEN'\nGROUP BY p.id, p.title\n"
        "ORDER BY comments DESC, p.id\nLIMIT 5",
        "Comments are fetched only for the pull requests the left side found.",
    ),
)


#: Where ``bbsql emulator`` serves by default (its --port 7990), as the README says.
STANDALONE_BASE_URL = "http://127.0.0.1:7990/2.0"


def demo_connection_string(base_url: str) -> str:
    return (
        f"BaseURL={base_url};Workspace={DEMO_WORKSPACE};AuthScheme=APIToken;"
        f"User={DEMO_USER};APIToken={DEMO_API_TOKEN}"
    )


@contextlib.contextmanager
def running_emulator(scale: str, seed: int) -> Iterator[Any]:
    """The emulator in a background thread of this process, stopped when the block ends."""
    from bitbucket_sql.emulator import run_emulator

    with run_emulator(scale=scale, seed=seed) as emulator:  # history up to today, as `bbsql emulator`
        yield emulator


def open_demo_engine(connection_string: str) -> Any:
    from bitbucket_sql.api.settings import parse_connection_string
    from bitbucket_sql.engine import Engine

    return Engine(parse_connection_string(connection_string))


def pick_repository(engine: Any) -> str:
    """The demo repository with the most pull requests (the tour's single-repository queries)."""
    result = engine.execute(
        "SELECT repository, count(*) AS n FROM pull_requests GROUP BY repository ORDER BY n DESC, repository LIMIT 1"
    )
    if not result.rows:
        raise QueryError("the demo data has no pull requests; try a larger --scale")
    return str(result.rows[0][0])


def run_step(engine: Any, console: Console, number: int, step: TourStep, repo: str) -> bool:
    """Print one step (SQL, result, cost); False when it failed (the tour goes on)."""
    sql = step.sql.format(repo=repo)
    console.rule(f"[bold]{number}. {step.title}", align="left")
    console.print(Syntax(sql, "sql", theme="ansi_dark", background_color="default"))
    try:
        result = engine.execute(sql)
    except Exception as error:  # noqa: BLE001 - a failed step is reported and the tour continues
        console.print(f"error: {one_paragraph(error)}", style="red", markup=False, highlight=False)
        return False
    print_result(console, result, sql)
    console.print(step.why.format(repo=repo), style="italic", markup=False, highlight=False)
    return True


def _busiest_repository(connection_string: str) -> str:
    """:func:`pick_repository` on a connection that caches nothing.

    Why: the tour's request counts are what each query costs on its own; had the pick left the
    workspace's pull requests in the cache, the next steps would show "0 requests" where their
    text explains the one request pushdown makes.
    """
    picker = open_demo_engine(connection_string + ";Cache=off")
    try:
        return pick_repository(picker)
    finally:
        picker.close()


def run_tour(engine: Any, console: Console, repo: str) -> int:
    """Run every step; the number of failed steps."""
    failures = 0
    for number, step in enumerate(TOUR, start=1):
        if not run_step(engine, console, number, step, repo):
            failures += 1
    return failures


def standalone_emulator_command(scale: str, seed: int) -> str:
    """The ``bbsql emulator`` command that serves the same data as this demo (same scale and seed)."""
    from bitbucket_sql.cli.emulator_cmd import DEFAULT_SCALE

    command = "bbsql emulator"
    if scale != DEFAULT_SCALE:
        command += f" --scale {scale}"
    if seed != 1:
        command += f" --seed {seed}"
    return command


def print_next_steps(console: Console, scale: str = "small", seed: int = 1) -> None:
    """How to go on once the demo (and with it its emulator) has ended: a standalone emulator
    serving the same data, so the tour's queries give the same answers there."""
    console.print(
        f"This emulator stops when the demo ends. To keep querying the same demo data, run "
        f"'{standalone_emulator_command(scale, seed)}' in another terminal and connect to it with:",
        markup=False,
        soft_wrap=True,
    )
    console.print(
        f"  bbsql shell -c '{demo_connection_string(STANDALONE_BASE_URL)}'", markup=False, soft_wrap=True
    )
    console.print(
        "For your own workspace, see the README (API tokens: docs/authentication.md).",
        markup=False,
        soft_wrap=True,
    )


def _offer_shell(engine: Any, connection_string: str, debug: bool, confirm: Callable[[str], bool]) -> None:
    from bitbucket_sql.cli.shell_cmd import start_shell

    if confirm("Open the SQL shell on the demo data?"):
        click.echo(
            f"(the emulator runs until you leave; other terminals can connect with -c '{connection_string}')"
        )
        start_shell(engine, debug=debug)


@click.command()
@click.option(
    "--scale",
    type=click.Choice(["tiny", "small", "medium"]),
    default="small",
    show_default=True,
    help="Size of the demo data.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated demo data.")
@click.option("--no-shell", is_flag=True, help="Exit after the tour instead of offering the shell.")
@click.pass_context
def demo(ctx: click.Context, scale: str, seed: int, no_shell: bool) -> None:
    """Start a local Bitbucket emulator with demo data and tour it with real SQL queries.

    No network, account or configuration needed. Afterwards the SQL shell opens on the same
    data when standard input is a terminal (skip it with --no-shell).
    """
    debug = bool((ctx.find_root().obj or {}).get("debug"))
    console = Console(highlight=False)
    console.print(f"Starting the Bitbucket emulator ({scale} demo data)…", style="dim")
    with friendly_errors(), running_emulator(scale, seed) as emulator:
        connection_string = demo_connection_string(emulator.base_url)
        engine = open_demo_engine(connection_string)
        try:
            console.print(
                f"Emulator at {emulator.base_url}; workspace '{DEMO_WORKSPACE}'. "
                f"Connection string: {connection_string}",
                style="dim",
                markup=False,
                soft_wrap=True,  # one line however narrow the terminal, so it copies whole
            )
            failures = run_tour(engine, console, _busiest_repository(connection_string))
            console.rule()
            if failures:
                raise QueryError(f"{failures} of {len(TOUR)} tour queries failed (see above)")
            console.print(f"Tour done: {len(TOUR)} queries.", style="bold")
            print_next_steps(console, scale, seed)
            if not no_shell and sys.stdin.isatty():
                _offer_shell(engine, connection_string, debug, lambda text: click.confirm(text, default=True))
        finally:
            engine.close()
