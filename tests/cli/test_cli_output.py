"""Result formats: every value type through csv, json, jsonl, table and parquet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from rich.console import Console

from bitbucket_sql.cli._display import CELL_MAX, print_table, stats_line
from bitbucket_sql.cli._output import OutputError, emit, write_csv, write_json, write_jsonl, write_table
from bitbucket_sql.cli._tabular import Tabular
from bitbucket_sql.engine.result import QueryResult, QueryStats, ResultColumn

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
    write_table(Tabular.from_result(_result()), stream)
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
    result = _result()
    result.stats = QueryStats(requests=1, elapsed_s=0.421)
    assert stats_line(result) == "2 rows in 0.42 s, 1 request"
    result.stats = QueryStats(requests=7, retries=2, cache_hits=1, elapsed_s=3.0)
    assert stats_line(result) == "2 rows in 3.00 s, 7 requests, 2 retries, 1 from cache"
    assert stats_line(result, plan=True).startswith("plan in 3.00 s")


def test_stats_line_uses_the_singular_for_one() -> None:
    result = QueryResult(columns=[ResultColumn("n", "BIGINT")], rows=[(1,)])
    result.stats = QueryStats(requests=1, retries=1, cache_hits=1, elapsed_s=0.1)
    assert stats_line(result) == "1 row in 0.10 s, 1 request, 1 retry, 1 from cache"
    result = QueryResult(columns=[ResultColumn("n", "BIGINT")], rows=[])
    result.stats = QueryStats(requests=0, elapsed_s=0.1)
    assert stats_line(result) == "0 rows in 0.10 s, 0 requests"


def _wide() -> Tabular:
    """31 columns like SELECT * FROM pull_requests, with a long multi-line value."""
    names = [f"column_with_a_long_name_{i}" for i in range(30)] + ["description"]
    long_text = "First line of a long description.\n\n" + "word " * 40
    rows = [tuple(f"value {i}" for i in range(30)) + (long_text,), tuple(str(i) for i in range(31))]
    return Tabular.of_text(names, rows)


def test_a_wide_table_off_a_terminal_keeps_one_line_per_row_and_whole_headers() -> None:
    stream = io.StringIO()
    write_table(_wide(), stream)  # what `bbsql query ... | less` and `-o file` get
    lines = stream.getvalue().splitlines()
    assert len(lines) == 6  # top border, header, rule, two rows, bottom border: nothing wrapped
    header = lines[1]
    for i in range(30):
        assert f" column_with_a_long_name_{i} " in header
    first_row = lines[3]
    assert "value 29" in first_row
    shown = first_row.rsplit("│", 2)[-2].strip()  # the description cell
    assert shown.startswith("First line of a long description. word word")
    assert shown.endswith("…") and len(shown) <= CELL_MAX
    assert "\x1b[" not in stream.getvalue()


def test_a_wide_table_in_a_terminal_fits_the_terminal() -> None:
    stream = io.StringIO()
    print_table(Console(file=stream, force_terminal=True, color_system=None, width=100), _wide())
    assert max(len(line) for line in stream.getvalue().splitlines()) <= 100


def test_writing_into_a_missing_directory_names_the_file_and_what_to_do(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "x.csv"
    for fmt in ("csv", "parquet"):
        with pytest.raises(OutputError) as raised:
            emit(Tabular.from_result(_result()), fmt, target)
        message = raised.value.format_message()
        assert str(target) in message and "choose another file with -o" in message
        assert "Errno" not in message
