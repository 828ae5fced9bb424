"""The documented examples run as printed, so the docs cannot silently go stale.

Conventions the docs follow (stated in docs/python.md and docs/cli.md):

- every fenced ```` ```python ```` block of docs/python.md runs, in order, in one namespace
  (the page is one Python session); the README's ```` ```python ```` block runs on its own;
- every ``$ `` line of a ```` ```console ```` block of docs/cli.md runs, in order, with ``HOME``
  set to a fresh directory; ``$ export NAME=value`` lines set the environment of the lines after
  them; a trailing ``# exit N`` states the expected exit code (default 0). A line is one ``bbsql``
  command, optionally fed by ``echo ... |`` or ``printf ... |`` (bash runs that part); the
  ``bbsql`` command runs in this process through ``bitbucket_sql.cli.main.main``, exactly as the
  installed script calls it, which saves starting a Python per example
  (``tests/cli/test_entrypoint.py`` checks the installed script itself);
- the first ```` ```toml ```` block of docs/cli.md is the user's ``~/.bbsql/config.toml``;
- ```` ```sh ```` and ```` ```text ```` blocks are not run (long-running commands, output).

The documented base URL ``http://127.0.0.1:7990/2.0`` is replaced by the test emulator's.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTED_BASE_URL = "http://127.0.0.1:7990/2.0"
PYTHON_DOC = ROOT / "docs" / "python.md"
CLI_DOC = ROOT / "docs" / "cli.md"
README = ROOT / "README.md"

_FENCE = re.compile(r"^```([\w-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_EXPECTED_EXIT = re.compile(r"\s#\s*exit\s+(\d+)\s*$")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its info string, text and the 1-based line of its opening fence."""

    language: str
    text: str
    line: int


def blocks_of(path: Path, language: str) -> list[Block]:
    document = path.read_text(encoding="utf-8")
    return [
        Block(match.group(1), match.group(2), document.count("\n", 0, match.start()) + 1)
        for match in _FENCE.finditer(document)
        if match.group(1) == language
    ]


@dataclass(frozen=True)
class CliExample:
    """One ``$ `` line of docs/cli.md with the environment the lines before it set up."""

    command: str
    line: int
    exports: tuple[tuple[str, str], ...]
    expected_exit: int


def cli_examples() -> list[CliExample]:
    examples: list[CliExample] = []
    exports: dict[str, str] = {}
    for block in blocks_of(CLI_DOC, "console"):
        for offset, raw in enumerate(block.text.splitlines(), start=1):
            if not raw.startswith("$ "):
                continue
            command = raw[2:].strip()
            if command.startswith("export "):
                for assignment in shlex.split(command)[1:]:
                    name, _, value = assignment.partition("=")
                    exports[name] = value
                continue
            expected = _EXPECTED_EXIT.search(command)
            examples.append(
                CliExample(
                    command,
                    block.line + offset,
                    tuple(exports.items()),
                    int(expected.group(1)) if expected else 0,
                )
            )
    return examples


def _for_emulator(text: str, base_url: str) -> str:
    return text.replace(DOCUMENTED_BASE_URL, base_url)


# --- the docs follow the conventions (so the tests below cannot pass by finding nothing) ---------


def test_docs_contain_runnable_examples_against_the_documented_base_url() -> None:
    assert len(blocks_of(PYTHON_DOC, "python")) >= 10
    assert len(blocks_of(README, "python")) == 1
    assert len(cli_examples()) >= 15
    for path in (PYTHON_DOC, CLI_DOC, README):
        assert DOCUMENTED_BASE_URL in path.read_text(encoding="utf-8"), path
    assert "BBSQL_CONNECTION" in dict(cli_examples()[0].exports)


# --- Python -----------------------------------------------------------------------------------


def _run_python(code: str, namespace: dict[str, object], where: str) -> str:
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, where, "exec"), namespace)  # noqa: S102 - running the documented example is the test
    return output.getvalue()


