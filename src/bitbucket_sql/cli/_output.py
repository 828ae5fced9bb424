"""Result formats of ``bbsql query`` (and of the catalog commands): table, csv, json, jsonl, parquet.

Every format takes the same :class:`Tabular` (column names, DuckDB type names, Python rows),
so engine results and catalog listings print the same way. ``table`` is for people (rich);
the others are for programs: csv with a header row, json as one array of objects, jsonl one
object per line, parquet (a file only) with the engine's Arrow types.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import click

FORMATS: tuple[str, ...] = ("table", "csv", "json", "jsonl", "parquet")


@dataclass(frozen=True)
class Tabular:
    """Rows to print; ``arrow`` builds a pyarrow.Table (the engine's own for query results)."""

    names: Sequence[str]
    types: Sequence[str]
    rows: Sequence[tuple[Any, ...]]
    arrow: Callable[[], Any] | None = None

    @classmethod
    def from_result(cls, result: Any) -> Tabular:
        return cls(
            names=[column.name for column in result.columns],
            types=[column.type for column in result.columns],
            rows=result.rows,
            arrow=result.to_arrow,
        )


class OutputError(click.ClickException):
    """A format/output combination that cannot work (parquet to a terminal)."""


def _text(value: Any) -> str:
    """A value as csv and the table show it: ISO-8601 times, lower-case booleans, NULL as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _display(value: Any) -> str:
    """A value as the table shows it to people: like csv, but timestamps to the second."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return _text(value)


def _json_value(value: Any, sql_type: str) -> Any:
    """A value as JSON: JSON columns embedded as JSON, times as ISO-8601, decimals as numbers."""
    if value is None:
        return None
    if sql_type.upper() == "JSON" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple):
        return [_json_value(item, "") for item in value]
    if isinstance(value, dict):
        return {str(key): _json_value(item, "") for key, item in value.items()}
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _objects(data: Tabular) -> list[dict[str, Any]]:
    return [
        {
            name: _json_value(value, sql_type)
            for name, sql_type, value in zip(data.names, data.types, row, strict=True)
        }
        for row in data.rows
    ]


def stats_line(result: Any, *, plan: bool = False) -> str:
    """``5 rows in 0.42 s, 3 requests, 1 retry, 2 from cache``: what the query cost.

    ``plan`` is for EXPLAIN output, whose rows are plan lines rather than data.
    """
    stats = result.stats
    rows = len(result.rows)
    parts = [f"{stats.requests} request{'s' if stats.requests != 1 else ''}"]
    if stats.retries:
        parts.append(f"{stats.retries} retr{'ies' if stats.retries != 1 else 'y'}")
    if stats.cache_hits:
        parts.append(f"{stats.cache_hits} from cache")
    what = "plan" if plan else f"{rows} row{'s' if rows != 1 else ''}"
    return f"{what} in {stats.elapsed_s:.2f} s, {', '.join(parts)}"


def write_csv(data: Tabular, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(data.names)
    for row in data.rows:
        writer.writerow([_text(value) for value in row])


def write_json(data: Tabular, stream: TextIO) -> None:
    json.dump(_objects(data), stream, ensure_ascii=False, indent=2)
    stream.write("\n")


def write_jsonl(data: Tabular, stream: TextIO) -> None:
    for obj in _objects(data):
        stream.write(json.dumps(obj, ensure_ascii=False))
        stream.write("\n")


def _is_numeric(sql_type: str) -> bool:
    from bitbucket_sql.dbapi.types import NUMBER

    return sql_type == NUMBER


def render_table(data: Tabular, *, title: str | None = None) -> Any:
    """A rich Table: NULL shown dimmed, numbers right-aligned, long text wrapped."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
    for name, sql_type in zip(data.names, data.types, strict=True):
        table.add_column(name, justify="right" if _is_numeric(sql_type) else "left", overflow="fold")
    for row in data.rows:
        table.add_row(
            *(Text("NULL", style="dim") if value is None else Text(_display(value)) for value in row)
        )
    return table


def write_table(data: Tabular, stream: TextIO, *, color: bool) -> None:
    from rich.console import Console

    console = Console(file=stream, force_terminal=color, no_color=not color, soft_wrap=False,
                      width=None if color else 200)  # fmt: skip
    console.print(render_table(data))


def write_parquet(data: Tabular, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if data.arrow is not None:
        arrow_table = data.arrow()
    else:
        arrow_table = pa.table({name: [row[i] for row in data.rows] for i, name in enumerate(data.names)})
    pq.write_table(arrow_table, str(path))


def emit(data: Tabular, fmt: str, output: Path | None) -> None:
    """Write ``data`` in ``fmt`` to ``output`` (a file) or standard output."""
    if fmt == "parquet":
        if output is None:
            raise OutputError(
                "--format parquet writes a binary file: add -o FILE (for example -o result.parquet)"
            )
        write_parquet(data, output)
        return
    if output is not None:
        with output.open("w", encoding="utf-8", newline="") as stream:
            _write_text(data, fmt, stream, color=False)
        return
    if fmt == "table" and sys.stdout.isatty():
        from rich.console import Console

        Console().print(render_table(data))  # the terminal's own width and colours
        return
    buffer = io.StringIO()
    _write_text(data, fmt, buffer, color=False)
    click.echo(buffer.getvalue(), nl=False)


def _write_text(data: Tabular, fmt: str, stream: TextIO, *, color: bool) -> None:
    writers: dict[str, Callable[[Tabular, TextIO], None]] = {
        "csv": write_csv,
        "json": write_json,
        "jsonl": write_jsonl,
    }
    if fmt == "table":
        write_table(data, stream, color=color)
    elif fmt in writers:
        writers[fmt](data, stream)
    else:
        raise OutputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
