"""The values :meth:`Engine.execute` hands to the outlets: columns, rows, statistics."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .shared_values import SharedValues

if TYPE_CHECKING:
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

#: DuckDB type name -> pyarrow type (built on first use: pyarrow is not imported before it is needed)
_ARROW_TYPES: dict[str, pa.DataType] = {}


def arrow_type_of(duckdb_type: str) -> pa.DataType | None:
    """The pyarrow type of a DuckDB type name, None when pyarrow should infer it."""
    if not _ARROW_TYPES:
        import pyarrow as pa

        _ARROW_TYPES.update({
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
        })
    return _ARROW_TYPES.get(duckdb_type)


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
    #: with ``Engine.execute(..., stream=True)``: the rows, read from DuckDB batch by batch (then
    #: ``rows`` is empty and ``stats.rows_returned`` counts what was read)
    stream: ResultStream | None = None

    def to_arrow(self) -> pa.Table:
        """The result as a pyarrow Table (types from DuckDB's names; others inferred)."""
        import pyarrow as pa

        arrays = []
        for index, column in enumerate(self.columns):
            values = [row[index] for row in self.rows]
            arrow_type = arrow_type_of(column.type)
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


class ResultStream:
    """A query's result read from its DuckDB database a batch at a time, for readers of any size.

    Why: ``fetchall`` makes a Python tuple per row of the whole result before the first byte is
    written; exporting a large table then needs several times its size in memory. Here the
    database (with the fetched rows) stays open until the result is read; each batch is
    converted and handed out, then dropped. The rows are read once: :meth:`rows` for Python
    values (exactly what ``fetchall`` gives: csv and json print the same) or :meth:`arrow` for
    Arrow record batches (DuckDB's own types: parquet). :meth:`head` reads the first rows ahead
    (the DB-API keeps a small result whole); :meth:`rows` hands them out first. The database
    closes when the rows are read, on :meth:`close`, or when this object is collected.
    """

    #: rows per batch unless told otherwise
    BATCH_ROWS = 2_000

    def __init__(self, database: Any, sql: str, max_rows: int | None, stats: QueryStats,
                 batch_rows: int = BATCH_ROWS, *, feed: Any = None,
                 on_finish: Callable[[], None] | None = None) -> None:
        #: rows still being fetched while they are read (engine/row_stream.RowStream): its
        #: ``error`` is the real cause of a failed read, ``cancel()`` stops its fetch
        self._feed = feed
        self._on_finish = on_finish
        self._database = database
        self._sql = sql
        self._max_rows = max_rows
        self._stats = stats
        self.batch_rows = batch_rows
        self._mode: str | None = None
        self._batches: Iterator[tuple[int, Any]] | None = None
        self._ahead: list[Sequence[tuple[Any, ...]]] = []  # batches read by head(), not yet handed out
        self._handed_out = False
        self.exhausted = False

    def rows(self) -> Iterator[Sequence[tuple[Any, ...]]]:
        """Batches of rows as Python tuples (first those :meth:`head` read)."""
        batches = self._open("rows", handing_out=True)
        while self._ahead:
            yield self._ahead.pop(0)
        for count, batch in batches:
            yield batch[:count]

    def arrow(self) -> Iterator[pa.RecordBatch]:
        """Batches of rows as Arrow record batches."""
        for count, batch in self._open("arrow", handing_out=True):
            yield batch.slice(0, count)

    def head(self, limit: int) -> list[tuple[Any, ...]] | None:
        """All the rows when there are at most ``limit`` (the stream is then closed), else None:
        the rows read so far wait for :meth:`rows`, and the rest stays in DuckDB."""
        batches = self._open("rows")
        held = sum(len(batch) for batch in self._ahead)
        while held <= limit:
            batch = next(batches, None)
            if batch is None:
                rows = [row for part in self._ahead for row in part]
                self._ahead.clear()
                return rows
            self._ahead.append(batch[1][: batch[0]])
            held += batch[0]
        return None

    def _open(self, mode: str, handing_out: bool = False) -> Iterator[tuple[int, Any]]:
        if self._handed_out or (self._mode is not None and self._mode != mode):
            raise RuntimeError("a streamed result is read once")
        self._handed_out = handing_out
        if self._batches is None:
            self._mode = mode
            if mode == "rows":
                shared = SharedValues()  # one object per repeated string (engine/shared_values.py)
                self._batches = self._read(
                    lambda: map(shared.batch, self._database.stream_rows(self._sql, self.batch_rows)))
            else:
                self._batches = self._read(lambda: self._database.stream_arrow(self._sql, self.batch_rows))
        return self._batches

    def _read(self, open_batches: Callable[[], Iterator[Any]]) -> Iterator[tuple[int, Any]]:
        try:
            left = self._max_rows
            for batch in open_batches():
                count = len(batch) if left is None else min(len(batch), left)
                self._stats.rows_returned += count
                yield count, batch
                if left is not None:
                    left -= count
                    if left <= 0:
                        break
        except Exception:
            cause = getattr(self._feed, "error", None)
            if cause is not None:  # the fetch failed: its own error, not DuckDB's report of it
                raise cause from None
            raise
        else:
            if self._on_finish is not None:
                self._on_finish()
        finally:
            self.exhausted = True
            self.close()

    def stop(self) -> None:
        """Stop the fetch still running for this result (safe from any thread, while a batch is
        being read): the read in progress ends soon; :meth:`close` releases the rest."""
        if self._feed is not None:
            self._feed.cancel()

    def close(self) -> None:
        """Release the query's database (its fetched rows); the stream cannot be read after."""
        self.stop()  # a fetch still running stops
        if self._database is not None:
            self._database.close()
            self._database = None

    def __del__(self) -> None:
        self.close()
