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
    out, err = result.stdout, result.stderr
    assert "repositories" in out and "pull_request_comments" in out  # .tables
    assert "author_display_name" in out and "TIMESTAMPTZ" in out  # .schema
    assert re.search(rf"│\s*{len(pull_requests)}\s*│", out)  # the count, as a table cell
    assert "1 row in" in out and "request" in out  # timing and request count after a query
    assert "after" in out and "second" in out  # the shell carried on after the errors
    assert "never" not in out
    # a script's errors go to stderr, one line each, named by the line the input starts on
    errors = err.splitlines()
    assert errors[0].startswith("bbsql: error: line 5: Unknown table 'pull_request'")
    assert "pull_requests" in errors[0]
    assert errors[1].startswith("bbsql: error: line 6: Unknown table 'pull_request'")
    assert errors[2].startswith("bbsql: error: line 7: unknown command '.bogus'")
    assert "error" not in out
    # ... and the script's exit status says that it failed
    assert result.exit_code == 1
    assert errors[-1] == "Error: 3 inputs of the script failed (see the errors above)"


def test_shell_reads_until_end_of_input(cli_connection: str) -> None:
    result = invoke("shell", "-c", cli_connection, input="SELECT 41 + 1 AS answer")
    assert result.exit_code == 0, result.output
    assert "42" in result.stdout
    assert result.stderr == ""


def test_a_script_with_one_failure_exits_1_through_the_installed_command(cli_connection: str) -> None:
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "bitbucket_sql", "shell", "-c", cli_connection],
        input="SELECT 1 AS one;\nSELECT FROM WHERE;\nSELECT 2 AS two;\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1
    assert "one" in completed.stdout and "two" in completed.stdout  # it carried on
    lines = completed.stderr.strip().splitlines()
    assert lines[0].startswith("bbsql: error: line 2: SQL syntax error")
    assert lines[-1] == "bbsql: error: 1 input of the script failed (see the errors above)"
    assert "Traceback" not in completed.stderr


def test_shell_help_lists_the_dot_commands(cli_connection: str) -> None:
    result = invoke("shell", "-c", cli_connection, input=".help\n")
    assert result.exit_code == 0, result.output
    for command in (".tables", ".schema", ".help", ".quit"):
        assert command in result.stdout


def test_interactive_shell_keeps_history_and_continues_after_errors(emulator: Any, tmp_path: Any) -> None:
    import io

    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    from rich.console import Console

    from _helpers_connect import connection_string_for
    from bitbucket_sql.api.settings import parse_connection_string
    from bitbucket_sql.cli._repl import Shell, make_session, run_interactive
    from bitbucket_sql.engine import Engine

    engine = Engine(parse_connection_string(connection_string_for(emulator)))
    printed = io.StringIO()
    history = tmp_path / "bbsql" / "history"
    try:
        with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
            session = make_session(engine.tables(), history_path=history)
            shell = Shell(engine, Console(file=printed, width=120))
            pipe.send_text(
                "SELECT count(*) AS n\rFROM repositories;\rSELECT nope FROM repositories;\r.quit\r"
            )
            run_interactive(shell, session)
    finally:
        engine.close()
    out = printed.getvalue()
    repositories = len(emulator.store.workspace("acme").repositories)
    assert re.search(rf"│\s*{repositories}\s*│", out)
    assert "1 row in" in out and "1 request" in out
    assert "error: Unknown column 'nope'" in out
    saved = history.read_text(encoding="utf-8")
    assert "FROM repositories;" in saved and "SELECT nope FROM repositories;" in saved
