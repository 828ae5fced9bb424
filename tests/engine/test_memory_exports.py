"""``bbsql query`` writes csv, json, jsonl and parquet from a streamed result (batch by batch):
the files hold every row, and an empty result still has its columns."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
from cli_helpers import invoke  # noqa: E402

from _helpers_connect import connection_string_for  # noqa: E402

SQL = "SELECT id, title, created_on FROM pull_requests WHERE repository = 'api' ORDER BY id"
NONE = "SELECT id, title FROM pull_requests WHERE repository = 'api' AND id < 0"


@pytest.fixture
def connection(emulator: Any) -> str:
    return connection_string_for(emulator)


def test_every_file_format_holds_every_row(connection: str, tmp_path: Path) -> None:
    shown = invoke("query", "-c", connection, "-f", "jsonl", SQL)
    assert shown.exit_code == 0, shown.stderr
    expected = [json.loads(line) for line in shown.stdout.splitlines()]
    assert expected
    for fmt in ("csv", "json", "jsonl", "parquet"):
        target = tmp_path / f"out.{fmt}"
        done = invoke("query", "-c", connection, "-f", fmt, "-o", str(target), SQL)
        assert done.exit_code == 0, done.stderr
        assert f"{len(expected)} rows in" in done.stderr
        if fmt == "csv":
            with target.open(newline="") as stream:
                ids = [int(row["id"]) for row in csv.DictReader(stream)]
        elif fmt == "json":
            ids = [obj["id"] for obj in json.loads(target.read_text())]
        elif fmt == "jsonl":
            ids = [json.loads(line)["id"] for line in target.read_text().splitlines()]
        else:
            ids = pq.read_table(target).column("id").to_pylist()
        assert ids == [obj["id"] for obj in expected], fmt


def test_an_empty_result_still_has_its_columns(connection: str, tmp_path: Path) -> None:
    for fmt, check in (("csv", lambda p: p.read_text() == "id,title\n"),
                       ("json", lambda p: json.loads(p.read_text()) == []),
                       ("jsonl", lambda p: p.read_text() == ""),
                       ("parquet", lambda p: pq.read_table(p).column_names == ["id", "title"])):
        target = tmp_path / f"none.{fmt}"
        done = invoke("query", "-c", connection, "-f", fmt, "-o", str(target), NONE)
        assert done.exit_code == 0, done.stderr
        assert check(target), fmt
        assert "0 rows in" in done.stderr


def test_a_failure_while_writing_leaves_the_file_as_it_was(connection: str, tmp_path: Path) -> None:
    """DuckDB reads a streamed result while it is written: a query that fails half-way says why
    in one paragraph and leaves no partial file (an existing file keeps its content)."""
    bad = "SELECT CAST(title AS INTEGER) FROM pull_requests WHERE repository = 'api'"
    for fmt in ("csv", "parquet"):
        new, old = tmp_path / f"new.{fmt}", tmp_path / f"old.{fmt}"
        old.write_text("before")
        for target in (new, old):
            done = invoke("query", "-c", connection, "-f", fmt, "-o", str(target), bad)
            assert done.exit_code == 1
            assert "The query failed in the local SQL engine (DuckDB)" in done.stderr
            assert "Traceback" not in done.stderr
        assert not new.exists() and old.read_text() == "before"
        assert not [path.name for path in tmp_path.iterdir() if "partial" in path.name]
