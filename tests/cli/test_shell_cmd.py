"""`bbsql shell` fed from stdin (no terminal): statements, dot commands, errors, .quit."""

from __future__ import annotations

import re
from typing import Any

from cli_helpers import invoke


def test_shell_runs_statements_and_dot_commands_and_survives_errors(
    cli_connection: str, busiest_repository: Any
) -> None:
    slug, pull_requests = busiest_repository
    script = "\n".join(
        [
            ".tables",
            ".schema pull_requests",
            "SELECT count(*) AS n",
            f"FROM pull_requests WHERE repository = '{slug}';",
            "SELECT * FROM pull_request;",
            ".schema pull_request",
            ".bogus",
            "SELECT 'after' AS still_running; SELECT 'second' AS two;",
            ".quit",
            "SELECT 'never' AS x;",
        ]
    )
    result = invoke("shell", "-c", cli_connection, input=script)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "repositories" in out and "pull_request_comments" in out  # .tables
    assert "author_display_name" in out and "TIMESTAMPTZ" in out  # .schema
    assert re.search(rf"│\s*{len(pull_requests)}\s*│", out)  # the count, as a table cell
    assert "1 row in" in out and "request" in out  # timing and request count after a query
    assert "error: " in out and "pull_requests" in out  # unknown table, with the closest name
    assert "unknown command '.bogus'" in out
    assert "after" in out and "second" in out  # the shell carried on after the errors
    assert "never" not in out


def test_shell_reads_until_end_of_input(cli_connection: str) -> None:
    result = invoke("shell", "-c", cli_connection, input="SELECT 41 + 1 AS answer")
    assert result.exit_code == 0, result.output
    assert "42" in result.stdout


def test_shell_help_lists_the_dot_commands(cli_connection: str) -> None:
    result = invoke("shell", "-c", cli_connection, input=".help\n")
    assert result.exit_code == 0, result.output
    for command in (".tables", ".schema", ".help", ".quit"):
        assert command in result.stdout
