"""Wide results in a terminal: never folded below a readable width; records or elided columns instead.

The issue's case is ``SELECT * FROM pull_requests WHERE repository = 'api' LIMIT 2`` (31 columns):
in a 120-column terminal it used to print ~3,000 lines, one character per cell per line.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from cli_helpers import invoke
from rich.console import Console

from bitbucket_sql.cli._display import MIN_READABLE, print_table
from bitbucket_sql.cli._repl import Shell
from bitbucket_sql.cli._tabular import Tabular

WIDE_QUERY = "SELECT * FROM pull_requests WHERE repository = 'api' LIMIT 2"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def engine(emulator: Any) -> Any:
    from _helpers_connect import connection_string_for
    from bitbucket_sql.api.settings import parse_connection_string
    from bitbucket_sql.engine import Engine

    engine = Engine(parse_connection_string(connection_string_for(emulator)))
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def wide(engine: Any) -> Tabular:
    data = Tabular.from_result(engine.execute(WIDE_QUERY))
    assert len(data.names) > 25 and len(data.rows) == 2, "the demo data should have two PRs in 'api'"
    return data


def _terminal(width: int) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, force_terminal=True, color_system=None, width=width), stream


def _lines(stream: io.StringIO) -> list[str]:
    return _ANSI.sub("", stream.getvalue()).splitlines()


@pytest.mark.parametrize("width", [120, 80])
def test_too_many_columns_for_the_terminal_print_as_records(wide: Tabular, width: int) -> None:
    console, stream = _terminal(width)
    print_table(console, wide)
    lines = _lines(stream)
    assert sum(line.startswith("-[ RECORD ") for line in lines) == 2
    # every column is on a line of its own, whole name, then its value
    for name in wide.names:
        assert any(re.match(rf"{name}\s+\| ", line) for line in lines), name
    title_line = next(line for line in lines if line.startswith("title "))
    assert wide.rows[0][wide.names.index("title")] in title_line
    assert max(len(line.rstrip()) for line in lines) <= width
    assert len(lines) < 250  # not thousands of one-character lines
    assert f"{len(wide.names)} columns do not fit {width} characters: shown as records" in lines[-1]


def test_a_table_that_fits_readably_stays_a_table_and_no_column_is_folded_below_readable(
    engine: Any,
) -> None:
    data = Tabular.from_result(
        engine.execute(
            "SELECT id, title, author_display_name, created_on, description FROM pull_requests "
            "WHERE repository = 'api' LIMIT 3"
        )
    )
    console, stream = _terminal(80)
    print_table(console, data)
    lines = _lines(stream)
    assert not any(line.startswith("-[ RECORD") for line in lines)
    header = lines[1]
    cells = [cell.strip() for cell in header.strip("┃").split("┃")]
    assert cells == list(data.names)  # every header whole
    widths = [len(cell) - 2 for cell in lines[0].strip("┏┓").split("┳")]
    assert all(width >= min(MIN_READABLE, len(name)) for width, name in zip(widths, data.names, strict=True))
    assert max(len(line) for line in lines) <= 80


def test_vertical_format_prints_records_and_every_value_whole(cli_connection: str, wide: Tabular) -> None:
    result = invoke("query", "-c", cli_connection, "-f", "vertical", WIDE_QUERY)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("-[ RECORD 1 ]")
    assert sum(line.startswith("-[ RECORD ") for line in lines) == 2
    reviewers = next(line for line in lines if line.startswith("reviewers "))
    value = wide.rows[0][wide.names.index("reviewers")]
    assert reviewers.split("| ", 1)[1] == value  # whole, not cut
    assert "2 rows in" in result.stderr
    short = invoke("query", "-c", cli_connection, "-f", "vertical", "SELECT 1 AS one")
    assert short.stdout.splitlines()[1].rstrip() == "one | 1"


def test_shell_mode_and_backslash_x_choose_the_view(engine: Any, wide: Tabular) -> None:
    console, stream = _terminal(120)
    shell = Shell(engine, console)
    shell.handle(".mode table")
    shell.handle(WIDE_QUERY + ";")
    lines = _lines(stream)
    assert not any(line.startswith("-[ RECORD") for line in lines)
    header = next(line for line in lines if line.startswith("┃"))
    assert " workspace " in header and " reviewers " in header and " … " in header  # ends kept, middle elided
    assert any(re.search(r"\(\d+ of \d+ columns not shown to fit 120 characters", line) for line in lines)
    assert max(len(line) for line in lines if line.startswith(("┃", "│", "┏"))) <= 120

    for command, expected in (("\\x", "vertical"), ("\\x", "auto"), ("\\x on", "vertical"), ("\\x off", "table")):
        shell.handle(command)
        assert shell.mode == expected
    shell.handle(".mode vertical")
    stream.truncate(0)
    stream.seek(0)
    shell.handle("SELECT slug FROM repositories ORDER BY slug LIMIT 1;")
    assert _lines(stream)[0].startswith("-[ RECORD 1 ]")
    shell.handle(".mode sideways")
    assert shell.failures == 1 and shell.mode == "vertical"


def test_an_empty_wide_result_keeps_its_header_with_the_middle_columns_elided(engine: Any) -> None:
    data = Tabular.from_result(engine.execute("SELECT * FROM pull_requests WHERE repository = 'api' AND id < 0"))
    console, stream = _terminal(80)
    print_table(console, data)
    lines = _lines(stream)
    assert not any(line.startswith("-[ RECORD") for line in lines)
    assert " workspace " in lines[1] and " … " in lines[1]
    assert "columns not shown to fit 80 characters" in lines[-1]


@pytest.mark.parametrize("width", [120, 80, 71])  # 71: every column at its readable width
def test_a_fitting_table_fills_the_terminal_exactly_and_never_overflows(engine: Any, width: int) -> None:
    """The demo's second query: rich alone narrowed every column, widened some again and overflowed 80."""
    data = Tabular.from_result(
        engine.execute(
            "SELECT id, title, state, author_display_name, created_on FROM pull_requests "
            "WHERE repository = 'api' ORDER BY created_on DESC LIMIT 5"
        )
    )
    console, stream = _terminal(width)
    print_table(console, data)
    lines = _lines(stream)
    table_lines = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert table_lines and all(len(line) <= width for line in table_lines)
    assert all(line.endswith(("┓", "┃", "┩", "│", "┘")) for line in table_lines)  # nothing cut off
    widths = [len(cell) - 2 for cell in table_lines[0].strip("┏┓").split("┳")]
    assert all(w >= min(MIN_READABLE, len(n)) for w, n in zip(widths, data.names, strict=True))
