"""Rows held as Arrow (engine/arrow_rows.py), pages handed on per collection, streamed results.

What a user relies on: a scan's rows come out in the order its requests were planned whatever
order they complete in, one row per primary key, and a streamed result (``execute(stream=True)``,
what ``bbsql query -f csv|json|jsonl|parquet`` uses) has exactly the rows of a normal one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.paging import PAGES_END
from bitbucket_sql.catalog import registry
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.arrow_rows import ArrowRows, ScanRows, arrow_table, spec_of, unique_rows

REPOSITORIES = registry.get_table("repositories")
assert REPOSITORIES is not None


def repository_row(workspace: str | None, slug: str | None, name: str = "") -> tuple[Any, ...]:
    names = REPOSITORIES.column_names
    row: list[Any] = [None] * len(names)
    row[names.index("workspace")], row[names.index("slug")], row[names.index("name")] = workspace, slug, name
    return tuple(row)


def test_scan_rows_keep_the_planned_order_of_requests() -> None:
    rows = ScanRows(REPOSITORIES)
    rows.add(2, [repository_row("acme", "c")])
    rows.add(0, [repository_row("acme", "a")])
    rows.add(1, [])
    rows.add(0, [repository_row("acme", "b")])  # a later page of the first request
    got = rows.rows()
    assert isinstance(got, ArrowRows) and len(got) == 3
    slug = REPOSITORIES.column_names.index("slug")
    assert [row[slug] for row in got] == ["a", "b", "c"]
    assert got[2][slug] == "c" and [row[slug] for row in got[0:2]] == ["a", "b"]


def test_unique_rows_keeps_the_first_row_per_key_and_every_row_without_one() -> None:
    first = ScanRows(REPOSITORIES)
    first.add(0, [repository_row("acme", "a", "first"), repository_row(None, "x"), repository_row("acme", "b")])
    second = [repository_row("acme", "a", "second"), repository_row(None, "x"), repository_row("globex", "a")]
    table = unique_rows(REPOSITORIES, [first.rows(), second])
    assert table.column("slug").to_pylist() == ["a", "x", "b", "x", "a"]
    assert table.column("name").to_pylist()[0] == "first"
    assert table.column("workspace").to_pylist() == ["acme", None, "acme", None, "globex"]


def test_unique_rows_returns_rows_with_distinct_keys_as_they_are() -> None:
    """The usual case (every key once, some incomplete) costs no copy: the same table comes back."""
    rows = arrow_table(REPOSITORIES, [[repository_row("acme", "a"), repository_row("acme", None),
                                       repository_row("acme", None), repository_row("globex", "a")]])
    assert unique_rows(REPOSITORIES, [ArrowRows(spec_of(REPOSITORIES), [rows])]) is rows


def test_unique_rows_is_exact_when_keys_join_to_the_same_text() -> None:
    """Keys that differ but read alike once joined ("a\x1fb" + "c" vs "a" + "b\x1fc") are two rows."""
    table = unique_rows(REPOSITORIES, [[repository_row("a\x1fb", "c"), repository_row("a", "b\x1fc"),
                                        repository_row("a", "b\x1fc", "again")]])
    assert table.column("workspace").to_pylist() == ["a\x1fb", "a"]
    assert table.column("name").to_pylist() == ["", ""]


def test_rows_keep_their_catalog_types_in_arrow() -> None:
    table = arrow_table(REPOSITORIES, [[repository_row("acme", "a")]])
    assert table.schema.field("slug").type == pa.string()
    created = REPOSITORIES.column("created_on")
    assert created is not None and table.schema.field("created_on").type == pa.timestamp("us", tz="UTC")


def test_paginations_announce_their_end_once_after_their_last_item(emulator: Any) -> None:
    with BitbucketClient(f"BaseURL={emulator.base_url};AuthScheme=APIToken;User=demo@example.com;"
                         f"APIToken=demo-api-token;Workspace=acme") as client:
        slugs = [repo["slug"] for repo in client.paginate("/repositories/acme", None, pagelen=100)][:3]
        requests = [(slug, f"/repositories/acme/{slug}/pullrequests", {"state": "MERGED"}) for slug in slugs]
        seen: dict[str, list[Any]] = {slug: [] for slug in slugs}
        for key, item in client.paginate_many(requests, pagelen=5, announce_end=True):
            assert PAGES_END not in seen[key], "an item after the end"
            seen[key].append(item)
        plain = {slug: [] for slug in slugs}
        for key, item in client.paginate_many(requests, pagelen=5):
            plain[key].append(item)
    for slug in slugs:
        assert seen[slug][-1] is PAGES_END and seen[slug].count(PAGES_END) == 1
        assert seen[slug][:-1] == plain[slug]


@pytest.mark.parametrize("sql", [
    "SELECT * FROM pull_requests WHERE repository = 'api' ORDER BY id",
    "SELECT state, count(*) AS n FROM pull_requests GROUP BY state ORDER BY state",
    "SELECT slug FROM repositories WHERE slug = 'no-such-repository'",
])
def test_a_streamed_result_has_the_rows_of_a_normal_one(make_engine: Callable[..., Engine], sql: str) -> None:
    engine = make_engine()
    normal = engine.execute(sql)
    streamed = engine.execute(sql, stream=True)
    assert streamed.stream is not None and streamed.rows == []
    assert [column.name for column in streamed.columns] == [column.name for column in normal.columns]
    rows = [row for batch in streamed.stream.rows() for row in batch]
    assert rows == normal.rows
    assert streamed.stats.rows_returned == len(normal.rows)
    with pytest.raises(RuntimeError):
        list(streamed.stream.rows())  # read once: its database is closed


def test_a_streamed_result_in_arrow_has_the_same_rows(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine()
    sql = "SELECT id, title, created_on FROM pull_requests WHERE repository = 'api' ORDER BY id"
    normal = engine.execute(sql)
    streamed = engine.execute(sql, stream=True)
    assert streamed.stream is not None
    table = pa.Table.from_batches(list(streamed.stream.arrow()))
    assert table.num_rows == len(normal.rows)
    assert table.column("id").to_pylist() == [row[0] for row in normal.rows]
    assert table.schema.field("created_on").type == pa.timestamp("us", tz="UTC")


def test_max_rows_caps_a_streamed_result(make_engine: Callable[..., Engine]) -> None:
    engine = make_engine(MaxRows=3)
    streamed = engine.execute("SELECT id FROM pull_requests WHERE repository = 'api'", stream=True)
    assert streamed.stream is not None
    assert sum(len(batch) for batch in streamed.stream.rows()) == 3
    assert streamed.stats.rows_returned == 3


def test_an_error_while_streaming_is_an_engine_error(make_engine: Callable[..., Engine]) -> None:
    from bitbucket_sql.engine.errors import EngineError

    engine = make_engine()
    streamed = engine.execute("SELECT CAST(title AS INTEGER) FROM pull_requests WHERE repository = 'api'",
                              stream=True)
    assert streamed.stream is not None
    with pytest.raises(EngineError, match="DuckDB"):
        list(streamed.stream.rows())
