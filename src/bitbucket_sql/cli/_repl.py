"""The interactive SQL shell behind ``bbsql shell`` (and the end of ``bbsql demo``).

Input is gathered until a statement ends with ``;`` (dot commands are one line), then each
statement runs through the engine; the result prints as a table followed by its row count,
time and request count. An error prints as one paragraph and the shell carries on. With a
terminal, prompt_toolkit supplies editing, history (``~/.bbsql/history``) and completion of
table names, column names and SQL keywords; without one, statements are read from stdin as a
script: errors then go to stderr with their line number, the script carries on (like psql
without ON_ERROR_STOP), and ``bbsql shell`` exits 1 when any input failed.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from bitbucket_sql.cli._display import DISPLAY_MODES, print_result, print_table
from bitbucket_sql.cli._errors import one_paragraph
from bitbucket_sql.cli._progress import ProgressLine
from bitbucket_sql.cli._tabular import Tabular

SQL_KEYWORDS: tuple[str, ...] = (
    "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "ILIKE", "BETWEEN",
    "ORDER", "BY", "GROUP", "HAVING", "LIMIT", "OFFSET", "ASC", "DESC", "DISTINCT", "AS", "JOIN",
    "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "ON", "USING", "WITH", "UNION", "ALL",
    "EXCEPT", "INTERSECT", "CASE", "WHEN", "THEN", "ELSE", "END", "COUNT", "SUM", "AVG", "MIN",
    "MAX", "EXPLAIN", "ANALYZE", "TRUE", "FALSE", "CAST", "DATE_TRUNC", "NOW", "INTERVAL",
    "CURRENT_DATE", "EXISTS", "COALESCE", "STARTS_WITH",
)  # fmt: skip

DOT_COMMANDS: dict[str, str] = {
    ".tables": "list the tables with their scope and primary key",
    ".schema TABLE": "show a table's columns, types and what is pushed down to the API",
    ".mode MODE": "auto (a table when it fits, else records), table or vertical (records)",
    "\\x [on|off|auto]": "psql's switch: records on, off or auto; alone it toggles",
    ".help": "show this help",
    ".quit": "leave the shell (also .exit or Ctrl-D)",
}

HISTORY_PATH = Path("~/.bbsql/history")


def split_statements(text: str) -> list[str]:
    """Statements of ``text`` split at semicolons outside string literals and comments."""
    import sqlglot
    from sqlglot.tokens import TokenType

    try:
        tokens = sqlglot.tokenize(text, read="duckdb")
    except Exception:  # noqa: BLE001 - an untokenizable text is one statement; the engine reports why
        return [text.strip().rstrip(";").strip()] if text.strip().rstrip(";").strip() else []
    statements: list[str] = []
    start = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append(text[start : token.start])
            start = token.end + 1
    statements.append(text[start:])
    return [statement.strip() for statement in statements if statement.strip()]


def is_command(text: str) -> bool:
    """True for a shell command: a dot command (``.tables``) or psql's ``\\x``."""
    stripped = text.strip()
    return stripped.startswith(".") or stripped.startswith("\\")


def is_complete(text: str) -> bool:
    """True when the input is ready to run: a shell command, or SQL ending with ``;`` (or nothing)."""
    stripped = text.strip()
    return not stripped or is_command(stripped) or stripped.endswith(";")


#: Follows the note printed when a result is shown as records, or with columns elided.
MODE_HINT = ".mode table|vertical|auto chooses"


