"""Arrays built from buffers equal ``pa.array``'s, for every catalog type, NULLs included; input
they do not cover gives pyarrow's own answer or error."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitbucket_sql.engine.arrow_build import build_array, positions

UTC = dt.UTC
ZONES = st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(dt.timedelta(hours=-8))])
VALUES: dict[str, tuple[pa.DataType, st.SearchStrategy[Any]]] = {
    "text": (pa.string(), st.text()),
    "integer": (pa.int64(), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    "float": (pa.float64(), st.floats(allow_nan=False) | st.integers(min_value=-(2**53), max_value=2**53)),
    "boolean": (pa.bool_(), st.booleans()),
    "timestamp": (pa.timestamp("us", tz="UTC"),
                  st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1), timezones=ZONES)),
    "naive timestamp": (pa.timestamp("us", tz="UTC"), st.datetimes()),
    "date": (pa.date32(), st.dates()),
}


@pytest.mark.parametrize("kind", list(VALUES))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_built_arrays_equal_pyarrows(kind: str, data: st.DataObject) -> None:
    arrow_type, values = VALUES[kind]
    column = data.draw(st.lists(st.none() | values, max_size=40))
    built = build_array(column, arrow_type)
    expected = pa.array(column, type=arrow_type)
    assert built.type == expected.type
    assert built.equals(expected), (column, built, expected)
    assert built.null_count == column.count(None)
    assert built.to_pylist() == expected.to_pylist()


def _outcome(build: Any) -> Any:
    try:
        return build().to_pylist()
    except Exception as error:  # noqa: BLE001 - the error's kind is the outcome compared
        return type(error)


@pytest.mark.parametrize(("values", "arrow_type"), [
    ([1, 2.0, None], pa.float64()),
    ([1, 2.5], pa.int64()),
    (["a", 1], pa.string()),
    ([2**64], pa.int64()),
    (["\ud800"], pa.string()),
    ([True, 1], pa.bool_()),
    ([dt.datetime(2024, 1, 1)], pa.date32()),
])
def test_values_of_another_kind_get_pyarrows_answer_or_error(values: list[Any], arrow_type: pa.DataType) -> None:
    assert _outcome(lambda: build_array(values, arrow_type)) == _outcome(lambda: pa.array(values, type=arrow_type))


def test_infer_otherwise_types_foreign_values_as_pyarrow_would() -> None:
    assert build_array([1, 2], pa.int64(), infer_otherwise=True).type == pa.int64()
    assert build_array(["x", "y"], pa.int64(), infer_otherwise=True).equals(pa.array(["x", "y"]))


def test_positions_number_rows_from_zero() -> None:
    assert positions(4).to_pylist() == [0, 1, 2, 3] and positions(0).to_pylist() == []


def test_building_arrays_does_not_import_pandas() -> None:
    """pandas is installed here (the test extras); building the catalog's arrays must not load it."""
    code = (
        "import sys, datetime as dt; import pyarrow as pa\n"
        "from bitbucket_sql.engine.arrow_build import build_array, positions\n"
        "build_array(['a', None], pa.string()); build_array([1, None], pa.int64())\n"
        "build_array([dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)], pa.timestamp('us', tz='UTC'))\n"
        "positions(3)\n"
        "print('pandas' in sys.modules)\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"
