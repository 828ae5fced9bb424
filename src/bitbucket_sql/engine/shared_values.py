"""Rows handed out batch by batch, with one Python string per repeated value.

Why: DuckDB makes a new ``str`` for every value it hands to Python, so ten thousand commits of
one repository carry ten thousand copies of its workspace, repository and author names: about a
third of the memory a commit row takes in Python. A caller that keeps rows (``fetchall``, a
DataFrame, the batches of ``fetchmany``) keeps every copy. Here a text column whose values repeat
within a batch (at most half of them distinct) gets one object per value; the objects are
remembered across the batches of one result for columns that keep repeating, so equal values in
different batches are one object too. Values are equal either way: only their identity changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: values remembered per column across batches; a column with more distinct values starts over
MEMO_LIMIT = 4_096


class SharedValues:
    """Makes repeated strings of a result's batches one object each (see the module docstring)."""

    def __init__(self) -> None:
        self._memos: dict[int, dict[Any, Any]] = {}

    def batch(self, rows: Sequence[tuple[Any, ...]]) -> Sequence[tuple[Any, ...]]:
        """``rows`` with the values of each repetitive text column shared (the same rows if none)."""
        if len(rows) < 2:
            return rows
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        changed = False
        for index, values in enumerate(columns):
            shared = self._shared(index, values)
            if shared is not None:
                columns[index] = shared
                changed = True
        return list(zip(*columns, strict=True)) if changed else rows

    def _shared(self, index: int, values: Sequence[Any]) -> list[Any] | None:
        if not isinstance(next((value for value in values if value is not None), None), str):
            return None
        distinct = set(values)
        if 2 * len(distinct) > len(values):  # mostly distinct (hashes, messages): nothing to share
            self._memos.pop(index, None)
            return None
        memo = self._memos.setdefault(index, {})
        if len(memo) + len(distinct) > MEMO_LIMIT:
            memo.clear()
        for value in distinct - memo.keys():
            memo[value] = value
        return list(map(memo.__getitem__, values))