class Shell:
    """Runs complete inputs (SQL or dot commands) against an engine and prints to a console."""

    def __init__(
        self, engine: Any, console: Console, *, debug: bool = False, errors: Console | None = None
    ) -> None:
        self.engine = engine
        self.console = console
        #: where error paragraphs go: the console itself at a prompt, stderr for a script
        self.errors = errors if errors is not None else console
        self.debug = debug
        #: set by :func:`run_interactive`: Ctrl-C then cancels one query instead of the session
        self.interactive = False
        #: inputs (statements, dot commands) that failed so far: a script's exit status
        self.failures = 0
        #: where the current input starts (``line 12``), named in errors of a script
        self.location: str | None = None
        #: starts every error paragraph; a script's errors look like the CLI's own (``bbsql: error: ``)
        self.error_prefix = "error: "
        #: how results print: see :data:`._display.DISPLAY_MODES` (``.mode``, ``\\x``)
        self.mode = "auto"
        #: the SQL statement running now (its error may be a dot command typed without the dot)
        self.statement = ""

    # -- dispatch ---------------------------------------------------------------------------

    def handle(self, text: str) -> bool:
        """Run one complete input; False means the user asked to leave."""
        stripped = text.strip()
        if not stripped:
            return True
        if is_command(stripped):
            return self._dot_command(stripped.rstrip(";").split())
        for statement in split_statements(stripped):
            self.statement = statement
            self.run_sql(statement)
        return True

    def run_sql(self, sql: str) -> None:
        try:
            with ProgressLine(Console(stderr=True)) as progress:
                result = self.engine.execute(sql, progress=progress)
        except KeyboardInterrupt:
            if not self.interactive:
                raise  # a script stops at Ctrl-C; a person at the prompt gets the prompt back
            self.console.print("cancelled", style="yellow")
            return
        except Exception as error:  # noqa: BLE001 - the shell reports and carries on
            self._report(error)
            return
        print_result(self.console, result, sql, self.mode, hint=MODE_HINT)

    def _report(self, error: BaseException) -> None:
        if self.debug:
            self._complain("".join(traceback.format_exception(error)))
        else:
            self._complain(shell_message(error, self.statement))

    def _complain(self, message: str) -> None:
        """Print an error paragraph (unwrapped, so it stays one line in a log) and count it."""
        self.failures += 1
        where = f"{self.location}: " if self.location else ""
        self.errors.print(
            f"{self.error_prefix}{where}{message}", style="red", highlight=False, markup=False, soft_wrap=True
        )

    # -- dot commands -------------------------------------------------------------------------

    def _dot_command(self, words: list[str]) -> bool:
        command, arguments = words[0].lower(), words[1:]
        if command in {".quit", ".exit", ".q"}:
            return False
        if command == ".help":
            self._help()
        elif command == ".tables":
            self._tables()
        elif command == ".schema":
            if len(arguments) != 1:
                self._complain("usage: .schema TABLE  (for example .schema pull_requests)")
            else:
                self._schema(arguments[0])
        elif command == ".mode":
            self._set_mode(arguments)
        elif command == "\\x":
            self._expanded(arguments)
        else:
            known = ", ".join(name.split()[0] for name in DOT_COMMANDS)
            self._complain(f"unknown command {command!r}; known: {known}")
        return True

    def _help(self) -> None:
        self.console.print("End SQL statements with ';' (they may span lines). Commands:", highlight=False)
        for name, meaning in DOT_COMMANDS.items():
            self.console.print(f"  {name:<16} {meaning}", highlight=False, markup=False, soft_wrap=True)

    def _set_mode(self, arguments: list[str]) -> None:
        if not arguments:
            self.console.print(f"mode: {self.mode}", highlight=False)
        elif len(arguments) == 1 and arguments[0].lower() in DISPLAY_MODES:
            self.mode = arguments[0].lower()
            self.console.print(f"mode: {self.mode}", style="dim", highlight=False)
        else:
            self._complain(f"unknown mode {' '.join(arguments)!r}. Use .mode auto, .mode table or .mode vertical.")

    def _expanded(self, arguments: list[str]) -> None:
        """psql's ``\\x``: ``on`` records, ``off`` a table, ``auto``; alone it toggles."""
        choices = {"on": "vertical", "off": "table", "auto": "auto"}
        if not arguments:
            self.mode = "auto" if self.mode == "vertical" else "vertical"
        elif len(arguments) == 1 and arguments[0].lower() in choices:
            self.mode = choices[arguments[0].lower()]
        else:
            self._complain(f"unknown setting {' '.join(arguments)!r}. Use \\x, \\x on, \\x off or \\x auto.")
            return
        self.console.print(f"mode: {self.mode}", style="dim", highlight=False)

    def _tables(self) -> None:
        from bitbucket_sql.cli.catalog_cmd import TABLE_LISTING, table_row

        rows = [table_row(table) for table in self.engine.tables()]
        print_table(self.console, Tabular.of_text(TABLE_LISTING, rows), self.mode, hint=MODE_HINT)

    def _schema(self, name: str) -> None:
        from bitbucket_sql.cli.catalog_cmd import COLUMN_LISTING, column_rows

        try:
            table = self.engine.table(name.split(".")[-1])
        except Exception as error:  # noqa: BLE001 - unknown table: report with the closest names
            self._report(error)
            return
        self.console.print(f"{table.name}: {table.description}", highlight=False, markup=False, soft_wrap=True)
        print_table(self.console, Tabular.of_text(COLUMN_LISTING, column_rows(table)), self.mode, hint=MODE_HINT)


