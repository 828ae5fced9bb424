"""`bbsql query` and `bbsql explain` against the emulator: formats, connections, errors."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from cli_helpers import invoke

from _helpers_connect import DEMO_TOKEN, DEMO_USER, connection_string_for

SQL = "SELECT id, title, created_on FROM pull_requests WHERE repository = '{slug}' ORDER BY id"


def _expected(pull_requests: dict[int, dict[str, Any]]) -> list[tuple[int, str]]:
    return [(pr_id, pr["title"]) for pr_id, pr in sorted(pull_requests.items())]


def test_table_format_prints_rows_and_the_cost(cli_connection: str, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    result = invoke("query", "-c", cli_connection, SQL.format(slug=slug))
    assert result.exit_code == 0, result.output
    first_id, first_title = _expected(pull_requests)[0]
    assert "title" in result.stdout and first_title[:20] in result.stdout
    assert f"{len(pull_requests)} rows in" in result.stderr
    assert "request" in result.stderr


def test_csv_format(cli_connection: str, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    result = invoke("query", "-c", cli_connection, "--format", "csv", SQL.format(slug=slug))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(int(row["id"]), row["title"]) for row in rows] == _expected(pull_requests)
    assert rows[0]["created_on"].endswith("+00:00")


def test_json_and_jsonl_formats(cli_connection: str, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    result = invoke("query", "-c", cli_connection, "-f", "json", SQL.format(slug=slug))
    assert result.exit_code == 0, result.output
    objects = json.loads(result.stdout)
    assert [(obj["id"], obj["title"]) for obj in objects] == _expected(pull_requests)
    result = invoke("query", "-c", cli_connection, "-f", "jsonl", SQL.format(slug=slug))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(obj["id"], obj["title"]) for obj in lines] == _expected(pull_requests)


def test_parquet_to_a_file(cli_connection: str, busiest_repository: Any, tmp_path: Path) -> None:
    slug, pull_requests = busiest_repository
    target = tmp_path / "prs.parquet"
    result = invoke("query", "-c", cli_connection, "-f", "parquet", "-o", str(target), SQL.format(slug=slug))
    assert result.exit_code == 0, result.output
    table = pq.read_table(target)
    assert list(
        zip(table.column("id").to_pylist(), table.column("title").to_pylist(), strict=True)
    ) == _expected(pull_requests)


def test_parquet_without_output_file_is_refused_before_querying(cli_connection: str) -> None:
    result = invoke("query", "-c", cli_connection, "-f", "parquet", "SELECT 1")
    assert result.exit_code == 2
    assert "-o FILE" in result.stderr


def test_csv_to_a_file(cli_connection: str, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    result = invoke("query", "-c", cli_connection, "-f", "csv", "-o", str(target), "SELECT 7 AS seven")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == "seven\n7\n"


def test_output_into_a_missing_directory_is_one_line_before_any_request(
    cli_connection: str, emulator: Any, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "x.csv"
    emulator.reset_stats()
    completed = subprocess.run(
        [sys.executable, "-m", "bitbucket_sql", "query", "-c", cli_connection, "-f", "csv", "-o", str(target),
         "SELECT slug FROM repositories"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("bbsql: error: ")
    assert str(target) in lines[0] and "does not exist" in lines[0] and "choose another file" in lines[0]
    assert "Errno" not in lines[0]
    assert emulator.stats()["total"] == 0  # refused before querying


def test_select_star_as_a_table_into_a_pipe_keeps_each_row_on_one_line(
    cli_connection: str, busiest_repository: Any
) -> None:
    slug, pull_requests = busiest_repository
    result = invoke("query", "-c", cli_connection, f"SELECT * FROM pull_requests WHERE repository = '{slug}'")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == len(pull_requests) + 4  # borders, header and rule: no row wrapped
    header = [cell.strip() for cell in lines[1].strip("┃").split("┃")]
    assert header[:3] == ["workspace", "repository", "id"] and "author_display_name" in header
    from bitbucket_sql.catalog.registry import get_table

    table = get_table("pull_requests")
    assert table is not None and len(header) == len(table.columns) > 25  # every column, none squeezed
    titles = {pr["title"] for pr in pull_requests.values()}
    assert any(title in result.stdout for title in titles)


def test_explain_through_query_prints_the_plan_as_lines(cli_connection: str) -> None:
    result = invoke("query", "-c", cli_connection, "EXPLAIN SELECT slug FROM repositories")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Scan 1: acme.repositories\n")
    assert "┃" not in result.stdout
    assert result.stderr.startswith("plan in ")


def test_connection_from_the_environment(cli_connection: str) -> None:
    result = invoke(
        "query",
        "-f",
        "csv",
        "SELECT count(*) AS n FROM repositories",
        env={"BBSQL_CONNECTION": cli_connection},
    )
    assert result.exit_code == 0, result.output
    assert int(result.stdout.splitlines()[1]) > 0


def test_connection_from_a_profile(emulator: Any, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        "[profiles.demo]\n"
        f'BaseURL = "{emulator.base_url}"\nWorkspace = "acme"\nAuthScheme = "APIToken"\n'
        f'User = "{DEMO_USER}"\nAPIToken = "{DEMO_TOKEN}"\n',
        encoding="utf-8",
    )
    env = {"BBSQL_CONFIG": str(config), "BBSQL_CONNECTION": ""}
    result = invoke(
        "query", "--profile", "demo", "-f", "csv", "SELECT count(*) AS n FROM repositories", env=env
    )
    assert result.exit_code == 0, result.output
    assert int(result.stdout.splitlines()[1]) == len(emulator.store.workspace("acme").repositories)
    result = invoke("query", "--profile", "nope", "SELECT 1", env=env)
    assert result.exit_code == 1
    assert "profile 'nope'" in result.stderr


def test_no_connection_explains_the_three_ways_and_the_demo() -> None:
    result = invoke("query", "SELECT 1", env={"BBSQL_CONNECTION": "", "BBSQL_PROFILE": ""})
    assert result.exit_code == 1
    assert (
        "BBSQL_CONNECTION" in result.stderr and "--profile" in result.stderr and "bbsql demo" in result.stderr
    )


def test_parameters_and_sql_from_stdin(cli_connection: str, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    result = invoke(
        "query",
        "-c",
        cli_connection,
        "-f",
        "csv",
        "-p",
        slug,
        "-",
        input="SELECT count(*) AS n FROM pull_requests WHERE repository = ?",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["n", str(len(pull_requests))]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM pull_request", "pull_requests"),
        ("SELECT titel FROM pull_requests WHERE repository = 'x'", "title"),
        ("SELEC 1", "line 1, column"),
    ],
)
def test_errors_are_one_paragraph_without_traceback(cli_connection: str, sql: str, expected: str) -> None:
    result = invoke("query", "-c", cli_connection, sql)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_lets_the_original_exception_through(cli_connection: str) -> None:
    from bitbucket_sql.engine.errors import UnknownTableError

    result = invoke("--debug", "query", "-c", cli_connection, "SELECT * FROM pull_request")
    assert result.exit_code != 0
    assert isinstance(result.exception, UnknownTableError)


def test_wrong_token_is_an_auth_error_that_hides_the_token(emulator: Any) -> None:
    secret = "wrong-token-abcdef123456"
    result = invoke(
        "query", "-c", connection_string_for(emulator, APIToken=secret), "SELECT slug FROM repositories"
    )
    assert result.exit_code == 1
    assert "401" in result.stderr
    assert secret not in result.stderr and secret not in result.stdout


def test_explain_shows_the_pushed_down_request(
    cli_connection: str, busiest_repository: Any, emulator: Any
) -> None:
    slug, _ = busiest_repository
    emulator.reset_stats()
    result = invoke(
        "explain",
        "-c",
        cli_connection,
        f"SELECT title FROM pull_requests WHERE repository = '{slug}' AND state = 'MERGED'",
    )
    assert result.exit_code == 0, result.output
    assert "GET /repositories/{workspace}/{repo_slug}/pullrequests" in result.stdout
    assert f"repository IN ('{slug}')" in result.stdout  # the key became the URL
    assert 'q: state = "MERGED"' in result.stdout  # the filter became BBQL
    assert emulator.stats()["total"] == 0  # a plain EXPLAIN plans without fetching


def test_removed_table_is_a_readable_error(cli_connection: str) -> None:
    result = invoke("query", "-c", cli_connection, "SELECT * FROM issues")
    assert result.exit_code == 1
    assert "issue tracker" in result.stderr.lower() and "Jira" in result.stderr


def test_explain_analyze_reports_actual_requests(cli_connection: str, busiest_repository: Any) -> None:
    slug, pull_requests = busiest_repository
    result = invoke(
        "explain",
        "--analyze",
        "-c",
        cli_connection,
        "-p",
        slug,
        "SELECT id FROM pull_requests WHERE repository = ?",
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"actual: 1 requests? ", result.stdout)  # the engine's wording (its plural may be fixed)
    assert f"{len(pull_requests)} rows fetched" in result.stdout


def test_installed_command_prints_one_error_line_and_exits_1(cli_connection: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bitbucket_sql", "query", "-c", cli_connection, "SELECT * FROM pull_request"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("bbsql: error: Unknown table 'pull_request'")
    assert "pull_requests" in lines[0]
