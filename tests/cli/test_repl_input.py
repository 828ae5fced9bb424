"""Shell input handling that needs no engine: statement splitting, line grouping, completion, Enter."""

from __future__ import annotations

from prompt_toolkit.document import Document

from bitbucket_sql.catalog.registry import all_tables
from bitbucket_sql.cli._repl import (
    inputs_from_lines,
    is_complete,
    make_completer,
    numbered_inputs,
    split_statements,
)


def test_split_statements_respects_string_literals() -> None:
    assert split_statements("SELECT 'a;b' AS x; SELECT 2;") == ["SELECT 'a;b' AS x", "SELECT 2"]
    assert split_statements("  ;; ") == []
    assert split_statements("SELECT 1") == ["SELECT 1"]


def test_input_is_complete_at_a_semicolon_or_a_dot_command() -> None:
    assert is_complete("SELECT 1;")
    assert is_complete(".tables")
    assert not is_complete("SELECT 1\nFROM x")


def test_lines_are_grouped_into_statements_and_dot_commands() -> None:
    lines = [
        ".tables\n",
        "SELECT id\n",
        "FROM pull_requests\n",
        "WHERE id = 1;\n",
        ".schema commits\n",
        "SELECT 2",
    ]
    assert list(inputs_from_lines(lines)) == [
        ".tables",
        "SELECT id\nFROM pull_requests\nWHERE id = 1;",
        ".schema commits",
        "SELECT 2",
    ]


def test_each_input_knows_the_line_it_starts_on() -> None:
    lines = ["-- a script\n", "\n", "SELECT 1;\n", "\n", "SELECT id\n", "FROM commits;\n", ".tables\n"]
    assert list(numbered_inputs(lines)) == [
        (3, "-- a script\n\nSELECT 1;"),  # where the SQL starts
        (5, "SELECT id\nFROM commits;"),
        (7, ".tables"),
    ]


def _completions(text: str) -> list[str]:
    completer = make_completer(all_tables())
    return [c.text for c in completer.get_completions(Document(text, len(text)), None)]


def test_tables_are_completed_after_from_and_join() -> None:
    found = _completions("SELECT * FROM pull_r")
    assert found == sorted(t.name for t in all_tables() if t.name.startswith("pull_r"))
    assert "pull_requests" in found and "commits" not in found
    assert "pull_requests" in _completions("SELECT * FROM commits c JOIN pull")


def test_columns_of_the_named_table_come_first() -> None:
    found = _completions("SELECT auth FROM pull_requests")  # cursor at the end: after FROM -> tables
    assert found == []
    text = "SELECT author_d"
    document_text = text + " FROM pull_requests"
    completer = make_completer(all_tables())
    found = [c.text for c in completer.get_completions(Document(document_text, len(text)), None)]
    assert found[0] == "author_display_name"


def test_keywords_and_dot_commands_are_completed() -> None:
    assert "SELECT" in _completions("sel")
    assert _completions(".sch") == [".schema"]
    assert "repositories" in _completions(".schema repo")


def test_enter_submits_only_a_complete_statement() -> None:
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from bitbucket_sql.cli._repl import make_session

    with create_pipe_input() as pipe, create_app_session(input=pipe, output=DummyOutput()):
        session = make_session(all_tables())
        pipe.send_text("SELECT 1\rFROM t;\r")
        assert session.prompt() == "SELECT 1\nFROM t;"
        pipe.send_text(".tables\r")
        assert session.prompt() == ".tables"


def _completions_at(text: str, cursor: int) -> list[str]:
    completer = make_completer(all_tables())
    return [c.text for c in completer.get_completions(Document(text, cursor), None)]


def test_alias_dot_offers_the_columns_of_the_aliased_table() -> None:
    text = "SELECT p.ti FROM pull_requests p JOIN commits AS c ON c.ha"
    assert _completions_at(text, len("SELECT p.ti")) == ["p.title"]
    assert _completions_at(text, len(text)) == ["c.hash"]


def test_words_inside_function_calls_are_completed() -> None:
    text = "SELECT count(author_d FROM pull_requests"
    assert _completions_at(text, len("SELECT count(author_d"))[0] == "author_display_name"
