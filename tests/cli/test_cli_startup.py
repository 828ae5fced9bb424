"""Start-up: a ``bbsql`` process loads only what the command in hand needs.

Behaviour, not timing (timings are in benchmarks/process.py and docs/benchmarks.md): each test runs
a fresh interpreter and reports which heavy libraries it imported. DuckDB, sqlglot, pyarrow and the
HTTP stack cost most of a process's start-up, so ``bbsql --help`` loads none of them and
``SELECT 1`` (which needs DuckDB and sqlglot) makes no HTTP client and builds no Arrow data.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

HEAVY = ("duckdb", "sqlglot", "pyarrow", "pandas", "numpy", "httpx", "httpcore", "authlib", "rich")

#: runs the code given in argv[1], then prints the heavy modules loaded, even when the code exits
PROBE = """
import atexit, json, sys
heavy = json.loads(sys.argv[2])
atexit.register(lambda: print("LOADED=" + json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr))
exec(sys.argv[1])
"""


def loaded_by(code: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The heavy modules a fresh interpreter has loaded after running ``code``."""
    done = subprocess.run([sys.executable, "-c", PROBE, code, json.dumps(HEAVY)], capture_output=True, text=True,
                          timeout=120)
    lines = [line for line in done.stderr.splitlines() if line.startswith("LOADED=")]
    assert lines, done.stderr
    return set(json.loads(lines[-1].removeprefix("LOADED="))), done


def test_importing_the_package_and_the_cli_loads_nothing_heavy() -> None:
    loaded, _ = loaded_by("import bitbucket_sql, bitbucket_sql.cli.main, bitbucket_sql.engine, bitbucket_sql.api")
    assert loaded == set()


def test_bbsql_help_loads_nothing_heavy() -> None:
    loaded, done = loaded_by("from bitbucket_sql.cli.main import main; main(['--help'])")
    assert "query" in done.stdout
    assert loaded == set()


def test_engine_errors_import_without_the_engine() -> None:
    loaded, _ = loaded_by("from bitbucket_sql.engine.errors import EngineError; from bitbucket_sql.engine import EngineError")
    assert loaded == set()


def test_select_1_makes_no_http_client_and_no_arrow_data(emulator: Any) -> None:
    connection = f"BaseURL={emulator.base_url};Workspace=acme;AuthScheme=APIToken;User=u@example.com;APIToken=t"
    code = f"from bitbucket_sql.cli.main import main; main(['query', '-c', {connection!r}, '-f', 'csv', 'SELECT 1 AS one'])"
    loaded, done = loaded_by(code)
    assert done.stdout.splitlines() == ["one", "1"]
    assert {"duckdb", "sqlglot"} <= loaded  # what the query needs
    assert not loaded & {"httpx", "httpcore", "pyarrow", "pandas", "rich"}


def test_a_query_that_needs_bitbucket_still_reaches_it(emulator: Any) -> None:
    """The client made on first use is the same client: a bad token is still refused."""
    connection = f"BaseURL={emulator.base_url};Workspace=acme;AuthScheme=APIToken;User=u@example.com;APIToken=wrong"
    code = (f"from bitbucket_sql.cli.main import main; "
            f"main(['query', '-c', {connection!r}, '-f', 'csv', 'SELECT slug FROM repositories'])")
    loaded, done = loaded_by(code)
    assert done.returncode == 1
    assert "bbsql: error:" in done.stderr and "Traceback" not in done.stderr
    assert "httpx" in loaded


def test_a_missing_credential_is_still_an_error_of_opening_the_connection() -> None:
    """The auth scheme is built when the engine is made (only the HTTP client waits)."""
    code = ("from bitbucket_sql.api.settings import parse_connection_string\n"
            "from bitbucket_sql.engine import Engine\n"
            "try:\n"
            "    Engine(parse_connection_string('Workspace=acme;AuthScheme=APIToken;User=u@example.com'))\n"
            "except Exception as error:\n"
            "    print('REFUSED', type(error).__name__)\n")
    loaded, done = loaded_by(code)
    assert "REFUSED" in done.stdout
    assert "httpx" not in loaded


