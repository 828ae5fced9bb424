"""Fetching while the result is read (engine/row_stream.py): what a user of a streamed result sees.

A query over one table whose result is read as a stream (``bbsql query -f csv -o FILE``, a large
DB-API result) hands its rows to DuckDB as they are fetched. The user must get exactly the rows
of the normal path, in the planned order, one per key, for the same requests; a failed fetch must
be the API's error, never DuckDB's account of it; a reader that stops early must stop the fetch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pytest
from engine_helpers import canonical

from bitbucket_sql.catalog import registry
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import EngineError, QueryTimeoutError
from bitbucket_sql.engine.row_stream import QUEUED_CHUNKS, RowStream, StreamCancelled

REPOSITORIES = registry.get_table("repositories")
assert REPOSITORIES is not None
SLUG = REPOSITORIES.column_names.index("slug")


def repository_row(slug: str | None, name: str = "", workspace: str = "acme") -> tuple[Any, ...]:
    names = REPOSITORIES.column_names
    row: list[Any] = [None] * len(names)
    row[names.index("workspace")], row[SLUG], row[names.index("name")] = workspace, slug, name
    return tuple(row)


def read_all(stream: RowStream) -> tuple[threading.Thread, list[Any]]:
    """DuckDB's side: a thread reading the stream to its end (the outcome lands in the list)."""
    outcome: list[Any] = []

    def read() -> None:
        try:
            outcome.append(stream.reader().read_all())
        except Exception as error:  # noqa: BLE001 - the test looks at it
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, outcome


def finished(reader: threading.Thread, outcome: list[Any]) -> Any:
    reader.join(timeout=30)
    assert not reader.is_alive(), "the reader never saw the end of the stream"
    return outcome[0]


def test_rows_come_in_planned_order_whatever_order_requests_finish() -> None:
    stream = RowStream(REPOSITORIES)
    reader, outcome = read_all(stream)
    stream.begin([{"workspace": "acme", "n": 0}, {"workspace": "acme", "n": 1}, {"workspace": "acme", "n": 2}])
    stream.add(2, [repository_row("e")])
    stream.add(1, [repository_row("c")])
    stream.finish(2)
    stream.add(0, [repository_row("a")])
    stream.add(1, [repository_row("d")])
    stream.add(0, [repository_row("b")])
    stream.finish(0)
    stream.finish(1)
    stream.end()
    table = finished(reader, outcome)
    assert isinstance(table, pa.Table)
    assert table.column("slug").to_pylist() == ["a", "b", "c", "d", "e"]


def test_one_row_per_key_the_first_seen_and_rows_without_a_key_kept() -> None:
    stream = RowStream(REPOSITORIES)
    reader, outcome = read_all(stream)
    stream.begin([{"workspace": "acme"}])
    stream.add(0, [repository_row("a", "first"), repository_row(None, "x")])
    stream.add(0, [repository_row("a", "second"), repository_row(None, "y"), repository_row("b")])  # a shifted page
    stream.finish(0)
    stream.end()
    table = finished(reader, outcome)
    assert table.column("slug").to_pylist() == ["a", None, None, "b"]
    assert table.column("name").to_pylist()[:3] == ["first", "x", "y"]


def test_requests_of_one_scope_share_their_keys() -> None:
    """A filter split into two requests of the same scope may list one object twice."""
    stream = RowStream(REPOSITORIES)
    reader, outcome = read_all(stream)
    stream.begin([{"workspace": "acme"}, {"workspace": "acme"}])
    stream.add(0, [repository_row("a"), repository_row("b")])
    stream.finish(0)
    stream.add(1, [repository_row("b"), repository_row("c")])
    stream.finish(1)
    stream.end()
    assert finished(reader, outcome).column("slug").to_pylist() == ["a", "b", "c"]


def test_a_failed_request_gives_back_rows_not_yet_read_and_fails_once_some_were() -> None:
    stream = RowStream(REPOSITORIES)
    reader, outcome = read_all(stream)
    stream.begin([{"workspace": "acme", "n": 0}, {"workspace": "acme", "n": 1}])
    stream.add(1, [repository_row("later")])
    assert stream.drop(1) == 1  # still held: simply forgotten
    stream.add(0, [repository_row("a")])
    with pytest.raises(EngineError, match="repositories: a request failed after the first of its rows"):
        stream.drop(0)
    stream.finish(0)
    stream.finish(1)
    stream.end()
    assert finished(reader, outcome).column("slug").to_pylist() == ["a"]


