"""Comparing our answers with the baseline's: multisets, float tolerance, normalised timestamps."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from benchmarks.compare import compare_ordered_rows, compare_rows


def test_equal_answers_in_any_order_and_representation_match() -> None:
    ours = [
        (1, "Add caching", dt.datetime(2026, 10, 1, 12, 0, 0, 250_000, tzinfo=dt.UTC), 2.0 / 3.0),
        (2, None, None, 5.0),
    ]
    baseline = [
        (np.int64(2), float("nan"), pd.NaT, np.float64(5)),
        (1, "Add caching", pd.Timestamp("2026-10-01T14:00:00+02:00"), 0.6666666666666),
    ]
    assert not compare_rows(ours, baseline)


def test_a_missing_row_is_reported_on_the_side_that_has_it() -> None:
    difference = compare_rows([("a", 1), ("b", 2)], [("a", 1)])
    assert difference
    assert difference.only_ours == [("b", 2.0)]
    assert difference.only_baseline == []
    assert "only in ours" in difference.describe()


def test_duplicates_count_as_a_multiset() -> None:
    assert compare_rows([("a",), ("a",)], [("a",)])
    assert not compare_rows([("a",), ("a",)], [("a",), ("a",)])


def test_numbers_beyond_the_tolerance_differ() -> None:
    difference = compare_rows([(1.0,)], [(1.001,)])
    assert difference.only_ours == [(1.0,)] and difference.only_baseline == [(1.001,)]


def test_dates_and_timestamps_in_other_zones_normalise_to_utc() -> None:
    local = dt.datetime(2026, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert not compare_rows(
        [(dt.date(2026, 1, 5), local)], [(dt.date(2026, 1, 5), "2026-01-01T00:00:00+00:00")]
    )


def test_ordered_answers_must_also_agree_on_the_order() -> None:
    rows = [("c3", 3), ("c2", 2), ("c1", 1)]
    assert not compare_ordered_rows(rows, list(rows))
    difference = compare_ordered_rows(rows, [rows[1], rows[0], rows[2]])
    assert difference
    assert "different order" in difference.describe()
    assert difference.only_ours == [("c3", 3.0), ("c2", 2.0)]


def test_ordered_comparison_still_reports_missing_rows() -> None:
    difference = compare_ordered_rows([("a",), ("b",)], [("a",)])
    assert difference.only_ours == [("b",)] and "different order" not in difference.describe()
