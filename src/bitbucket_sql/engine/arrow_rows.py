"""A scan's rows held as Arrow, built request by request, so memory follows the data's size.

Why: a query used to keep every API object (parsed JSON: several times the bytes received)
until all of a scan's requests were answered, then a Python tuple per row, then an Arrow copy
for DuckDB. Here each request's objects become one typed Arrow table as soon as that request
is complete (:class:`ScanRows`); the objects are then dropped, and DuckDB loads the Arrow
tables as they are (no Python row in between).

:class:`ArrowRows` is still a ``Sequence`` of row tuples, so code that reads a few values of a
scan's rows (join keys, link values) works unchanged; it converts one batch at a time, on
demand. :func:`arrow_table` and :func:`unique_rows` are the engine's path to DuckDB: they take
``ArrowRows`` (zero-copy) or plain lists of tuples (strategies that build rows themselves).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, overload

from bitbucket_sql.catalog.model import TableDef

from .arrow_build import build_array, positions
from .rows import Row, to_arrow

if TYPE_CHECKING:
    import pyarrow as pa

Spec = list[tuple[str, str]]

#: the column that numbers rows while deduplicating (never shown)
_INDEX = "__bbsql_position"


def spec_of(table: TableDef | Sequence[tuple[str, str]]) -> Spec:
    """(name, catalog type) of every column."""
    if isinstance(table, TableDef):
        return [(column.name, column.type) for column in table.columns]
    return list(table)


class ArrowRows(Sequence[Row]):
    """Rows of one scan as Arrow tables (in fetch order), readable as tuples when needed."""

    def __init__(self, spec: Spec, parts: Sequence[pa.Table] = ()) -> None:
        self.spec = spec
        self.parts = [part for part in parts if part.num_rows]
        self._length = sum(part.num_rows for part in self.parts)
        self._tuples: list[Row] | None = None

    @property
    def table(self) -> pa.Table:
        """All rows as one Arrow table (chunks are shared, not copied)."""
        import pyarrow as pa

        if not self.parts:
            return to_arrow(self.spec, [])
        if len(self.parts) == 1:
            return self.parts[0]
        return pa.concat_tables(self.parts)

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Row]:
        if self._tuples is not None:
            yield from self._tuples
            return
        for part in self.parts:
            for batch in part.to_batches():
                yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        if self._tuples is None:  # random access is for the few rows of join-key sources
            self._tuples = list(iter(self))
        return self._tuples[index]

    def __bool__(self) -> bool:
        return self._length > 0

    def __repr__(self) -> str:
        return f"<ArrowRows {self._length} rows x {len(self.spec)} columns>"


class ScanRows:
    """Collects one scan's rows request by request; :meth:`rows` gives them in request order.

    Requests complete in any order; ``position`` (the request's place in the scan's plan)
    keeps the rows in the order the requests were planned, so a query without ORDER BY sees
    the same order from one run to the next.
    """

    def __init__(self, table: TableDef | Sequence[tuple[str, str]]) -> None:
        self.spec = spec_of(table)
        self._parts: dict[int, list[pa.Table]] = {}

    def add(self, position: int, rows: Sequence[Row]) -> None:
        """The rows of one answered request (or page of it), as one Arrow table."""
        if rows:
            self._parts.setdefault(position, []).append(to_arrow(self.spec, rows))

    def drop(self, position: int) -> int:
        """Forget the rows added at ``position`` (a request that failed after some pages); how many."""
        return sum(part.num_rows for part in self._parts.pop(position, []))

    def rows(self) -> ArrowRows:
        return ArrowRows(self.spec, [part for position in sorted(self._parts) for part in self._parts[position]])


def arrow_table(table: TableDef | Sequence[tuple[str, str]], parts: Iterable[Sequence[Row]]) -> pa.Table:
    """Rows of several scans (ArrowRows or lists of tuples) as one Arrow table, in order."""
    import pyarrow as pa

    spec = spec_of(table)
    tables: list[pa.Table] = []
    for part in parts:
        if isinstance(part, ArrowRows):
            tables.extend(part.parts)
        elif part:
            tables.append(to_arrow(spec, part))
    if not tables:
        return to_arrow(spec, [])
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)


def unique_rows(table: TableDef, parts: Iterable[Sequence[Row]]) -> pa.Table:
    """The rows of ``parts`` with one row per primary key, the first seen (several references of
    one table, or a listing that shifted between pages, may bring one object twice).

    A row whose key has a NULL has no identity to compare and is always kept; a table without a
    primary key is one whole-table scan (see ``Engine._plan``) and is returned as it is.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    combined = arrow_table(table, parts)
    keys = [name for name in table.primary_key if name in combined.column_names]
    if not keys or combined.num_rows < 2 or _keys_are_distinct(combined, keys):
        return combined
    numbered = combined.select(keys).append_column(_INDEX, positions(combined.num_rows))
    has_key = pc.is_valid(numbered[keys[0]])
    for name in keys[1:]:
        has_key = pc.and_(has_key, pc.is_valid(numbered[name]))
    identified = numbered.filter(has_key)
    firsts = identified.group_by(keys, use_threads=False).aggregate([(_INDEX, "min")])
    if firsts.num_rows == identified.num_rows:
        return combined  # no duplicates: nothing to copy
    anonymous = numbered.filter(pc.invert(has_key))[_INDEX]
    kept = pa.concat_arrays([firsts[f"{_INDEX}_min"].combine_chunks(), anonymous.combine_chunks()])
    return combined.take(pc.take(kept, pc.sort_indices(kept)))


def _keys_are_distinct(rows: pa.Table, keys: Sequence[str]) -> bool:
    """True when no two rows share a complete primary key (the usual case), found cheaply.

    Why: the exact deduplication groups with Arrow's query engine, whose first use maps its
    library and whose buffers stay with Arrow's allocator (about 20 MiB for the commits of the
    medium workspace); this check joins the key as text and counts distinct values on the system
    allocator. Equal keys always join equal, so "distinct" is never wrong; distinct keys that
    join equal (a separator inside a value) only send the rows to the exact path.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    pool = pa.system_memory_pool()
    texts = [pc.cast(rows[name], pa.string(), memory_pool=pool) for name in keys]
    joined = texts[0] if len(texts) == 1 else pc.binary_join_element_wise(*texts, _separator(), memory_pool=pool)
    complete = joined.length() - joined.null_count  # a NULL in any part of the key makes the join NULL
    return bool(pc.count_distinct(joined, mode="only_valid", memory_pool=pool).as_py() == complete)


def _separator() -> pa.Scalar:
    """The key parts' separator as an Arrow scalar (a Python str would go through ``pa.scalar``,
    which imports pandas: see arrow_build)."""
    import pyarrow as pa

    return build_array(["\x1f"], pa.string())[0]
