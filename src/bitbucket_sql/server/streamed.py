"""A large query result sent to a PostgreSQL client batch by batch while the engine reads it.

Why: the server used to make every row of a result a Python tuple before the first DataRow
went out, so a BI extract of a large table (Tableau, Power BI, ``psql`` piping ``SELECT *``)
needed memory in proportion to the table. A result of more than :data:`STREAM_ABOVE_ROWS` rows
now stays in the engine (``Engine.execute(stream=True)``: its rows may even still be fetched
from Bitbucket) and the connection asks for one batch at a time, writing each before the next
is read; the socket's backpressure paces the engine.

The statement lasts until its last batch is sent: it can be cancelled (CancelRequest,
``statement_timeout``) until then, and an error while reading (the API failing mid-fetch) is
sent after the rows already written, as PostgreSQL does for an error during a scan. The engine's
warnings and request count are known only at the end; they are sent (NoticeResponse) and logged
then. Results of a portal that a client reads in pieces (Execute with a row limit) are not
streamed: the engine cannot keep a result open across other statements of the connection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

#: Results up to this many rows come whole (and are kept in the answer cache as any answer).
STREAM_ABOVE_ROWS = 2_000


class StreamedRows:
    """The rows of one engine result (``QueryResult.stream``), read in batches by the connection.

    ``cancelled`` says whether the statement was cancelled (and why, as the error to send);
    ``translate`` turns an error met while reading into the error to send (a cancel's own when
    the statement was cancelled); ``convert`` makes a batch's values what the codec encodes;
    ``notices`` gives the finished result's notices; ``on_close`` ends the statement (its timer,
    its cancel state).
    """

    def __init__(
        self,
        result: Any,
        *,
        cancelled: Callable[[], BaseException | None],
        translate: Callable[[BaseException], BaseException],
        convert: Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]],
        notices: Callable[[Any], list[str]],
    ) -> None:
        self._result = result
        self._batches: Iterator[Sequence[tuple[Any, ...]]] | None = result.stream.rows()
        self._cancelled = cancelled
        self._translate = translate
        self._convert = convert
        self._notices = notices
        self._on_close: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self._reading = False  # a batch is being read (on a worker thread)
        self._close_waiting = False  # close when that read returns
        self.notices: list[str] = []
        self.requests = 0

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once, when the stream is read to its end, fails or is closed."""
        self._on_close.append(callback)

    def next_batch(self) -> list[tuple[Any, ...]] | None:
        """The next rows to send, None at the end; blocking (run it on a worker thread)."""
        with self._lock:
            batches = self._batches
            if batches is None:
                return None
            self._reading = True
        try:
            stop = self._cancelled()
            if stop is not None:
                self._close_waiting = True
                raise stop
            try:
                batch = next(batches, None)
            except BaseException as error:  # noqa: BLE001 - the client gets an ErrorResponse for it
                self._close_waiting = True
                raise self._translate(error) from None
            if batch is None:
                self.notices = self._notices(self._result)
                self.requests = int(self._result.stats.requests)
                self._close_waiting = True
                return None
            return self._convert(list(batch))
        finally:
            with self._lock:
                self._reading = False
                closing = self._close_waiting
            if closing:
                self._end()

    def close(self) -> None:
        """Stop reading (the engine's fetch stops too) and end the statement; harmless twice.

        Called from the event loop while a batch is being read on a worker thread (the client
        went away, the server stops), it stops the fetch at once and leaves closing the result
        (its DuckDB database) to that thread when its read returns: a database is never closed
        under a read in progress.
        """
        with self._lock:
            if self._reading:
                self._close_waiting = True
                self._result.stream.stop()
                return
        self._end()

    def _end(self) -> None:
        with self._lock:
            self._batches = None
            callbacks, self._on_close = self._on_close, []
        self._result.stream.close()
        for callback in callbacks:
            callback()
