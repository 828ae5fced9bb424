"""A scan's rows handed to DuckDB while they are fetched: memory that does not grow with the table.

Why: a query used to hold every row of its scans (as Arrow) until the last request was
answered, then run in DuckDB; an export of a large table needed memory in proportion to it.
For a query over one table whose result is read as a stream (``bbsql query -f csv|parquet``,
a large DB-API result), the fetch runs on a thread of its own and puts each request's rows
here; DuckDB reads them as an Arrow stream (:meth:`RowStream.reader`) and the reader of the
result pulls them through. The queue between them is small, so a fetch never runs ahead of the
reader by more than a few pages (the API client starts no new page while none is taken).

It keeps the promises of :class:`~.arrow_rows.ScanRows` and :func:`~.arrow_rows.unique_rows`:
rows come in the order the requests were planned (the rows of a request later in the plan wait
while an earlier one is read: at most the client's window of pages), and one row per primary key,
the first seen. A request that fails after some of its rows were read can no longer take them
back: the query fails with an error saying so instead of answering without them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from bitbucket_sql.catalog.model import TableDef

from .arrow_rows import spec_of
from .errors import EngineError
from .rows import Row, arrow_type, to_arrow

if TYPE_CHECKING:
    import pyarrow as pa

#: Arrow tables (each a chunk of about a page) waiting for DuckDB: the fetch's lead on the reader
QUEUED_CHUNKS = 4

_END = object()


class StreamCancelled(Exception):
    """The reader stopped (closed its result): the fetch stops too."""


class RowStream:
    """One scan's rows from the fetching thread to DuckDB, in planned order, one per key."""

    def __init__(self, table: TableDef, check: Callable[[], None] | None = None) -> None:
        #: raises when the query is past its deadline (QueryTimeout): the reader never waits forever
        self._check = check
        self.table = table
        self.spec = spec_of(table)
        names = [name for name, _ in self.spec]
        self._key_at = [names.index(name) for name in table.primary_key if name in names]
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUED_CHUNKS)
        self._cancelled = threading.Event()
        #: set once the scan's requests are known (or the fetch is over): from then on the fetch
        #: no longer uses the query's DuckDB connection (key values are filtered before)
        self.begun = threading.Event()
        self._lock = threading.Lock()
        self.used = False  # a scan's fetch gave its requests (else its rows come in one piece)
        self._requests = 0
        self._head = 0  # the first request not yet over: its rows go straight to the reader
        self._over: set[int] = set()
        self._held: dict[int, list[pa.Table]] = {}  # rows of later requests, until their turn
        self._sent: set[int] = set()  # requests some of whose rows the reader may have taken
        self._seen: dict[int, set[Row]] = {}  # keys per request (see begin)
        self._shared_keys: set[Row] | None = None
        self.error: BaseException | None = None
        self.rows_fetched = 0  # rows the API gave (before one per key)
        self.fetch_seconds = 0.0

    # --- the fetching thread -------------------------------------------------------------------
    def begin(self, scopes: Sequence[dict[str, Any]]) -> None:
        """The scan's requests, by their scopes, in planned order.

        A row's key includes its scope's values, so two requests of different scopes cannot
        give one key twice: keys are remembered per request and forgotten when it is over
        (memory follows the largest request, not the table). Requests that share a scope (a
        filter split in two) may overlap: their keys are remembered for the whole scan.
        """
        self.used = True
        self._requests = len(scopes)
        signatures = [tuple(sorted((k, str(v)) for k, v in scope.items())) for scope in scopes]
        if len(set(signatures)) != len(signatures):
            self._shared_keys = set()
        self.begun.set()
        self._advance()

    def add(self, position: int, rows: Sequence[Row]) -> None:
        """Rows of the request at ``position`` (a page of it, or all of it)."""
        self.rows_fetched += len(rows)
        kept = self._unique(position, rows)
        if not kept:
            return
        table = to_arrow(self.spec, kept)
        with self._lock:
            if position != self._head:
                self._held.setdefault(position, []).append(table)
                return
            self._sent.add(position)
        self._put(table)

    def drop(self, position: int) -> int:
        """Forget a failed request's rows (how many); an error when the reader may have some."""
        if position in self._sent:
            raise EngineError(
                f"{self.table.name}: a request failed after the first of its rows were already read "
                "(the object it lists changed or vanished while the query ran); run the query again"
            )
        self._seen.pop(position, None)
        with self._lock:
            return sum(part.num_rows for part in self._held.pop(position, []))

    def finish(self, position: int) -> None:
        """The request at ``position`` is over: later requests' rows may follow it."""
        self._seen.pop(position, None)
        with self._lock:
            self._over.add(position)
        self._advance()

    def end(self, error: BaseException | None = None) -> None:
        """The fetch is over (``error`` when it failed): the reader gets the rest, then stops."""
        if error is None:
            with self._lock:
                rest = [part for position in sorted(self._held) for part in self._held[position]]
                self._held.clear()
            try:
                for part in rest:
                    self._put(part)
            except StreamCancelled:
                return
        else:
            self.error = error
        self.begun.set()
        self._put(_END, final=True)

    def _advance(self) -> None:
        """Move the head past the requests that are over, handing on each new head's held rows."""
        while True:
            with self._lock:
                moved = self._head < self._requests and self._head in self._over
                if moved:
                    self._over.discard(self._head)
                    self._head += 1
                waiting = self._held.pop(self._head, [])
                if waiting:
                    self._sent.add(self._head)
            for part in waiting:
                self._put(part)
            if not moved:
                return

    def _unique(self, position: int, rows: Sequence[Row]) -> Sequence[Row]:
        """The rows whose complete key was not seen before (a row with a NULL in its key is kept)."""
        if not self._key_at or not rows:
            return rows
        seen = self._shared_keys if self._shared_keys is not None else self._seen.setdefault(position, set())
        kept: list[Row] = []
        for row in rows:
            key = tuple(row[index] for index in self._key_at)
            if None in key:
                kept.append(row)
            elif key not in seen:
                seen.add(key)
                kept.append(row)
        return rows if len(kept) == len(rows) else kept

    def _put(self, item: Any, final: bool = False) -> None:
        while not self._cancelled.is_set():
            try:
                self._queue.put(item, timeout=0.1)
            except queue.Full:
                continue
            if not self._cancelled.is_set():
                return
        if not final:  # the reader is gone (cancel also empties the queue): stop fetching
            raise StreamCancelled

    # --- the reader (DuckDB) ---------------------------------------------------------------------
    def reader(self) -> pa.RecordBatchReader:
        """The rows as an Arrow stream, for DuckDB to read once."""
        import pyarrow as pa

        schema = pa.schema([(name, arrow_type(kind)) for name, kind in self.spec])
        return pa.RecordBatchReader.from_batches(schema, self._batches())

    def _batches(self) -> Iterator[pa.RecordBatch]:
        while not self._cancelled.is_set():
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._check is not None:
                    try:
                        self._check()
                    except BaseException as error:
                        self.error = error
                        raise
                continue
            if item is _END:
                if self.error is not None:
                    raise EngineError(f"fetching {self.table.name} failed: {self.error}")
                return
            yield from item.to_batches()

    def cancel(self) -> None:
        """The reader is gone: the fetching thread stops at its next row (StreamCancelled)."""
        self._cancelled.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return
