"""Result formats: every value type through csv, json, jsonl, table and parquet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bitbucket_sql.cli._output import (
    OutputError,
    Tabular,
    emit,
    write_csv,
    write_json,
    write_jsonl,
    write_table,
)
from bitbucket_sql.engine.result import QueryResult, ResultColumn

CREATED = dt.datetime(2026, 11, 20, 14, 3, 11, tzinfo=dt.UTC)


def _result() -> QueryResult:
    return QueryResult(
        columns=[
            ResultColumn("id", "BIGINT"),
            ResultColumn("title", "VARCHAR"),
            ResultColumn("draft", "BOOLEAN"),
            ResultColumn("created_on", "TIMESTAMP WITH TIME ZONE"),
            ResultColumn("reviewers", "JSON"),
        ],
        rows=[
            (1, 'Fix "quotes", commas', False, CREATED, '[{"display_name": "Ann"}]'),
            (2, None, True, None, None),
        ],
    )


def test_csv_has_a_header_iso_times_and_empty_nulls() -> None:
    stream = io.StringIO()
    write_csv(Tabular.from_result(_result()), stream)
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert rows[0] == ["id", "title", "draft", "created_on", "reviewers"]
    assert rows[1] == [
        "1",
        'Fix "quotes", commas',
        "false",
        "2026-11-20T14:03:11+00:00",
        '[{"display_name": "Ann"}]',
    ]
    assert rows[2] == ["2", "", "true", "", ""]


def test_json_embeds_json_columns_and_keeps_types() -> None:
    stream = io.StringIO()
    write_json(Tabular.from_result(_result()), stream)
    objects = json.loads(stream.getvalue())
    assert objects[0] == {
        "id": 1,
        "title": 'Fix "quotes", commas',
        "draft": False,
        "created_on": "2026-11-20T14:03:11+00:00",
        "reviewers": [{"display_name": "Ann"}],
    }
    assert objects[1]["title"] is None and objects[1]["reviewers"] is None


def test_jsonl_is_one_object_per_line() -> None:
    stream = io.StringIO()
    write_jsonl(Tabular.from_result(_result()), stream)
    lines = stream.getvalue().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [1, 2]


def test_table_shows_headers_values_and_null() -> None:
    stream = io.StringIO()
    write_table(Tabular.from_result(_result()), stream, color=False)
    text = stream.getvalue()
    for expected in (
        "id",
        "title",
        "created_on",
        'Fix "quotes", commas',
        "2026-11-20 14:03:11+00:00",  # to the second, for people
        "NULL",
    ):
        assert expected in text
    assert "\x1b[" not in text  # no colour codes when not writing to a terminal


def test_parquet_keeps_the_engine_types(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    emit(Tabular.from_result(_result()), "parquet", target)
    table = pq.read_table(target)
    assert table.column_names == ["id", "title", "draft", "created_on", "reviewers"]
    assert str(table.schema.field("created_on").type) == "timestamp[us, tz=UTC]"
    assert table.column("id").to_pylist() == [1, 2]


def test_parquet_without_a_file_is_a_clear_error() -> None:
    with pytest.raises(OutputError, match="-o FILE"):
        emit(Tabular.from_result(_result()), "parquet", None)


def test_stats_line_reports_rows_time_requests_retries_and_cache() -> None:
    from bitbucket_sql.cli._output import stats_line
    from bitbucket_sql.engine.result import QueryStats

    result = _result()
    result.stats = QueryStats(requests=1, elapsed_s=0.421)
    assert stats_line(result) == "2 rows in 0.42 s, 1 request"
    result.stats = QueryStats(requests=7, retries=2, cache_hits=1, elapsed_s=3.0)
    assert stats_line(result) == "2 rows in 3.00 s, 7 requests, 2 retries, 1 from cache"
    assert stats_line(result, plan=True).startswith("plan in 3.00 s")
