"""The README's two set-up commands are the contract with a new user; CI must run the second verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:sh|bash)\n(.+?)\n```", section)


def test_readme_has_exactly_two_one_line_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands)
    assert "bbsql demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readmes_test_command_verbatim() -> None:
    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(r"^TEST_COMMAND='(.+)'$", ci_script, flags=re.MULTILINE)
    assert match, "TEST_COMMAND not found in .ci/run"
    assert match.group(1) == _setup_commands()[1]
