"""Arrow arrays from lists of Python values, built from buffers rather than with ``pa.array``.

Why: ``pyarrow.array`` asks, for every call, whether its argument is a pandas object, and the
first time it asks it imports pandas when pandas is installed (as it is for most data people):
about 47 MiB of resident memory and half a second for every ``bbsql`` process that fetches,
though nothing here uses pandas. The catalog has six Arrow types (text, integer, float, boolean,
UTC timestamp, date); for lists of exactly those Python types this module fills the validity,
offset and value buffers with numpy and hands them to ``Array.from_buffers``, which imports
nothing. Any other input (a float in an integer column, text too long for 32-bit offsets, a
string that is not valid UTF-8) goes to ``pa.array``, so results and errors are pyarrow's own.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_EPOCH_NAIVE = datetime.datetime(1970, 1, 1)
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_MICROSECOND = datetime.timedelta(microseconds=1)
_MAX_OFFSET = 2**31 - 1


def build_array(values: Sequence[Any], arrow_type: pa.DataType, *, infer_otherwise: bool = False) -> pa.Array:
    """``values`` (Python values, None for NULL) as an array of ``arrow_type``; equal to
    ``pa.array(values, type=arrow_type)``, or to ``pa.array(values)`` when ``infer_otherwise``
    and the values are not all of the type's Python kind."""
    import pyarrow as pa

    pool = pa.system_memory_pool()
    try:
        built = _from_buffers(values, arrow_type)
    except (TypeError, ValueError, OverflowError, UnicodeError):
        built = None
    if built is None:
        return pa.array(values, type=None if infer_otherwise else arrow_type, memory_pool=pool)
    return built


def positions(count: int) -> pa.Array:
    """0, 1, ..., count - 1 as int64 (row numbers for deduplication and filters)."""
    import numpy as np
    import pyarrow as pa

    return pa.Array.from_buffers(pa.int64(), count, [None, pa.py_buffer(np.arange(count, dtype=np.int64))])


def _from_buffers(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array | None:
    import numpy as np
    import pyarrow as pa

    layout = _layouts().get(arrow_type)
    if layout is None:
        return None
    kinds, convert, fill, dtype = layout
    count = len(values)
    present = [value for value in values if value is not None]
    if not {type(value) for value in present} <= kinds:
        return None
    validity = None
    if len(present) < count:
        mask = np.fromiter((value is not None for value in values), dtype=bool, count=count)
        validity = pa.py_buffer(np.packbits(mask, bitorder="little"))
    filled = [fill if value is None else convert(value) for value in values]
    if arrow_type == pa.string():
        offsets = np.zeros(count + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, filled), dtype=np.int64, count=count), out=offsets[1:])
        if offsets[-1] > _MAX_OFFSET:
            return None  # pyarrow splits such a column into chunks
        buffers = [validity, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(b"".join(filled))]
    elif arrow_type == pa.bool_():
        buffers = [validity, pa.py_buffer(np.packbits(np.array(filled, dtype=bool), bitorder="little"))]
    else:
        buffers = [validity, pa.py_buffer(np.array(filled, dtype=dtype))]  # OverflowError past 64 bits
    return pa.Array.from_buffers(arrow_type, count, buffers, null_count=count - len(present))


#: Arrow type -> (Python types its values may have, value -> buffer item, item for NULL, numpy dtype)
_LAYOUTS: dict[pa.DataType, tuple[set[type], Any, Any, str]] = {}


def _layouts() -> dict[pa.DataType, tuple[set[type], Any, Any, str]]:
    if not _LAYOUTS:
        import pyarrow as pa

        _LAYOUTS.update({
            pa.string(): ({str}, str.encode, b"", "object"),
            pa.int64(): ({int}, int, 0, "int64"),
            pa.float64(): ({float, int}, float, 0.0, "float64"),
            pa.bool_(): ({bool}, bool, False, "bool"),
            pa.timestamp("us", tz="UTC"): ({datetime.datetime}, _micros, 0, "int64"),
            pa.date32(): ({datetime.date}, _days, 0, "int32"),
        })
    return _LAYOUTS


def _days(day: datetime.date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _micros(stamp: datetime.datetime) -> int:
    """Microseconds since the epoch; a naive time counts as UTC, as pyarrow counts it."""
    epoch = _EPOCH if stamp.tzinfo is not None else _EPOCH_NAIVE
    return (stamp - epoch) // _MICROSECOND
