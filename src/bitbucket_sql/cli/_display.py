"""Results for people: rich tables, plan lines and the cost line, in a terminal or not.

In a terminal a table fits the terminal's width and folds long values, as people expect.
Anywhere else (a pipe, a file, a script's log) nothing knows the reader's width, and fitting
31 columns into 80 would leave 3-character columns nobody can read; there every row stays on
one line at the table's natural width, and values longer than :data:`CELL_MAX` characters end
in ``…`` (csv and json carry every value whole).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

from bitbucket_sql.cli._tabular import Tabular, text_of

#: Longest value a table shows when it is not written to a terminal.
CELL_MAX = 60
#: Wide enough to measure any table's natural width.
_UNLIMITED = 1_000_000


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 request``, ``2 requests``, ``0 retries`` (with ``plural_form='retries'``)."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def _display(value: Any) -> str:
    """A value as the table shows it to people: like csv, but timestamps to the second."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return text_of(value)


def _is_numeric(sql_type: str) -> bool:
    from bitbucket_sql.dbapi.types import NUMBER

    return sql_type == NUMBER


def render_table(data: Tabular, *, one_line: bool = False) -> Table:
    """A rich Table: NULL dimmed, numbers right-aligned; long text folded, or with ``one_line``
    kept to one line per row and cut at :data:`CELL_MAX` characters."""
    table = Table(show_lines=False, header_style="bold")
    for name, sql_type in zip(data.names, data.types, strict=True):
        justify = "right" if _is_numeric(sql_type) else "left"
        if one_line:
            table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis",
                             max_width=max(CELL_MAX, len(name)))  # fmt: skip
        else:
            table.add_column(name, justify=justify, overflow="fold")
    for row in data.rows:
        cells = []
        for value in row:
            if value is None:
                cells.append(Text("NULL", style="dim"))
            else:
                shown = _display(value)
                cells.append(Text(" ".join(shown.split()) if one_line else shown))
        table.add_row(*cells)
    return table


def print_table(console: Console, data: Tabular) -> None:
    """Print ``data`` to ``console``: fitted to a terminal, otherwise one line per row, unwrapped."""
    if console.is_terminal:
        console.print(render_table(data))
        return
    table = render_table(data, one_line=True)
    width = console.measure(table, options=console.options.update_width(_UNLIMITED)).maximum
    console.print(Segments(console.render(table, console.options.update_width(width))), crop=False)


def stats_line(result: Any, *, plan: bool = False) -> str:
    """``5 rows in 0.42 s, 3 requests, 1 retry, 2 from cache``: what the query cost.

    ``plan`` is for EXPLAIN output, whose rows are plan lines rather than data.
    """
    stats = result.stats
    parts = [plural(stats.requests, "request")]
    if stats.retries:
        parts.append(plural(stats.retries, "retry", "retries"))
    if stats.cache_hits:
        parts.append(f"{stats.cache_hits} from cache")
    what = "plan" if plan else plural(len(result.rows), "row")
    return f"{what} in {stats.elapsed_s:.2f} s, {', '.join(parts)}"


def is_explain(sql: str) -> bool:
    return sql.lstrip().upper().startswith("EXPLAIN")


def print_result(console: Console, result: Any, sql: str) -> None:
    """A query's result as a table (a plan as plain lines), then what it cost, dimmed."""
    data = Tabular.from_result(result)
    plan = is_explain(sql)
    if plan:
        for row in data.rows:
            console.print(" ".join(text_of(value) for value in row), markup=False, highlight=False,
                          soft_wrap=True)  # fmt: skip
    elif data.names:
        print_table(console, data)
    console.print(stats_line(result, plan=plan), style="dim", highlight=False, soft_wrap=True)
