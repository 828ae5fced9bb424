"""Helpers for the CLI tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from click.testing import CliRunner, Result

from bitbucket_sql.cli.main import cli


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run ``bbsql ARGS`` in-process; stdout and stderr are kept apart."""
    return CliRunner().invoke(cli, list(args), input=input, env=env)