def test_the_help_list_says_what_each_command_says_of_itself() -> None:
    """``bbsql --help`` lists the commands from SHORT_HELP without importing them: each entry must
    be what the command's own help would show, at any width."""
    import importlib

    import click

    from bitbucket_sql.cli.main import SHORT_HELP, SUBCOMMANDS

    for name, target in SUBCOMMANDS.items():
        module, attribute = target.split(":", 1)
        command = getattr(importlib.import_module(module), attribute)
        assert name in SHORT_HELP, f"add {name!r} to SHORT_HELP in cli/main.py"
        for limit in (30, 45, 70, 200):
            listed = click.Command(name, help=SHORT_HELP[name]).get_short_help_str(limit)
            assert listed == command.get_short_help_str(limit), name


def _cli_env(tmp_path: Any) -> dict[str, str]:
    import os

    env = {key: value for key, value in os.environ.items() if not key.startswith("BBSQL_")}
    env.update(HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"), BBSQL_CACHE_DIR=str(tmp_path / "cache"))
    return env


def _bbsql(code_args: list[str], env: dict[str, str]) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    code = f"from bitbucket_sql.cli.main import main; main({code_args!r})"
    done = subprocess.run([sys.executable, "-c", PROBE, code, json.dumps(HEAVY)], capture_output=True, text=True,
                          timeout=120, env=env)
    lines = [line for line in done.stderr.splitlines() if line.startswith("LOADED=")]
    assert lines, done.stderr
    return set(json.loads(lines[-1].removeprefix("LOADED="))), done


def test_a_repeat_in_a_new_process_is_answered_without_the_engine(emulator: Any, tmp_path: Any) -> None:
    from _helpers_connect import connection_string_for

    env = _cli_env(tmp_path)
    sql = "SELECT slug, name, created_on FROM repositories WHERE slug = 'api'"
    args = ["query", "-c", connection_string_for(emulator), "-f", "csv", sql]
    first_loaded, first = _bbsql(args, env)
    assert first.returncode == 0, first.stderr
    assert "duckdb" in first_loaded
    emulator.reset_stats()
    loaded, again = _bbsql(args, env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.stdout
    assert int(emulator.stats()["total"]) == 0
    assert not loaded & {"duckdb", "sqlglot", "pyarrow", "pandas", "httpx"}


def test_answers_that_change_by_themselves_are_not_kept(emulator: Any, tmp_path: Any) -> None:
    from _helpers_connect import connection_string_for

    env = _cli_env(tmp_path)
    args = ["query", "-c", connection_string_for(emulator), "-f", "csv",
            "SELECT slug, now() AS asked FROM repositories WHERE slug = 'api'"]
    _bbsql(args, env)
    loaded, again = _bbsql(args, env)
    assert again.returncode == 0, again.stderr
    assert "duckdb" in loaded  # computed again: now() is the time of each query


def test_a_write_forgets_the_kept_answers_and_other_connections_do_not_share_them(emulator: Any,
                                                                                  tmp_path: Any) -> None:
    from _helpers_connect import demo_settings
    from bitbucket_sql.engine import Engine
    from bitbucket_sql.engine.answers import lookup

    sql = "SELECT slug FROM repositories WHERE slug = 'api'"
    settings = demo_settings(emulator.base_url, CacheTTL=300, Cache="persistent", CacheLocation=str(tmp_path))
    with Engine(settings) as engine:
        assert engine.execute(sql).rows == [("api",)]
    kept = lookup(settings, sql)
    assert kept is not None and kept.rows == [("api",)] and kept.stats.cache_hits >= 1
    other = demo_settings(emulator.base_url, CacheTTL=300, Cache="persistent", CacheLocation=str(tmp_path),
                          Workspace="globex")
    assert lookup(other, sql) is None
    with Engine(settings) as engine:
        engine.result_cache.clear()  # what a write does (Engine.forget_cached)
    assert lookup(settings, sql) is None
    memory = demo_settings(emulator.base_url, CacheTTL=300, Cache="memory", CacheLocation=str(tmp_path))
    with Engine(memory) as engine:
        engine.execute(sql)
    assert lookup(memory, sql) is None
