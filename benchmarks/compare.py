"""Compare two answers to the same question as sorted multisets of rows.

The engine returns Python values (tz-aware datetimes, floats, ints); the baseline returns what
pandas makes of the API's JSON (Timestamps, numpy scalars, NaN). Both sides are normalised to
plain comparable values first: timestamps to UTC ISO strings at second precision, numbers to
float (compared with a relative tolerance), missing values (None, NaN, NaT) to None.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

REL_TOLERANCE = 1e-6
ABS_TOLERANCE = 1e-6


def normalise_value(value: Any) -> Any:
    """One cell in a form both sides agree on (see the module docstring)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalar
        with contextlib.suppress(ValueError, TypeError):
            value = value.item()
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        if str(value) == "NaT":
            return None
        value = value.to_pydatetime()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if str(value) == "NaT":
        return None
    return value


def normalise_row(row: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(normalise_value(value) for value in row)


def _sort_key(row: tuple[Any, ...]) -> tuple[tuple[int, str], ...]:
    """Orders rows of mixed types: None first, numbers rounded so tolerance cannot reorder."""
    key = []
    for value in row:
        if value is None:
            key.append((0, ""))
        elif isinstance(value, float):
            key.append((1, f"{value:+.6e}"))
        else:
            key.append((2, str(value)))
    return tuple(key)


def _cells_match(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE)
    return left == right


@dataclass(frozen=True)
class Difference:
    """Rows only one side returned (after normalisation), for a loud failure message."""

    only_ours: list[tuple[Any, ...]]
    only_baseline: list[tuple[Any, ...]]
    note: str = ""  # what kind of difference, when it is not about which rows (e.g. their order)

    def __bool__(self) -> bool:
        return bool(self.only_ours or self.only_baseline)

    def describe(self, limit: int = 10) -> str:
        lines = [f"  {self.note}"] if self.note else []
        for label, rows in (("only in ours", self.only_ours), ("only in baseline", self.only_baseline)):
            if rows:
                lines.append(f"  {len(rows)} row(s) {label}:")
                lines.extend(f"    {row!r}" for row in rows[:limit])
                if len(rows) > limit:
                    lines.append(f"    ... and {len(rows) - limit} more")
        return "\n".join(lines)


def compare_rows(ours: Sequence[Iterable[Any]], baseline: Sequence[Iterable[Any]]) -> Difference:
    """The rows that differ between two answers compared as multisets with float tolerance."""
    left = Counter(normalise_row(r) for r in ours)
    right = Counter(normalise_row(r) for r in baseline)
    exact = left & right  # identical rows need no tolerance; only the rest is compared pairwise
    left_rest = sorted((left - exact).elements(), key=_sort_key)
    unmatched_right = sorted((right - exact).elements(), key=_sort_key)
    only_left: list[tuple[Any, ...]] = []
    for row in left_rest:
        for index, candidate in enumerate(unmatched_right):
            if len(candidate) == len(row) and all(map(_cells_match, row, candidate)):
                del unmatched_right[index]
                break
        else:
            only_left.append(row)
    return Difference(only_ours=only_left, only_baseline=unmatched_right)


def compare_ordered_rows(ours: Sequence[Iterable[Any]], baseline: Sequence[Iterable[Any]]) -> Difference:
    """Like :func:`compare_rows`, and when both hold the same rows, also their order: for answers
    whose order is part of the question (``ORDER BY position`` against an API listing's order)."""
    difference = compare_rows(ours, baseline)
    if difference:
        return difference
    left = [normalise_row(r) for r in ours]
    right = [normalise_row(r) for r in baseline]
    misplaced = [
        index
        for index, (a, b) in enumerate(zip(left, right, strict=True))
        if not (len(a) == len(b) and all(map(_cells_match, a, b)))
    ]
    if not misplaced:
        return difference
    return Difference(
        only_ours=[left[i] for i in misplaced],
        only_baseline=[right[i] for i in misplaced],
        note=f"same rows in a different order (positions {', '.join(str(i) for i in misplaced[:10])})",
    )
