"""StreamedRows closed from the event loop while a worker thread reads a batch (server/streamed.py):
the fetch stops at once, and the result is released by the reading thread once its read returns,
never under it (DuckDB's database closed while a read runs on it)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from bitbucket_sql.server.streamed import StreamedRows


class SlowStream:
    """A result stream whose second batch waits until it is stopped."""

    def __init__(self) -> None:
        self.reading = threading.Event()
        self.release = threading.Event()
        self.in_read = False
        self.stopped = False
        self.closes: list[bool] = []  # whether a read was running at each close

    def rows(self) -> Any:
        yield [(1,)]
        self.in_read = True
        self.reading.set()
        self.release.wait(10)
        self.in_read = False
        yield [(2,)]

    def stop(self) -> None:
        self.stopped = True
        self.release.set()

    def close(self) -> None:
        self.closes.append(self.in_read)


def first_batch_read() -> tuple[SlowStream, StreamedRows, list[str]]:
    """A slow stream's rows with their first batch read, and what its on_close callback recorded."""
    stream = SlowStream()
    result = SimpleNamespace(stream=stream, stats=SimpleNamespace(requests=3))
    rows = StreamedRows(result, cancelled=lambda: None, translate=lambda error: error,
                        convert=lambda batch: batch, notices=lambda _: [])
    ended: list[str] = []
    rows.on_close(lambda: ended.append("statement over"))
    assert rows.next_batch() == [(1,)]
    return stream, rows, ended


def test_a_close_during_a_read_stops_the_fetch_and_releases_the_result_after_the_read() -> None:
    stream, rows, ended = first_batch_read()
    got: list[Any] = []
    reader = threading.Thread(target=lambda: got.append(rows.next_batch()))
    reader.start()
    assert stream.reading.wait(10)
    rows.close()  # as the event loop does when the client goes away
    assert stream.stopped
    reader.join(10)
    assert not reader.is_alive()
    assert stream.closes == [False]  # released once, after the read
    assert ended == ["statement over"]
    assert rows.next_batch() is None  # nothing more is read once closed


def test_a_close_between_reads_releases_at_once_and_only_once() -> None:
    stream, rows, ended = first_batch_read()
    rows.close()
    rows.close()
    assert stream.closes == [False, False]  # the stream's close is harmless twice
    assert ended == ["statement over"]
    assert not stream.stopped and rows.next_batch() is None
