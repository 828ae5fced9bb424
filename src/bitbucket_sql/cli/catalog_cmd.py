"""``bbsql tables`` and ``bbsql describe``: the catalog as the engine sees it, without any API call.

Both read the declarative table definitions directly, so they work offline and without a
connection: the place to look up a column name before writing a query.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bitbucket_sql.cli._errors import QueryError
from bitbucket_sql.cli._output import DISPLAY_FORMATS, FORMATS, emit, format_option, output_option
from bitbucket_sql.cli._tabular import Tabular

if TYPE_CHECKING:
    from bitbucket_sql.catalog.model import Column

TEXT_FORMATS = tuple(fmt for fmt in FORMATS if fmt != "parquet")


def _format_option(command: Any) -> Any:
    command = output_option("Write to this file instead of standard output.")(command)
    return format_option(TEXT_FORMATS)(command)


#: The columns of a table listing (``bbsql tables``, the shell's ``.tables``).
TABLE_LISTING = ("name", "description", "scope", "primary_key")


def table_row(table: Any) -> tuple[str, str, str, str]:
    """One row of a table listing; a table whose API Bitbucket removed says ``[removed]``."""
    description = table.description
    if table.removed:
        description = f"[removed] {description}"
    return table.name, description, table.scope, ", ".join(table.primary_key)


def lookup_table(name: str) -> Any:
    """The table called ``name``, or a QueryError that names the closest tables."""
    from bitbucket_sql.catalog.registry import closest_tables, get_table, table_names

    table = get_table(name.split(".")[-1])
    if table is not None:
        return table
    closest = closest_tables(name.split(".")[-1])
    if closest:
        hint = "did you mean " + " or ".join(repr(n) for n in closest) + "?"
    else:
        hint = "known tables: " + ", ".join(table_names()) + "."
    raise QueryError(f"unknown table {name!r}; {hint} List every table with 'bbsql tables'.")


#: The columns of a column listing (``bbsql describe``, the shell's ``.schema``).
COLUMN_LISTING = ("name", "type", "description", "pushdown", "writes")


def column_rows(table: Any) -> list[tuple[str, str, str, str, str]]:
    """One row per column of ``table``: name, type, description, pushdown, how writes may set it.

    Write-only columns (a webhook's secret) come last, marked so: writes accept them, reads never
    return them (they are not in SELECT *)."""
    rows = [(c.name, c.type, c.description, pushdown_of(table, c), table.write_access(c.name)) for c in table.columns]
    rows += [(f.column, f.type or "VARCHAR", f.description, "not readable (write-only)",
              f"{table.write_access(f.column)} (write-only)") for f in table.write_only_fields()]
    return rows


def pushdown_of(table: Any, column: Any) -> str:
    """How a predicate or sort on ``column`` reaches the API (empty: evaluated locally only)."""
    ways: list[str] = []
    for key in table.keys:
        if key.column == column.name:
            ways.append("URL key (=, IN)" if key.placeholder != "workspace" else "URL key (the schema)")
    if column.param:
        ways.append(f"query parameter {column.param} (=)")
    if column.filter_ops:
        ways.append("q: " + _operators(column))
    if column.sortable:
        ways.append("sort")
    if not column.default_field:
        ways.append("fetched only when selected")
    return "; ".join(ways)


_OPERATOR_ORDER = ("=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "IS NULL", "IS NOT NULL")


def _operators(column: Column) -> str:
    """``all comparisons (superset, re-checked: !=, NOT IN)``: the operators, and which the
    column declares the API answers only as a superset."""
    from bitbucket_sql.catalog.model import ALL_COMPARISONS

    ops = column.filter_ops
    parts = ["all comparisons"] if ops >= ALL_COMPARISONS else [op for op in _OPERATOR_ORDER if op in ops]
    if "LIKE" in ops:
        parts.append("LIKE")
    superset = [op for op in (*_OPERATOR_ORDER, "LIKE") if op in ops and column.pushdown(op) == "superset"]
    text = ", ".join(parts)
    return f"{text} (superset, re-checked: {', '.join(superset)})" if superset else text


@click.command()
@_format_option
def tables(fmt: str, output: Path | None) -> None:
    """List the tables: name, description, scope and primary key."""
    from bitbucket_sql.catalog.registry import all_tables

    rows = [table_row(table) for table in all_tables()]
    emit(Tabular.of_text(TABLE_LISTING, rows), fmt, output)


@click.command()
@_format_option
@click.argument("table_name", metavar="TABLE")
def describe(fmt: str, output: Path | None, table_name: str) -> None:
    """List a table's columns: name, type, description and pushdown."""
    table = lookup_table(table_name)
    if fmt in DISPLAY_FORMATS and output is None:
        click.echo(f"{table.name}: {table.description}")
        click.echo(
            f"scope: {table.scope}; primary key: {', '.join(table.primary_key)}; API path: {table.path}"
        )
        if table.removed:
            click.echo(f"removed: {table.removed}")
        operations = ", ".join(kind.upper() for kind in table.operations) or "none (read-only)"
        click.echo(f"writes: {operations}" + "".join(
            f"; write-only column {f.column} ({f.type or 'VARCHAR'})" for f in table.write_only_fields()))
    emit(Tabular.of_text(COLUMN_LISTING, column_rows(table)), fmt, output)
