"""What every output format prints: column names, DuckDB type names and Python rows.

A streamed query result (``Engine.execute(..., stream=True)``) has no rows list: its rows are
read from DuckDB in batches (:meth:`Tabular.row_batches`, :meth:`Tabular.arrow_batches`) by the
formats that write one row after another (csv, json, jsonl, parquet), so a result of any size
is written in little memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tabular:
    """Rows to print; ``arrow`` builds a pyarrow.Table (the engine's own for query results);
    ``stream`` is a streamed result's :class:`~bitbucket_sql.engine.result.ResultStream`."""

    names: Sequence[str]
    types: Sequence[str]
    rows: Sequence[tuple[Any, ...]]
    arrow: Callable[[], Any] | None = None
    stream: Any = None

    @classmethod
    def from_result(cls, result: Any) -> Tabular:
        return cls(
            names=[column.name for column in result.columns],
            types=[column.type for column in result.columns],
            rows=result.rows,
            arrow=result.to_arrow,
            stream=getattr(result, "stream", None),
        )

    def row_batches(self) -> Iterator[Sequence[tuple[Any, ...]]]:
        """The rows in batches: read from DuckDB one batch at a time when streamed."""
        if self.stream is not None:
            yield from self.stream.rows()
        elif self.rows:
            yield self.rows

    def arrow_batches(self) -> Iterator[Any]:
        """The rows as pyarrow record batches (DuckDB's Arrow types when streamed)."""
        if self.stream is not None:
            yield from self.stream.arrow()
            return
        import pyarrow as pa

        if self.arrow is not None:
            table = self.arrow()
        else:
            table = pa.table({name: [row[i] for row in self.rows] for i, name in enumerate(self.names)})
        batches = table.to_batches()
        yield from batches if batches else [pa.RecordBatch.from_pylist([], schema=table.schema)]

    @classmethod
    def of_text(cls, names: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> Tabular:
        """Rows whose columns are all text (catalog listings)."""
        return cls(names, ["VARCHAR"] * len(names), rows)


def text_of(value: Any) -> str:
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
