"""`bbsql tables` and `bbsql describe`: the catalog, offline, in every text format."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from bitbucket_sql.catalog.registry import all_tables, get_table
from bitbucket_sql.cli.main import cli


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_tables_lists_every_catalog_table_with_scope_and_key() -> None:
    code, out, _ = _run("tables", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["name"] for row in rows] == [t.name for t in all_tables()]
    pull_requests = next(row for row in rows if row["name"] == "pull_requests")
    assert pull_requests["scope"] == "repository"
    assert pull_requests["primary_key"] == "workspace, repository, id"
    assert pull_requests["description"] == get_table("pull_requests").description


def test_tables_as_a_rich_table_and_as_json() -> None:
    code, out, _ = _run("tables")
    assert code == 0
    assert "pull_requests" in out and "primary_key" in out
    code, out, _ = _run("tables", "-f", "json")
    assert code == 0
    assert {"name", "description", "scope", "primary_key"} <= set(json.loads(out)[0])


def test_describe_lists_columns_types_and_pushdown() -> None:
    code, out, _ = _run("describe", "pull_requests", "-f", "jsonl")
    assert code == 0
    columns = {row["name"]: row for row in map(json.loads, out.splitlines())}
    table = get_table("pull_requests")
    assert list(columns) == list(table.column_names)
    assert columns["created_on"]["type"] == "TIMESTAMPTZ"
    assert "URL key" in columns["repository"]["pushdown"]
    assert "q:" in columns["state"]["pushdown"] and "LIKE" in columns["title"]["pushdown"]
    assert "sort" in columns["created_on"]["pushdown"]
    assert columns["html_url"]["pushdown"] == ""
    # which operators the API answers only as a superset, as the catalog declares
    assert columns["comment_count"]["pushdown"] == "q: all comparisons (superset, re-checked: !=, NOT IN); sort"
    assert "(superset, re-checked: !=, NOT IN, LIKE)" in columns["title"]["pushdown"]
    assert "<" not in columns["title"]["pushdown"]  # text ranges are never pushed


def test_describe_accepts_a_schema_qualified_name_and_prints_a_header() -> None:
    code, out, _ = _run("describe", "acme.pull_requests")
    assert code == 0
    assert out.startswith("pull_requests: ")
    assert "author_display_name" in out


def test_describe_unknown_table_names_the_closest_ones() -> None:
    code, out, err = _run("describe", "pull_request")
    assert code == 1
    assert out == ""
    assert "unknown table 'pull_request'" in err
    assert "pull_requests" in err


def test_describe_writes_to_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "columns.csv"
    code, out, _ = _run("describe", "commits", "-f", "csv", "-o", str(target))
    assert code == 0
    assert out == ""
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [row["name"] for row in rows] == list(get_table("commits").column_names)


def test_removed_tables_are_marked() -> None:
    code, out, _ = _run("tables", "-f", "csv")
    assert code == 0
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(out))}
    assert rows["issues"]["description"].startswith("[removed]")
    assert not rows["pull_requests"]["description"].startswith("[removed]")
    code, out, _ = _run("describe", "issues")
    assert code == 0
    assert "removed:" in out and "Jira" in out