def test_a_failed_fetch_reaches_the_reader_with_its_own_error() -> None:
    stream = RowStream(REPOSITORIES)
    reader, outcome = read_all(stream)
    stream.begin([{"workspace": "acme"}])
    stream.add(0, [repository_row("a")])
    failure = RuntimeError("HTTP 500 from the API")
    stream.end(failure)
    error = finished(reader, outcome)
    assert isinstance(error, EngineError) and "HTTP 500 from the API" in str(error)
    assert stream.error is failure


def test_a_reader_that_stops_stops_the_fetch() -> None:
    """Nobody reads: the fetch can run ahead by a few chunks only, and cancel ends its wait."""
    stream = RowStream(REPOSITORIES)
    stream.begin([{"workspace": "acme"}])
    for index in range(QUEUED_CHUNKS):
        stream.add(0, [repository_row(f"r{index}")])
    blocked: list[BaseException] = []

    def one_more() -> None:
        try:
            stream.add(0, [repository_row("one too many")])
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            blocked.append(error)

    fetch = threading.Thread(target=one_more, daemon=True)
    fetch.start()
    time.sleep(0.3)
    assert fetch.is_alive(), "the fetch ran ahead of a reader that reads nothing"
    stream.cancel()
    fetch.join(timeout=10)
    assert not fetch.is_alive() and isinstance(blocked[0], StreamCancelled)


# --- through the engine --------------------------------------------------------------------------

STREAMED_QUERIES = [
    "SELECT * FROM commits",
    "SELECT hash, repository, message FROM commits WHERE repository LIKE 'a%'",  # key values filtered in DuckDB
    "SELECT * FROM pull_requests WHERE state = 'MERGED' AND repository IN ('api', 'web')",
    "SELECT id, title FROM pull_requests WHERE repository = 'api' AND id IN (1, 2, 3, 400)",
    "SELECT * FROM pull_request_activity WHERE repository = 'api'",  # no primary key
    "SELECT state, count(*) AS n FROM pull_requests GROUP BY state ORDER BY state",
    "SELECT id FROM pull_requests WHERE repository = 'api' ORDER BY merge_commit_hash DESC NULLS LAST, id LIMIT 3",
    "SELECT slug FROM repositories WHERE slug = 'no-such-repository'",
    "SELECT name, is_private FROM repositories ORDER BY name",
    # a CTE used twice (DuckDB materializes it: one read) and a recursive CTE (a read each round: fetched first)
    "WITH x AS NOT MATERIALIZED (SELECT hash, repository FROM commits) "
    "SELECT count(*) AS n FROM x a JOIN x b USING (hash, repository) ORDER BY n",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < (SELECT count(*) FROM commits)) "
    "SELECT max(n) AS n FROM r ORDER BY n",
]


@pytest.mark.parametrize("sql", STREAMED_QUERIES)
def test_a_result_read_while_fetched_is_the_normal_result(make_engine: Callable[..., Engine], sql: str) -> None:
    normal = make_engine(Cache="off").execute(sql)
    streamed = make_engine(Cache="off").execute(sql, stream=True)
    assert streamed.stream is not None
    rows = [row for batch in streamed.stream.rows() for row in batch]
    if "ORDER BY" in sql:
        assert rows == normal.rows
    else:
        assert canonical(rows) == canonical(normal.rows)
    assert streamed.stats.requests == normal.stats.requests
    assert streamed.stats.rows_returned == len(normal.rows)
    assert streamed.stats.rows_fetched == normal.stats.rows_fetched


@pytest.mark.parametrize(("sql", "while_fetched"), [
    *[(sql, True) for sql in STREAMED_QUERIES[:-2]],
    ("SELECT * FROM commits WHERE repository < 'm' AND message <> ''", True),  # filters DuckDB could
    ("SELECT hash FROM commits WHERE date >= '2020-01-01' ORDER BY hash", True),  # prove false when empty
    (STREAMED_QUERIES[-2], True),  # DuckDB materializes the CTE (reads the table once) all the same
    (STREAMED_QUERIES[-1], False),  # a recursive CTE reads it again each round
])
def test_a_query_read_once_from_one_table_is_fetched_while_read(
        make_engine: Callable[..., Engine], sql: str, while_fetched: bool) -> None:
    """Only a table DuckDB reads once can come as a stream; every other one-table query does,
    whatever its WHERE clause (the plan is checked over a stand-in of unknown content)."""
    streamed = make_engine(Cache="off").execute(sql, stream=True)
    assert streamed.stream is not None
    try:
        assert (streamed.stream._feed is not None) == while_fetched
    finally:
        streamed.stream.close()  # a fetch left running would outlive the test