def shell_message(error: BaseException, statement: str = "") -> str:
    """The error's paragraph, pointing at the shell's own commands rather than the CLI's.

    The engine's unknown-table and unknown-column errors end with how to list tables and
    columns in SQL or with ``bbsql tables``; at the shell's prompt ``.tables`` and
    ``.schema TABLE`` are closer to hand. A statement whose first word holds a dot command
    (``clear.schema x``) is a shell command typed after other text.
    """
    from bitbucket_sql.engine.errors import SqlSyntaxError, UnknownColumnError, UnknownTableError

    text = one_paragraph(error)
    if isinstance(error, UnknownTableError):
        text = text.split(" List the tables with", 1)[0] + " List the tables with .tables."
    elif isinstance(error, UnknownColumnError):
        table = error.table or "TABLE"
        text = text.split(" List a table's columns with", 1)[0] + f" List a table's columns with .schema {table}."
    elif isinstance(error, SqlSyntaxError) and _looks_like_a_shell_command(text, statement):
        text = text.split(" Check the SQL", 1)[0] + " Shell commands start a line with a dot: .help lists them."
    return text


def _looks_like_a_shell_command(message: str, statement: str) -> bool:
    """``clear.schema x`` (a dot command after other text) or ``tables`` (one without its dot)."""
    words = statement.strip().rstrip(";").split()
    first = words[0].lower() if words else ""
    return bool(_MISPLACED_COMMAND.search(message)) or first in _COMMAND_WORDS


_COMMAND_WORDS = frozenset({"tables", "schema", "mode", "help", "quit", "exit"})


_MISPLACED_COMMAND = re.compile(r"not '\w*\.(?:schema|tables|mode|help|quit|exit)'")


# -- input sources ----------------------------------------------------------------------------