def test_python_page_runs_as_one_session(emulator) -> None:
    namespace: dict[str, object] = {"__name__": "docs_python_md"}
    printed = []
    try:
        for block in blocks_of(PYTHON_DOC, "python"):
            printed.append(
                _run_python(
                    _for_emulator(block.text, emulator.base_url), namespace, f"docs/python.md:{block.line}"
                )
            )
    finally:
        for name in ("conn", "cur"):
            closer = getattr(namespace.get(name), "close", None)
            if callable(closer):
                closer()
    everything = "".join(printed)
    # what the page promises a reader will see
    assert "<bitbucket_sql.dbapi.Connection workspace='acme'>" in everything
    assert "demo-api-token" not in everything
    assert "unknown connection property 'MaxConcurency'. Did you mean MaxConcurrency?" in everything
    assert "401 Unauthorized" in everything
    assert "NotSupportedError - Table 'issues' is no longer available" in everything
    assert "\n1 0\n0 1\n0 1\n" in everything  # the cache section's requests and cache hits


@pytest.mark.filterwarnings("ignore:pandas only supports SQLAlchemy:UserWarning")
def test_readme_python_example_runs(emulator) -> None:
    (block,) = blocks_of(README, "python")
    namespace: dict[str, object] = {"__name__": "readme"}
    printed = _run_python(_for_emulator(block.text, emulator.base_url), namespace, f"README.md:{block.line}")
    assert printed.startswith("[(")  # the fetched pull requests
    assert len(namespace["df"]) > 0  # type: ignore[arg-type]


# --- CLI --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_home(tmp_path_factory: pytest.TempPathFactory, emulator) -> Path:
    """A fresh HOME whose ~/.bbsql/config.toml is the one docs/cli.md shows."""
    home = tmp_path_factory.mktemp("docs-cli-home")
    (config,) = blocks_of(CLI_DOC, "toml")[:1]
    (home / ".bbsql").mkdir()
    (home / ".bbsql" / "config.toml").write_text(
        _for_emulator(config.text, emulator.base_url), encoding="utf-8"
    )
    return home


def _cli_environment(example: CliExample, base_url: str) -> dict[str, str | None]:
    """The example's environment: no BBSQL_* or COLUMNS of the caller's, the exports it follows."""
    environment: dict[str, str | None] = {
        key: None for key in os.environ if key.startswith("BBSQL_") or key == "COLUMNS"
    }
    environment.update({name: _for_emulator(value, base_url) for name, value in example.exports})
    return environment


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


def _bbsql_in_process(arguments: list[str], stdin: str, environment: dict[str, str | None]) -> Completed:
    """``bbsql ARGUMENTS`` with ``stdin``, run by the installed script's own ``main``."""
    from click.testing import CliRunner

    from bitbucket_sql.cli.main import main

    code = 0
    with CliRunner().isolation(input=stdin, env=environment) as (stdout, stderr, _):
        try:
            main(arguments)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except Exception:  # noqa: BLE001 - what a user would see as a traceback
            import traceback

            sys.stderr.write("Traceback (in-process run)\n" + traceback.format_exc())
            code = 1
        return Completed(code, stdout.getvalue().decode(), stderr.getvalue().decode())


def _run_example(command: str, environment: dict[str, str | None], cwd: Path) -> Completed:
    assert command.startswith(("bbsql ", "echo ", "printf ")), f"not a runnable docs line: {command}"
    if "| bbsql " in command:
        feeder, _, bbsql = command.rpartition("| bbsql ")
    else:
        feeder, bbsql = "", command.removeprefix("bbsql ")
    stdin = ""
    if feeder:
        stdin = subprocess.run(["bash", "-c", feeder], capture_output=True, text=True, check=True).stdout
    arguments = shlex.split(bbsql, comments=True)
    previous = Path.cwd()
    os.chdir(cwd)  # -o FILE examples write into the example's HOME
    try:
        return _bbsql_in_process(arguments, stdin, {**environment, "HOME": str(cwd)})
    finally:
        os.chdir(previous)


@pytest.mark.parametrize("example", cli_examples(), ids=lambda example: f"cli.md:{example.line}")
def test_cli_example_runs(example: CliExample, cli_home: Path, emulator) -> None:
    completed = _run_example(
        _for_emulator(example.command, emulator.base_url),
        _cli_environment(example, emulator.base_url),
        cli_home,
    )
    report = f"$ {example.command}\n--- stdout\n{completed.stdout}\n--- stderr\n{completed.stderr}"
    assert completed.returncode == example.expected_exit, report
    assert "Traceback" not in completed.stderr, report
    if example.expected_exit == 0:
        assert completed.stdout.strip() or "-o " in example.command, report
    else:
        assert completed.stderr.startswith("bbsql: error: "), report
        assert len(completed.stderr.strip().splitlines()) == 1, report
