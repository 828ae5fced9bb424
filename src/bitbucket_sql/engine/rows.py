"""API objects -> typed rows -> Arrow tables that DuckDB loads.

Each column reads its dotted ``path`` from the object, or, when ``path`` is None, the value
of the request scope (``workspace``, ``repository``, ``pull_request_id``). Values are coerced
to the column's SQL type here, once, so that DuckDB sees real timestamps and numbers and a
surprising payload (a number sent as a string) cannot break a query.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bitbucket_sql.catalog.model import Column, TableDef

from . import timestamps
from .arrow_build import build_array

if TYPE_CHECKING:
    import pyarrow as pa

#: catalog type -> pyarrow type, filled on first use (pyarrow loads only when rows are built)
ARROW_TYPES: dict[str, pa.DataType] = {}


def arrow_type(sql_type: str) -> pa.DataType:
    """The pyarrow type that holds values of a catalog type (text for anything unknown)."""
    if not ARROW_TYPES:
        import pyarrow as pa

        ARROW_TYPES.update({
            "VARCHAR": pa.string(),
            "BIGINT": pa.int64(),
            "DOUBLE": pa.float64(),
            "BOOLEAN": pa.bool_(),
            "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
            "DATE": pa.date32(),
            "JSON": pa.string(),
        })
    return ARROW_TYPES.get(sql_type) or ARROW_TYPES["VARCHAR"]

Row = tuple[Any, ...]


def read_path(item: Any, path: str) -> Any:
    """The value at a dotted path (``author.display_name``); None when any step is missing."""
    value = item
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
        if value is None:
            return None
    return value


def parse_timestamp(value: Any) -> datetime.datetime | None:
    """An ISO-8601 text as an aware UTC datetime, in every form Bitbucket sends (no fraction,
    ``Z``, 1-9 fractional digits, no offset = UTC): see :mod:`bitbucket_sql.engine.timestamps`."""
    return timestamps.parse_timestamp(value)


def coerce(value: Any, sql_type: str) -> Any:
    """``value`` as the Python type DuckDB expects for ``sql_type`` (None when it cannot be)."""
    if value is None:
        return None
    if sql_type == "JSON":
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    if sql_type == "VARCHAR":
        if isinstance(value, str):
            return value
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    if sql_type == "BIGINT":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return int(number) if number.is_integer() else None
    if sql_type == "DOUBLE":
        if isinstance(value, bool):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    if sql_type == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None
    if sql_type == "TIMESTAMPTZ":
        return parse_timestamp(value)
    if sql_type == "DATE":
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        stamp = parse_timestamp(value)
        if stamp is not None:
            return stamp.date()
        try:
            return datetime.date.fromisoformat(str(value)[:10])
        except ValueError:
            return None
    return value


def extract_row(item: Any, columns: Sequence[Column], scope: Mapping[str, Any]) -> Row:
    """One typed row from an API object and the scope it was fetched in.

    A column with a path reads the object; when the object lacks it (a scope column such as
    ``pull_request_id`` read from ``pull_request.id`` on a wide endpoint) the scope value is used.
    """
    values = []
    for column in columns:
        raw = read_path(item, column.path) if column.path is not None else None
        if raw is not None and column.derive is not None:
            raw = column.derive(raw)  # e.g. a repository's slug from its full name
        if raw is None:
            raw = scope.get(column.name)
        values.append(coerce(raw, column.type))
    return tuple(values)


def to_arrow(table: TableDef | Sequence[tuple[str, str]], rows: Iterable[Row]) -> pa.Table:
    """Rows as an Arrow table typed by the catalog (or by (name, type) pairs)."""
    import pyarrow as pa

    spec: list[tuple[str, str]]
    if isinstance(table, TableDef):
        spec = [(column.name, column.type) for column in table.columns]
    else:
        spec = list(table)
    materialized = list(rows)
    arrays = []
    for index, (_, sql_type) in enumerate(spec):
        # from buffers on the system allocator: Arrow's default (mimalloc) keeps the freed buffers of
        # the page-by-page builds (about 30 MiB for SELECT * FROM commits at medium), and pa.array
        # imports pandas when it is installed (arrow_build says why that matters)
        arrays.append(build_array([row[index] for row in materialized], arrow_type(sql_type)))
    return pa.Table.from_arrays(arrays, names=[name for name, _ in spec])