def _is_sql(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("--")


def numbered_inputs(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Complete inputs from plain lines (stdin without a terminal): dot lines, SQL up to ``;``;
    each with the 1-based number of the line it starts on."""
    pending: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if not pending and is_command(line):
            yield number, line.strip()
            continue
        if not any(_is_sql(text) for text in pending):
            first = number  # leading blank and comment lines do not count as the input's start
        pending.append(line.rstrip("\n"))
        text = "\n".join(pending)
        if is_complete(text):
            pending = []
            if text.strip():
                yield first, text
    leftover = "\n".join(pending)
    if leftover.strip():
        yield first, leftover


def inputs_from_lines(lines: Iterable[str]) -> Iterator[str]:
    """The inputs of :func:`numbered_inputs` without their line numbers."""
    return (text for _, text in numbered_inputs(lines))


def run_lines(shell: Shell, lines: Iterable[str]) -> None:
    """Run a script: every input in turn, errors named by line, until the end or ``.quit``."""
    for number, text in numbered_inputs(lines):
        shell.location = f"line {number}"
        if not shell.handle(text):
            return


def completion_words(tables: Sequence[Any]) -> list[str]:
    """Everything the completer offers: tables, columns and SQL keywords."""
    words = {t.name for t in tables}
    words.update(c.name for t in tables for c in t.columns)
    return sorted(words) + list(SQL_KEYWORDS)


_TABLE_REFERENCE = re.compile(
    r"\b(?:from|join)\s+(?:\w+\.)?(\w+)(?:\s+(?:as\s+)?(?!(?:on|using|where|join|left|right|inner|full|cross|"
    r"group|order|limit|natural)\b)(\w+))?",
    re.IGNORECASE,
)
_WORD_BEFORE_CURSOR = re.compile(r"[\w.]+")


def referenced_tables(text: str, known: set[str]) -> dict[str, str]:
    """Names and aliases used in ``text`` -> the catalog table they stand for."""
    found: dict[str, str] = {}
    for match in _TABLE_REFERENCE.finditer(text):
        table = match.group(1).lower()
        if table not in known:
            continue
        found[table] = table
        if match.group(2):
            found[match.group(2).lower()] = table
    return found


def make_completer(tables: Sequence[Any]) -> Any:
    """A prompt_toolkit completer for dot commands, table names, column names and keywords.

    After FROM/JOIN (and ``.schema``) only tables are offered; ``alias.`` offers the columns of
    the aliased table; elsewhere the columns of the tables in the statement come first, then
    every other word.
    """
    from prompt_toolkit.completion import Completer, Completion

    table_names = sorted(t.name for t in tables)
    known = set(table_names)
    columns_by_table = {t.name: [c.name for c in t.columns] for t in tables}
    everything = completion_words(tables)

    def candidates_for(document: Any, word: str) -> list[str]:
        before = document.text_before_cursor
        stripped = before.lstrip()
        if is_command(stripped) and " " not in stripped:
            return [name.split()[0] for name in DOT_COMMANDS] + [".exit"]
        if stripped.lower().startswith(".mode ") and stripped.count(" ") == 1:
            return list(DISPLAY_MODES)
        previous = before[: len(before) - len(word)].split()
        last = previous[-1].lower() if previous else ""
        if last in {"from", "join", ".schema"}:
            return table_names
        references = referenced_tables(document.text, known)
        if "." in word:
            qualifier = word.rsplit(".", 1)[0]
            table = references.get(qualifier.lower()) or (
                qualifier.lower() if qualifier.lower() in known else None
            )
            return [f"{qualifier}.{column}" for column in columns_by_table.get(table or "", [])]
        first = [column for table in dict.fromkeys(references.values()) for column in columns_by_table[table]]
        return list(dict.fromkeys(first + everything))

    class SqlCompleter(Completer):
        def get_completions(self, document: Any, complete_event: Any) -> Iterator[Any]:
            word = document.get_word_before_cursor(pattern=_WORD_BEFORE_CURSOR)
            if not word:
                return
            typed = word.lower()
            for candidate in candidates_for(document, word):
                if candidate.lower().startswith(typed) and candidate.lower() != typed:
                    yield Completion(candidate, start_position=-len(word))

    return SqlCompleter()


def make_session(tables: Sequence[Any], *, history_path: Path | None = None, **session_options: Any) -> Any:
    """A prompt_toolkit session: Enter runs a complete input, otherwise starts a new line."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: Any) -> None:
        buffer = event.current_buffer
        if is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    class MaskedFileHistory(FileHistory):
        """The history file never holds a written secret (INSERT/UPDATE of webhooks, variables, keys)."""

        def store_string(self, string: str) -> None:
            from bitbucket_sql.engine.writes.masking import mask_secret_writes

            super().store_string(mask_secret_writes(string))

    history: Any = InMemoryHistory()
    if history_path is not None:
        try:
            history_path.parent.mkdir(parents=True, exist_ok=True)
            history = MaskedFileHistory(str(history_path))
        except OSError:
            history = InMemoryHistory()
    return PromptSession(
        message="bbsql> ",
        prompt_continuation=lambda width, line_number, wrap_count: "...> ".rjust(width),
        multiline=True,
        key_bindings=bindings,
        completer=make_completer(tables),
        complete_while_typing=False,
        history=history,
        **session_options,
    )


def run_interactive(shell: Shell, session: Any) -> None:
    """Prompt until ``.quit`` or Ctrl-D; Ctrl-C drops the current input."""
    shell.interactive = True
    shell.console.print("Enter SQL ending with ';', or .help. Leave with .quit or Ctrl-D.", style="dim")
    while True:
        try:
            text = session.prompt()
        except KeyboardInterrupt:
            continue
        except EOFError:
            return
        if not shell.handle(text):
            return
