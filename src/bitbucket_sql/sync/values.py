"""API objects -> typed row dicts, without DuckDB or pyarrow.

The sync core must import in environments that pin another DuckDB (the Fivetran Connector
SDK pins duckdb 1.5), so it cannot use :mod:`bitbucket_sql.engine.rows`, whose package opens
DuckDB on import. The rules here are the engine's, value for value (tests/sync/test_values.py
checks them against the engine's ``coerce`` and ``extract_row``): a column reads its dotted
``path`` from the object, or the request scope when the path is None or missing, and the value
is coerced once to the column's SQL type (aware UTC datetimes, ints, floats, booleans, dates,
JSON text).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from typing import Any

from bitbucket_sql.catalog.model import Column


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
    """An ISO-8601 text (every form Bitbucket sends) or a datetime as an aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def coerce(value: Any, sql_type: str) -> Any:
    """``value`` as the Python value of ``sql_type`` (None when it cannot be one)."""
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


def row_dict(item: Any, columns: Sequence[Column], scope: Mapping[str, Any]) -> dict[str, Any]:
    """One typed row (column name -> value) from an API object and the scope it was read in."""
    row: dict[str, Any] = {}
    for column in columns:
        raw = read_path(item, column.path) if column.path is not None else None
        if raw is not None and column.derive is not None:
            raw = column.derive(raw)
        if raw is None:
            raw = scope.get(column.name)
        row[column.name] = coerce(raw, column.type)
    return row


def iso(value: datetime.datetime | None) -> str | None:
    """A cursor timestamp as the ISO text kept in the state (microseconds, UTC offset)."""
    return value.astimezone(datetime.UTC).isoformat(timespec="microseconds") if value is not None else None
