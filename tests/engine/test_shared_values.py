"""Repeated strings of a streamed result's batches become one object each (engine/shared_values.py)."""

from __future__ import annotations

import datetime

from bitbucket_sql.engine import shared_values
from bitbucket_sql.engine.shared_values import SharedValues


def fresh(text: str) -> str:
    """An equal string that is not the same object (as DuckDB hands out)."""
    return "".join(list(text))


def test_a_repetitive_text_column_shares_its_values_and_keeps_them_equal() -> None:
    day = datetime.date(2026, 12, 6)
    rows = [(fresh("acme"), fresh(f"hash-{n}"), n, day, None if n == 3 else fresh("web")) for n in range(10)]
    shared = SharedValues().batch(rows)
    assert shared == rows
    assert len({id(row[0]) for row in shared}) == 1
    assert len({id(row[4]) for row in shared if row[4] is not None}) == 1
    assert [row[4] for row in shared].count(None) == 1
    assert all(type(row) is tuple for row in shared)


def test_mostly_distinct_and_non_text_columns_are_left_alone() -> None:
    rows = [(fresh(f"message {n}"), n * 1000, fresh("x")) for n in range(6)]
    rows[1] = (fresh("message 0"), 1000, rows[1][2])
    shared = SharedValues().batch(rows)
    assert shared == rows
    assert [id(row[0]) for row in shared] == [id(row[0]) for row in rows]  # 5 of 6 distinct: untouched
    assert [id(row[1]) for row in shared] == [id(row[1]) for row in rows]


def test_a_batch_with_nothing_to_share_is_returned_as_it_is() -> None:
    rows = [(fresh(f"a{n}"), n) for n in range(4)]
    values = SharedValues()
    assert values.batch(rows) is rows
    assert values.batch(rows[:1]) == rows[:1]


def test_values_are_shared_across_the_batches_of_one_result() -> None:
    values = SharedValues()
    first = values.batch([(fresh("repo"),), (fresh("repo"),)])
    second = values.batch([(fresh("repo"),), (fresh("repo"),)])
    assert first[0][0] is second[1][0]


def test_a_column_with_too_many_distinct_values_starts_over(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(shared_values, "MEMO_LIMIT", 4)
    values = SharedValues()
    for start in range(0, 12, 3):  # 3 distinct values in 6 rows per batch, 12 values in all
        batch = [(fresh(f"v{start + n % 3}"),) for n in range(6)]
        assert values.batch(batch) == batch
    assert len(values._memos[0]) <= 4
