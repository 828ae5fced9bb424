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


def _python_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Python", 1)[1].split("\n## ", 1)[0]


def test_the_python_example_says_how_to_install_every_package_it_imports() -> None:
    """The first set-up command installs no extras: the example's pandas comes from one it names."""
    import tomllib

    section = _python_section()
    (code,) = re.findall(r"```python\n(.+?)```", section, flags=re.DOTALL)
    imported = set(re.findall(r"^import (\w+)", code, flags=re.MULTILINE)) - {"bitbucket_sql"}
    assert imported == {"pandas"}
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    named = re.findall(r'pip install -e "\.\[(\w+)\]"', section)
    provided = {requirement.split(">")[0].split("<")[0] for extra in named for requirement in extras[extra]}
    assert imported <= provided, (named, provided)
    assert "[pandas]" not in _setup_commands()[0]  # so the README must say it


def test_ci_checks_types_with_mypy_from_the_test_extra() -> None:
    import tomllib

    ci_script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^\. \.venv/bin/activate && mypy\b", ci_script, flags=re.MULTILINE)
    assert 'exit "$types"' in ci_script
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert any(requirement.startswith("mypy") for requirement in pyproject["project"]["optional-dependencies"]["test"])
    assert pyproject["tool"]["mypy"]["files"] == ["src"]
