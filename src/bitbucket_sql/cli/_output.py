"""Result formats of ``bbsql query`` (and of the catalog commands): table, vertical, csv, json,
jsonl, parquet.

Every format takes the same :class:`Tabular` (column names, DuckDB type names, Python rows),
so engine results and catalog listings print the same way. ``table`` and ``vertical`` are for
people (see :mod:`._display`: ``table`` switches to records in a terminal too narrow for its
columns, ``vertical`` always prints one record per row); the others are for programs: csv with a header row, json as one array of
objects, jsonl one object per line, parquet (a file only) with the engine's Arrow types.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import io
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from bitbucket_sql.cli._tabular import Tabular, text_of

FORMATS: tuple[str, ...] = ("table", "vertical", "csv", "json", "jsonl", "parquet")
#: Formats for people, printed by :mod:`._display`.
DISPLAY_FORMATS = ("table", "vertical")
PARQUET_NEEDS_A_FILE = "--format parquet writes a binary file: add -o FILE (for example -o result.parquet)"

#: Follows the note printed when a terminal is too narrow for a table.
TERMINAL_HINT = "for a table, pipe through 'less -S' or select fewer columns"

F = TypeVar("F", bound=Callable[..., Any])


class OutputError(click.ClickException):
    """The result cannot be written: parquet to a terminal, a file that cannot be created."""


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


def _objects(data: Tabular) -> Iterator[dict[str, Any]]:
    """Each row as a JSON object, one batch of rows at a time."""
    for batch in data.row_batches():
        for row in batch:
            yield {
                name: _json_value(value, sql_type)
                for name, sql_type, value in zip(data.names, data.types, row, strict=True)
            }


def write_csv(data: Tabular, stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(data.names)
    for batch in data.row_batches():
        writer.writerows([text_of(value) for value in row] for row in batch)


def write_json(data: Tabular, stream: TextIO) -> None:
    """One array of objects, written object by object (the text ``json.dump(..., indent=2)`` makes)."""
    first = True
    for obj in _objects(data):
        text = json.dumps(obj, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        stream.write(("[\n  " if first else ",\n  ") + text)
        first = False
    stream.write("[]\n" if first else "\n]\n")


def write_jsonl(data: Tabular, stream: TextIO) -> None:
    for obj in _objects(data):
        stream.write(json.dumps(obj, ensure_ascii=False))
        stream.write("\n")


def write_table(data: Tabular, stream: TextIO) -> None:
    """The table as plain text (no colours): one line per row, see :func:`._display.print_table`."""
    from rich.console import Console

    from bitbucket_sql.cli._display import print_table

    print_table(Console(file=stream, force_terminal=False, no_color=True), data)


def write_vertical(data: Tabular, stream: TextIO) -> None:
    """One record per row as plain text (no colours), every value whole: ``name | value`` lines."""
    from rich.console import Console

    from bitbucket_sql.cli._display import print_records

    print_records(Console(file=stream, force_terminal=False, no_color=True), data)


#: Rows (or bytes) gathered before a Parquet row group is written: small batches (DuckDB hands
#: on one per fetched request) would make small row groups, which compress worse; the bounds
#: keep what is held at once small whatever the size of the result.
PARQUET_GROUP_ROWS = 65_536
PARQUET_GROUP_BYTES = 16 * 1024 * 1024


def write_parquet(data: Tabular, path: Path) -> None:
    """Row group by row group: a streamed result is never whole in memory."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer: Any = None
    pending: list[Any] = []
    rows = size = 0

    def flush() -> None:
        nonlocal rows, size
        if pending:
            writer.write_table(pa.Table.from_batches(pending))
            pending.clear()
            rows = size = 0

    try:
        for batch in data.arrow_batches():
            if writer is None:
                writer = pq.ParquetWriter(str(path), batch.schema)
            pending.append(batch)
            rows += batch.num_rows
            size += batch.nbytes
            if rows >= PARQUET_GROUP_ROWS or size >= PARQUET_GROUP_BYTES:
                flush()
        if writer is not None:
            flush()
    finally:
        if writer is not None:
            writer.close()


_TEXT_WRITERS: dict[str, Callable[[Tabular, TextIO], None]] = {
    "table": write_table,
    "vertical": write_vertical,
    "csv": write_csv,
    "json": write_json,
    "jsonl": write_jsonl,
}


def _text_writer(fmt: str) -> Callable[[Tabular, TextIO], None]:
    try:
        return _TEXT_WRITERS[fmt]
    except KeyError:
        raise OutputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}") from None


def emit(data: Tabular, fmt: str, output: Path | None) -> None:
    """Write ``data`` in ``fmt`` to ``output`` (a file) or standard output."""
    if output is not None:
        _write_file(data, fmt, output)
        return
    if fmt == "parquet":
        raise OutputError(PARQUET_NEEDS_A_FILE)
    if fmt in DISPLAY_FORMATS:
        from rich.console import Console

        from bitbucket_sql.cli._display import print_table

        console = Console()
        if console.is_terminal:  # the terminal's own width and colours
            print_table(console, data, "vertical" if fmt == "vertical" else "auto", hint=TERMINAL_HINT)
            return
    if data.stream is not None:  # written as it is read, never whole in memory
        stdout: TextIO = sys.stdout
        _text_writer(fmt)(data, stdout)
        return
    buffer = io.StringIO()
    _text_writer(fmt)(data, buffer)
    click.echo(buffer.getvalue(), nl=False)


def _write_file(data: Tabular, fmt: str, output: Path) -> None:
    """Write ``output``; a streamed result goes to a partial file first and replaces ``output`` only
    when every row is written, so a query that fails half-way (DuckDB reads the rows as they are
    written) leaves no truncated file and an existing one untouched."""
    regular = not output.exists() or output.is_file()  # not /dev/stdout, a pipe...
    target = output.with_name(f".{output.name}.bbsql-partial") if data.stream is not None and regular else output
    try:
        try:
            if fmt == "parquet":
                write_parquet(data, target)
            else:
                writer = _text_writer(fmt)
                with target.open("w", encoding="utf-8", newline="") as stream:
                    writer(data, stream)
        except BaseException:
            if target != output:
                target.unlink(missing_ok=True)
            raise
        if target != output:
            os.replace(target, output)
    except OSError as error:
        reason = error.strerror or str(error)
        raise OutputError(
            f"cannot write {str(output)!r}: {reason}; check that its directory exists and is writable, "
            "or choose another file with -o"
        ) from error


def _existing_directory(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """Refuse ``-o`` into a directory that does not exist before any request is made."""
    if value is not None and not value.parent.is_dir():
        raise click.BadParameter(
            f"cannot write {str(value)!r}: the directory {str(value.parent)!r} does not exist; "
            "create it first or choose another file",
            ctx=ctx,
            param=param,
        )
    return value


def output_option(help_text: str) -> Callable[[F], F]:
    """``-o/--output FILE``, checked up front: not a directory, in a directory that exists."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        callback=_existing_directory,
        help=help_text,
    )


def format_option(formats: tuple[str, ...] = FORMATS) -> Callable[[F], F]:
    """``-f/--format`` among ``formats``, ``table`` by default."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(formats),
        default="table",
        show_default=True,
        help="Output format (table switches to one record per row when its columns do not fit the terminal).",
    )
