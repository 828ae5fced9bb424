"""Results for people: rich tables, records, plan lines and the cost line, in a terminal or not.

In a terminal a table fits the terminal's width and folds long values, but never below a
readable width (:data:`MIN_READABLE` characters, or the column's name): when the columns cannot
all fit that way, each row prints as a record instead (one ``name | value`` line per column,
like psql's ``\\x auto``). The shell can force either view (``.mode table`` elides the middle
columns that do not fit and says so, like DuckDB's CLI; ``.mode vertical`` always prints records).
Anywhere else (a pipe, a file, a script's log) nothing knows the reader's width, and fitting
31 columns into 80 would leave 3-character columns nobody can read; there every row stays on
one line at the table's natural width, and values longer than :data:`CELL_MAX` characters end
in ``…`` (csv and json carry every value whole).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

from bitbucket_sql.cli._summary import is_explain, plural, stats_line
from bitbucket_sql.cli._tabular import Tabular, text_of

__all__ = ["CELL_MAX", "DISPLAY_MODES", "MIN_READABLE", "is_explain", "plural", "print_records", "print_result",
           "print_table", "stats_line"]

#: Longest value a table shows when it is not written to a terminal.
CELL_MAX = 60
#: Narrowest a terminal table folds a column (unless the column's name or values are narrower).
MIN_READABLE = 12
#: How results print: ``auto`` (a table when it fits readably, else records), ``table``, ``vertical``.
DISPLAY_MODES: tuple[str, ...] = ("auto", "table", "vertical")
#: Wide enough to measure any table's natural width.
_UNLIMITED = 1_000_000


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
        justify: Literal["left", "right"] = "right" if _is_numeric(sql_type) else "left"
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


def _natural_width(name: str, values: list[Any]) -> int:
    """The width a column takes with nothing folded: its name or its longest line of text."""
    widest = cell_len(name)
    for value in values:
        shown = "NULL" if value is None else _display(value)
        for line in shown.splitlines() or [""]:
            widest = max(widest, cell_len(line))
    return widest


def natural_widths(data: Tabular) -> list[int]:
    return [_natural_width(name, [row[index] for row in data.rows]) for index, name in enumerate(data.names)]


def readable_widths(data: Tabular) -> list[int]:
    """Per column, the narrowest it may be folded to: its natural width up to :data:`MIN_READABLE`,
    never narrower than its name."""
    return [
        min(natural, max(cell_len(name), MIN_READABLE))
        for natural, name in zip(natural_widths(data), data.names, strict=True)
    ]


def fitted_widths(data: Tabular, width: int) -> list[int]:
    """Column widths for a table ``width`` wide: the widest columns give way first, none below
    its readable width (the caller checks :func:`fits_readably` first).

    Chosen here rather than by rich, whose last resort narrows every column evenly and then
    widens those below their minimum again, overflowing the terminal.
    """
    naturals, minimums = natural_widths(data), readable_widths(data)
    room = width - _table_width([0] * len(naturals))
    if sum(naturals) <= room:
        return naturals

    def widths_under(cap: int) -> list[int]:
        return [max(minimum, min(natural, cap)) for natural, minimum in zip(naturals, minimums, strict=True)]

    low, high = 0, max(naturals)  # the largest cap that fits: every column capped there
    while low < high:
        cap = (low + high + 1) // 2
        if sum(widths_under(cap)) <= room:
            low = cap
        else:
            high = cap - 1
    widths = widths_under(low)
    spare = room - sum(widths)
    for index, natural in enumerate(naturals):  # hand out what the cap left over, left to right
        if spare <= 0:
            break
        extra = min(spare, natural - widths[index])
        if extra > 0:
            widths[index] += extra
            spare -= extra
    return widths


def _table_width(column_widths: list[int]) -> int:
    """Width of a boxed rich table: each column has one space of padding either side and a border."""
    return sum(column_widths) + 3 * len(column_widths) + 1


def fits_readably(data: Tabular, width: int) -> bool:
    """True when every column can have its readable width within ``width`` characters."""
    return _table_width(readable_widths(data)) <= width


def _visible_columns(widths: list[int], width: int) -> list[int]:
    """The columns an elided table keeps: from both ends inwards while they and an ``…`` column fit."""
    left: list[int] = []
    right: list[int] = []
    lo, hi = 0, len(widths) - 1
    take_left = True
    while lo <= hi:
        index = lo if take_left else hi
        kept = [widths[i] for i in left + right] + [widths[index], 1]
        if _table_width(kept) > width:
            break
        if take_left:
            left.append(lo)
            lo += 1
        else:
            right.insert(0, hi)
            hi -= 1
        take_left = not take_left
    if not left:  # one column always shows, folded if it must be
        left = [0]
    return left + right


def _elided(data: Tabular, width: int) -> tuple[Tabular, int]:
    """``data`` with the middle columns that do not fit replaced by one ``…`` column; how many went."""
    keep = _visible_columns(readable_widths(data), width)
    if len(keep) == len(data.names):
        return data, 0
    split = next((position for position, index in enumerate(keep) if index != position), len(keep))
    names = [data.names[i] for i in keep[:split]] + ["…"] + [data.names[i] for i in keep[split:]]
    types = [data.types[i] for i in keep[:split]] + ["VARCHAR"] + [data.types[i] for i in keep[split:]]
    rows = [
        tuple(row[i] for i in keep[:split]) + ("…",) + tuple(row[i] for i in keep[split:]) for row in data.rows
    ]
    return Tabular(names, types, rows), len(data.names) - len(keep)


def _render_fitted_table(data: Tabular, width: int) -> Table:
    """A terminal table ``width`` wide whose columns fold no narrower than their readable width."""
    table = render_table(data)
    for column, column_width in zip(table.columns, fitted_widths(data, width), strict=True):
        column.width = column_width
    return table


def _record_title(number: int, name_width: int) -> str:
    title = f"-[ RECORD {number} ]"
    return title + "-" * max(1, name_width + 16 - len(title))


def render_records(data: Tabular) -> list[Any]:
    """Each row as a record for a terminal: a ``-[ RECORD n ]`` line, then a ``name | value`` line
    per column, long values folded to the terminal's width."""
    name_width = max((len(name) for name in data.names), default=0)
    renderables: list[Any] = []
    for number, row in enumerate(data.rows, start=1):
        renderables.append(Text(_record_title(number, name_width), style="dim"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, style="bold", min_width=name_width)
        grid.add_column(no_wrap=True, style="dim")
        grid.add_column(overflow="fold")
        for name, value in zip(data.names, row, strict=True):
            grid.add_row(name, "|", Text("NULL", style="dim") if value is None else Text(_display(value)))
        renderables.append(grid)
    return renderables


def record_lines(data: Tabular) -> list[str]:
    """Records as plain lines (no terminal): every value whole; a value's further lines keep the
    ``|`` so that each line still says which column it belongs to."""
    name_width = max((len(name) for name in data.names), default=0)
    lines: list[str] = []
    for number, row in enumerate(data.rows, start=1):
        lines.append(_record_title(number, name_width))
        for name, value in zip(data.names, row, strict=True):
            shown = "NULL" if value is None else _display(value)
            first, *rest = shown.split("\n")
            lines.append(f"{name:<{name_width}} | {first}".rstrip())
            lines.extend(f"{'':<{name_width}} | {line}".rstrip() for line in rest)
    return lines


def print_records(console: Console, data: Tabular) -> None:
    """Print ``data`` as records: folded to a terminal's width, elsewhere every value whole."""
    if console.is_terminal:
        for renderable in render_records(data):
            console.print(renderable)
        return
    for line in record_lines(data):
        console.print(Text(line), crop=False, soft_wrap=True, highlight=False)


def print_table(console: Console, data: Tabular, mode: str = "auto", *, hint: str | None = None) -> None:
    """Print ``data`` to ``console`` as a table or as records (see the module's docstring).

    ``mode`` is one of :data:`DISPLAY_MODES`; ``hint`` follows a note about the switch to
    records or about elided columns, saying how to choose (``-f``, ``.mode``).
    """
    if mode == "vertical":
        print_records(console, data)
        return
    if not console.is_terminal:
        table = render_table(data, one_line=True)
        width = console.measure(table, options=console.options.update_width(_UNLIMITED)).maximum
        console.print(Segments(console.render(table, console.options.update_width(width))), crop=False)
        return
    if fits_readably(data, console.width):
        console.print(_render_fitted_table(data, console.width))
        return
    suffix = f"; {hint}" if hint else ""
    if mode == "auto" and data.rows:  # no rows: no records to show, only the (elided) header
        print_records(console, data)
        console.print(
            f"({len(data.names)} columns do not fit {console.width} characters: shown as records{suffix})",
            style="dim", highlight=False, markup=False, soft_wrap=True,
        )  # fmt: skip
        return
    shown, hidden = _elided(data, console.width)
    console.print(_render_fitted_table(shown, console.width))
    console.print(
        f"({hidden} of {len(data.names)} columns not shown to fit {console.width} characters{suffix})",
        style="dim", highlight=False, markup=False, soft_wrap=True,
    )  # fmt: skip


def print_result(
    console: Console, result: Any, sql: str, mode: str = "auto", *, hint: str | None = None
) -> None:
    """A query's result as a table or records (a plan as plain lines), then what it cost, dimmed."""
    data = Tabular.from_result(result)
    plan = is_explain(sql)
    if plan:
        for row in data.rows:
            console.print(" ".join(text_of(value) for value in row), markup=False, highlight=False,
                          soft_wrap=True)  # fmt: skip
    elif data.names:
        print_table(console, data, mode, hint=hint)
    console.print(stats_line(result, plan=plan), style="dim", highlight=False, soft_wrap=True)
