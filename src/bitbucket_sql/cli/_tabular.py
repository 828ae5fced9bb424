"""What every output format prints: column names, DuckDB type names and Python rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


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
