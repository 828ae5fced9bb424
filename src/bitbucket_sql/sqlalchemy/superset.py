"""What an Apache Superset engine spec for ``bitbucket://`` needs, as plain data.

Superset is not a dependency: docs/sqlalchemy.md shows the few lines of a
``BaseEngineSpec`` subclass that use these values, and the tests run every expression through
the engine. Time grains are Superset's ISO 8601 durations; ``{col}`` is the time column.
"""

from __future__ import annotations

import datetime as dt

#: Superset time grain -> DuckDB expression (UTC: TIMESTAMPTZ columns hold UTC, the engine's time zone).
TIME_GRAIN_EXPRESSIONS: dict[str | None, str] = {
    None: "{col}",
    "PT1S": "date_trunc('second', {col})",
    "PT1M": "date_trunc('minute', {col})",
    "PT1H": "date_trunc('hour', {col})",
    "P1D": "date_trunc('day', {col})",
    "P1W": "date_trunc('week', {col})",
    "P1M": "date_trunc('month', {col})",
    "P3M": "date_trunc('quarter', {col})",
    "P1Y": "date_trunc('year', {col})",
}

#: Seconds since the epoch -> timestamp (Superset's ``epoch_to_dttm``).
EPOCH_TO_DTTM = "to_timestamp({col})"


def convert_dttm(target_type: str, value: dt.datetime) -> str | None:
    """The SQL literal for ``value`` compared with a column of ``target_type`` (Superset's ``convert_dttm``)."""
    kind = target_type.upper()
    if kind == "DATE":
        return f"DATE '{value.date().isoformat()}'"
    if kind in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE", "DATETIME"):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return f"TIMESTAMPTZ '{aware.astimezone(dt.UTC).isoformat(sep=' ')}'"
    if kind == "TIMESTAMP":
        naive = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo is not None else value
        return f"TIMESTAMP '{naive.isoformat(sep=' ')}'"
    return None