def test_limit_without_order_by_gives_as_many_rows_of_the_table(make_engine: Callable[..., Engine]) -> None:
    """Any four rows are right (the fetch stops once it has them): as many, all real."""
    everything = canonical(make_engine(Cache="off").execute("SELECT title, id, repository FROM pull_requests").rows)
    streamed = make_engine(Cache="off").execute("SELECT title, id, repository FROM pull_requests LIMIT 4", stream=True)
    assert streamed.stream is not None
    rows = canonical([row for batch in streamed.stream.rows() for row in batch])
    assert len(rows) == 4 and set(rows) <= set(everything)


def test_planned_order_without_order_by_is_the_normal_one(make_engine: Callable[..., Engine]) -> None:
    sql = "SELECT repository, hash FROM commits"
    normal = make_engine(Cache="off").execute(sql)
    streamed = make_engine(Cache="off").execute(sql, stream=True)
    assert streamed.stream is not None
    assert [row for batch in streamed.stream.rows() for row in batch] == normal.rows


def test_a_streamed_read_fills_the_scan_cache_for_a_repeat(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(Cache="memory", CacheTTL=3600)
    streamed = engine.execute("SELECT hash FROM commits", stream=True)
    assert streamed.stream is not None
    first = [row for batch in streamed.stream.rows() for row in batch]
    repeat = engine.execute("SELECT hash FROM commits")
    assert repeat.stats.requests == 0 and canonical(repeat.rows) == canonical(first)


def test_an_api_failure_while_streaming_is_the_api_error(emulator: Any, make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(Cache="off", MaxRetries=0)
    emulator.fail_requests("500", nth=3, times=50, methods=["GET"], path_contains="/commits")
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the type is what is checked below
            streamed = engine.execute("SELECT * FROM commits", stream=True)
            assert streamed.stream is not None
            for _ in streamed.stream.rows():
                pass
    finally:
        emulator.clear_faults()
    assert "duckdb" not in type(caught.value).__module__
    assert "500" in str(caught.value) and "DuckDB" not in str(caught.value), caught.value


def test_closing_a_stream_early_ends_its_fetch(make_engine: Callable[..., Engine]) -> None:
    """A reader that stops after one batch leaves no fetch running (nor a thread waiting forever)."""
    engine = make_engine(Cache="off", MaxConcurrency=1)
    streamed = engine.execute("SELECT * FROM commits", stream=True)
    assert streamed.stream is not None
    streamed.stream.batch_rows = 5
    assert len(next(iter(streamed.stream.rows()))) == 5
    streamed.stream.close()
    fetchers = [thread for thread in threading.enumerate() if thread.name == "bbsql-fetch-while-read"]
    for thread in fetchers:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in fetchers), "the fetch went on after the reader closed"


@pytest.fixture()
def slow(emulator: Any) -> Iterator[Any]:
    emulator.set_latency(300)
    try:
        yield emulator
    finally:
        emulator.set_latency(0)


def requests_seen(emulator: Any) -> int:
    return sum(emulator.stats()["routes"].values())


def test_a_fetch_while_read_stops_at_the_query_timeout(make_engine: Callable[..., Engine], slow: Any) -> None:
    repositories = make_engine().execute("SELECT count(*) FROM repositories").rows[0][0]
    needed = 1 + repositories  # the repositories listing, then one pull request listing each
    engine = make_engine(Cache="off", QueryTimeout=0.5, MaxConcurrency=1)
    slow.reset_stats()
    with pytest.raises(QueryTimeoutError, match=r"QueryTimeout=0\.5"):
        streamed = engine.execute("SELECT id, title FROM pull_requests", stream=True)
        assert streamed.stream is not None
        for _ in streamed.stream.rows():
            pass
    time.sleep(1.0)  # let the request that was on the wire finish
    assert requests_seen(slow) < needed

