"""What a new user's mistakes print: one sentence of what is wrong, one of what to do."""

from __future__ import annotations

from typing import Any

from cli_helpers import invoke
from click.testing import Result

from _helpers_connect import connection_string_for


def _error(result: Result) -> str:
    """The one error line, without the prefix (``Error: `` in-process, ``bbsql: error: `` installed)."""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    return line.removeprefix("Error: ")


def test_an_unclosed_quote_says_where_the_string_starts(cli_connection: str) -> None:
    result = invoke("query", "-c", cli_connection, "SELECT slug FROM repositories WHERE slug = 'api")
    assert result.exit_code == 1
    message = _error(result)
    assert message == (
        "SQL syntax error at line 1, column 44: the string starting 'api is never closed. "
        "Add the closing ' (a ' inside it is written twice: '')."
    )
    assert "tokeniz" not in message.lower()


def test_a_shell_command_typed_after_text_points_at_the_dot_commands(cli_connection: str) -> None:
    result = invoke("shell", "-c", cli_connection, input="clear.schema x;\n")
    errors = result.stderr.splitlines()
    assert errors[0] == (
        "bbsql: error: line 1: SQL syntax error at line 1, column 1: a query starts with SELECT, WITH or "
        "VALUES, not 'clear.schema'. Shell commands start a line with a dot: .help lists them."
    )
    assert "ALIAS" not in result.stderr


def test_the_shell_points_at_its_own_commands_for_unknown_names(cli_connection: str) -> None:
    result = invoke("shell", "-c", cli_connection, input="SELECT * FROM pull_request;\nSELECT titel FROM pull_requests;\n")
    table_error, column_error = result.stderr.splitlines()[:2]
    assert table_error.endswith("Did you mean 'pull_requests', 'pull_request_tasks' or 'pull_request_commits'? "
                                "List the tables with .tables.")  # fmt: skip
    assert column_error.endswith("List a table's columns with .schema TABLE.")
    assert "bbsql tables" not in result.stderr and "sys_tablecolumns" not in result.stderr


def test_a_wrong_api_token_says_once_that_app_passwords_are_gone(emulator: Any) -> None:
    wrong = connection_string_for(emulator).replace("APIToken=demo-api-token", "APIToken=not-the-token")
    result = invoke("query", "-c", wrong, "SELECT slug FROM repositories")
    assert result.exit_code == 1
    message = _error(result)
    assert "401 Unauthorized" in message and "Atlassian account e-mail" in message
    assert message.lower().count("app password") == 1
    assert "?" not in message.split(" failed:")[0]  # the request's query string is noise here
    assert len(message) < 450


def test_dot_tables_shows_the_primary_key_and_removed_marker(cli_connection: str) -> None:
    result = invoke("shell", "-c", cli_connection, input=".tables\n")
    lines = result.stdout.splitlines()
    assert "primary_key" in lines[1]
    issues = next(line for line in lines if line.startswith("│ issues "))
    assert "[removed]" in issues and "workspace, repository, id" in issues


def test_a_dot_command_typed_without_its_dot_says_so(cli_connection: str) -> None:
    result = invoke("shell", "-c", cli_connection, input="tables;\n")
    (error,) = result.stderr.splitlines()[:1]
    assert error.endswith("Shell commands start a line with a dot: .help lists them.")


def test_a_query_warning_is_one_bbsql_line_not_pythons_file_and_source_line(cli_connection: str) -> None:
    found = invoke("query", "-c", cli_connection, "-f", "csv", "SELECT uuid FROM repositories ORDER BY slug LIMIT 1")
    uuid = found.stdout.strip().splitlines()[-1]
    result = invoke("query", "-c", cli_connection, "-f", "csv", f"SELECT count(*) FROM branches WHERE repository = '{uuid}'")
    assert result.exit_code == 0
    warning_lines = [line for line in result.stderr.splitlines() if "warning" in line.lower()]
    assert len(warning_lines) == 1
    assert warning_lines[0].startswith("bbsql: warning: ")
    assert uuid in warning_lines[0]  # names the value and (below) what to write instead
    assert "Write repository = " in warning_lines[0]
    assert ".py:" not in result.stderr and "engine.execute" not in result.stderr
