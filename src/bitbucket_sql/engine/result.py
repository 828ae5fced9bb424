"""The values :meth:`Engine.execute` hands to the outlets: columns, rows, statistics."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class ResultColumn:
    """One result column: PostgreSQL-style name and DuckDB type name (``BIGINT``, ``VARCHAR``...)."""

    name: str
    type: str


@dataclass
class QueryStats:
    """What answering one query cost.

    ``requests``/``retries``/``bytes`` come from the API client's accounting; ``rows_fetched``
    counts rows read from the API (before local filtering), ``rows_returned`` the result rows.
    ``api_s`` is the time spent fetching (requests, turning JSON into rows, loading them into
    DuckDB), ``local_s`` everything else: parsing, planning and running the query in DuckDB.
    ``cache_hits`` counts scans (or the whole result) answered from the cache.
    """

    requests: int = 0
    retries: int = 0
    bytes: int = 0
    rows_fetched: int = 0
    rows_returned: int = 0
    elapsed_s: float = 0.0
    api_s: float = 0.0
    local_s: float = 0.0
    cache_hits: int = 0


@dataclass(frozen=True)
class Progress:
    """Reported from time to time while fetching, for progress bars."""

    requests_done: int
    rows_so_far: int
    elapsed_s: float


ProgressCallback = Callable[[Progress], None]

_ARROW_TYPES: dict[str, pa.DataType] = {
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "SMALLINT": pa.int16(),
    "TINYINT": pa.int8(),
    "HUGEINT": pa.decimal128(38, 0),
    "UBIGINT": pa.uint64(),
    "DOUBLE": pa.float64(),
    "FLOAT": pa.float32(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR": pa.string(),
    "JSON": pa.string(),
    "DATE": pa.date32(),
    "TIMESTAMP WITH TIME ZONE": pa.timestamp("us", tz="UTC"),
    "TIMESTAMP": pa.timestamp("us"),
    "TIME": pa.time64("us"),
    "INTERVAL": pa.month_day_nano_interval(),
}


@dataclass
class QueryResult:
    """Columns, rows (plain Python values) and statistics of one statement."""

    columns: list[ResultColumn]
    rows: list[tuple[Any, ...]]
    stats: QueryStats = field(default_factory=QueryStats)
    #: what the user should know about this (correct) answer: parents skipped because they
    #: vanished mid-query, literals that can match no row. Also issued as :class:`QueryWarning`.
    warnings: list[str] = field(default_factory=list)
    #: rows an INSERT, UPDATE or DELETE changed (None for queries); ``rows`` then holds RETURNING's
    affected_rows: int | None = None

    def to_arrow(self) -> pa.Table:
        """The result as a pyarrow Table (types from DuckDB's names; others inferred)."""
        arrays = []
        for index, column in enumerate(self.columns):
            values = [row[index] for row in self.rows]
            arrow_type = _ARROW_TYPES.get(column.type)
            if arrow_type is None and column.type.startswith("DECIMAL"):
                arrow_type = None
            try:
                arrays.append(pa.array(values, type=arrow_type))
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                arrays.append(pa.array([_text(value) for value in values], type=pa.string()))
        names = [column.name for column in self.columns]
        return pa.Table.from_arrays(arrays, names=names) if names else pa.table({})


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)
