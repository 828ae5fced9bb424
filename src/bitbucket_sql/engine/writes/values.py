"""Checking a written value against its column's type, and turning it into the JSON the API takes.

Values arrive as DuckDB evaluated them (VALUES, a SELECT, an UPDATE's SET expression), so they are
Python objects of the SQL type the user wrote. A value of another type is refused (``title = 5``
names the column, its type and the value's type) rather than converted behind the user's back;
the few conversions that are unambiguous (an ISO text for a timestamp, JSON text for a JSON
column, a whole DOUBLE for a BIGINT) are accepted.
"""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any

from ..timestamps import parse_timestamp


class ValueTypeError(ValueError):
    """A value that does not fit its column's type (the caller names table and column)."""


def _kind(value: Any) -> str:
    """The SQL-ish name of a Python value's type, for messages."""
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER"
    if isinstance(value, float | decimal.Decimal):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime.datetime):
        return "TIMESTAMP"
    if isinstance(value, datetime.date):
        return "DATE"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a struct"
    return type(value).__name__


def to_json_value(value: Any, sql_type: str) -> Any:
    """``value`` (not None) as the JSON value the API takes for a column of ``sql_type``.

    Raises ValueTypeError saying what was expected when the value does not fit.
    """
    if sql_type == "VARCHAR":
        if isinstance(value, str):
            return value
    elif sql_type == "BIGINT":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float | decimal.Decimal) and value == int(value):
            return int(value)
    elif sql_type == "DOUBLE":
        if isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool):
            return float(value)
    elif sql_type == "BOOLEAN":
        if isinstance(value, bool):
            return value
    elif sql_type == "TIMESTAMPTZ":
        stamp = value if isinstance(value, datetime.datetime) else parse_timestamp(value) if isinstance(value, str) else None
        if stamp is not None:
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=datetime.UTC)
            return stamp.astimezone(datetime.UTC).isoformat()
    elif sql_type == "DATE":
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
    elif sql_type == "JSON":
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueTypeError(
                    f"it is JSON, and {value[:40]!r} is not valid JSON (write a JSON text such as "
                    f"'[\"pullrequest:created\"]')"
                ) from None
        if isinstance(value, list | tuple | dict):
            return _plain(value)
        if isinstance(value, bool | int | float):
            return value
    raise ValueTypeError(f"it is {sql_type} and the value given is {_kind(value)}; write a {_example(sql_type)}")


def _plain(value: Any) -> Any:
    """Lists and structs from DuckDB as JSON-able lists and dicts."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def _example(sql_type: str) -> str:
    return {
        "VARCHAR": "text value in quotes ('like this')",
        "BIGINT": "whole number",
        "DOUBLE": "number",
        "BOOLEAN": "TRUE or FALSE",
        "TIMESTAMPTZ": "timestamp ('2026-01-31T12:00:00Z')",
        "DATE": "date ('2026-01-31')",
        "JSON": "JSON text",
    }.get(sql_type, "value of that type")


def set_path(body: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at the dotted ``path`` of ``body``, creating the objects on the way."""
    parts = path.split(".")
    node = body
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value
