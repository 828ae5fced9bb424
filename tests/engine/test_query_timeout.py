"""QueryTimeout: a query stops at its total deadline with an error naming the property.

The emulator's latency makes the fetch slower than the deadline; the remaining requests must
not be sent. A local (DuckDB) step that outlives the deadline is interrupted the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import QueryTimeoutError


@pytest.fixture()
def slow(emulator: Any) -> Iterator[Any]:
    emulator.set_latency(300)
    try:
        yield emulator
    finally:
        emulator.set_latency(0)


def requests_seen(emulator: Any) -> int:
    return sum(emulator.stats()["routes"].values())


def test_a_slow_fetch_stops_at_the_deadline_and_sends_no_more_requests(
    make_engine: Callable[..., Engine], reference: Engine, slow: Any
) -> None:
    repositories = reference.execute("SELECT count(*) FROM repositories").rows[0][0]
    needed = 1 + repositories  # the repositories listing, then one pull request listing each
    engine = make_engine(QueryTimeout=0.5, MaxConcurrency=1)
    slow.reset_stats()
    with pytest.raises(QueryTimeoutError) as caught:
        engine.execute("SELECT id, title FROM pull_requests")
    message = str(caught.value)
    assert "QueryTimeout=0.5" in message and "cancelled" in message
    time.sleep(1.0)  # let the request that was on the wire finish
    assert requests_seen(slow) < needed


def test_without_query_timeout_the_same_query_completes(make_engine: Callable[..., Engine], slow: Any) -> None:
    engine = make_engine(MaxConcurrency=4)
    assert engine.settings.query_timeout is None
    assert engine.execute("SELECT count(*) FROM pull_requests WHERE repository = 'api'").rows[0][0] > 0


def test_a_long_local_step_is_interrupted_at_the_deadline(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(QueryTimeout=1)
    with pytest.raises(QueryTimeoutError, match="QueryTimeout=1 .*locally"):
        engine.execute("SELECT sum(hash(i)) FROM range(100000000000) t(i), repositories WHERE slug = 'api'")
    # the connection stays usable
    assert engine.execute("SELECT slug FROM repositories WHERE slug = 'api'").rows == [("api",)]


def test_explain_counting_obeys_the_deadline(make_engine: Callable[..., Engine], slow: Any) -> None:
    engine = make_engine(QueryTimeout=0.2, MaxConcurrency=1)
    with pytest.raises(QueryTimeoutError, match="QueryTimeout=0.2"):
        engine.execute("EXPLAIN SELECT * FROM pull_request_comments")
