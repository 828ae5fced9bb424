"""``bbsql sync`` as a user runs it: the demo without flags, exit codes, the run log, resume,
and ``bbsql query --from`` on the copy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from _helpers_connect import connection_string_for
from bitbucket_sql.cli.main import cli
from bitbucket_sql.cli.sync_cmd import parse_interval


def invoke(*args: str, cwd: Path | None = None) -> Result:
    runner = CliRunner()
    env = {"BBSQL_CONNECTION": "", "BBSQL_PROFILE": ""}
    if cwd is None:
        return runner.invoke(cli, list(args), env=env)
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, list(args), env=env)
    finally:
        os.chdir(previous)


def _events(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_sync_without_a_connection_copies_the_demo_into_bitbucket_duckdb(tmp_path: Path) -> None:
    result = invoke("sync", "--scale", "tiny", cwd=tmp_path)  # every default, on the smallest demo data
    assert result.exit_code == 0, result.output
    assert "syncing the demo data" in result.stderr
    assert (tmp_path / "bitbucket.duckdb").is_file()
    out = tmp_path / "answer.json"
    answer = invoke("query", "--from", str(tmp_path / "bitbucket.duckdb"), "-f", "json", "-o", str(out),
                    "SELECT count(*) AS n FROM pull_requests")
    assert answer.exit_code == 0, answer.output
    assert json.loads(out.read_text())[0]["n"] > 0
    assert "0 requests" in answer.stderr


def test_a_spent_budget_exits_3_and_the_same_command_resumes(emulator, tmp_path: Path) -> None:
    connection = connection_string_for(emulator)
    target, log = tmp_path / "copy.duckdb", tmp_path / "sync.jsonl"
    args = ("sync", "-c", connection, "--to", str(target), "--log", str(log),
            "--tables", "repositories,pull_requests,pull_request_comments")
    partial = invoke(*args, "--max-requests", "3")
    assert partial.exit_code == 3, partial.output
    assert "run the same command again to resume" in partial.stderr
    assert _events(log)[-1]["status"] == "partial"
    done = invoke(*args)
    assert done.exit_code == 0, done.output
    events = _events(log)
    starts = [e for e in events if e["event"] == "start"]
    assert starts[-1]["resumed"] is True
    assert events[-1]["event"] == "end" and events[-1]["status"] == "done"
    assert {e["table"] for e in events if e["event"] == "table_done"} >= {"repositories", "pull_requests"}


def test_a_failed_sync_exits_1_with_one_line(emulator, tmp_path: Path) -> None:
    bad = connection_string_for(emulator).replace("demo-api-token", "wrong-token")
    result = invoke("sync", "-c", bad, "--to", str(tmp_path / "x.duckdb"), "--tables", "repositories")
    assert result.exit_code == 1
    assert "wrong-token" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tables", "pull_request"), "pull_requests"),
        (("--tables", "issues"), "cannot be synced"),
        (("--to", "mysql://me@db/x"), "postgresql://"),
        (("--schedule", "soon"), "15m"),
        (("--since", "yesterday"), "2026-01-01"),
        (("--full-refresh-every", "daily"), "6h"),
        (("--to", "/nonexistent-dir/copy.duckdb"), "does not exist"),
    ],
)
def test_bad_options_name_the_value_and_what_to_do(emulator, tmp_path: Path, args: tuple[str, ...],
                                                   message: str) -> None:
    result = invoke("sync", "-c", connection_string_for(emulator), "--to", str(tmp_path / "x.duckdb"), *args)
    assert result.exit_code != 0
    assert message in result.output


def test_intervals() -> None:
    assert parse_interval("15m") == 900
    assert parse_interval("1h30m") == 5400
    assert parse_interval("90s") == 90
    with pytest.raises(click.BadParameter):
        parse_interval("15 minutes")


def test_any_dlt_destination_by_name_configured_as_dlt_documents(emulator, tmp_path: Path, monkeypatch) -> None:
    import duckdb

    target = tmp_path / "by-name.duckdb"
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(target))
    args = ("sync", "-c", connection_string_for(emulator), "--destination", "duckdb", "--tables", "repositories")
    assert invoke(*args, cwd=tmp_path).exit_code == 0
    with duckdb.connect(str(target), read_only=True) as connection:
        assert connection.execute("SELECT count(*) FROM acme.repositories").fetchone()[0] > 0
        assert connection.execute("SELECT count(*) FROM acme._bbsql_sync_state").fetchone()[0] == 1
    assert not list(tmp_path.glob("*.state.json"))  # a SQL destination keeps its own state


def test_near_the_rate_limit_the_sync_checkpoints_and_exits_3(tmp_path: Path) -> None:
    from bitbucket_sql.emulator import run_emulator

    with run_emulator(scale="tiny", seed=1) as emulator:
        emulator.set_rate_limit(100)  # Bitbucket says "near" once under a fifth is left
        connection = (f"BaseURL={emulator.base_url};Workspace=acme;AuthScheme=AccessToken;"
                      "AccessToken=demo-access-token;RetryBaseDelay=0.01")
        target, log = tmp_path / "copy.duckdb", tmp_path / "sync.jsonl"
        args = ("sync", "-c", connection, "--to", str(target), "--log", str(log), "--tables",
                "repositories,pull_requests,pull_request_comments,pull_request_activity,pull_request_commits,"
                "pipelines,pipeline_steps")
        stopped = invoke(*args)
        assert stopped.exit_code == 3, stopped.output
        assert "rate limit is near" in stopped.stderr
        used = _events(log)[-1]["requests"]
        assert 80 <= used < 100  # once Bitbucket said "near", before it refused anything
        emulator.set_rate_limit(None)
        assert invoke(*args, "--spend-rate-limit").exit_code == 0
        assert [e["resumed"] for e in _events(log) if e["event"] == "start"] == [False, True]


def test_full_refresh_every_leaves_settings_tables_until_due(emulator, tmp_path: Path) -> None:
    connection = connection_string_for(emulator)
    target, log = tmp_path / "copy.duckdb", tmp_path / "sync.jsonl"
    args = ("sync", "-c", connection, "--to", str(target), "--log", str(log),
            "--tables", "repositories,repository_webhooks", "--full-refresh-every", "6h")
    assert invoke(*args).exit_code == 0
    again = invoke(*args)
    assert again.exit_code == 0, again.output
    assert "not due" in again.stderr  # the summary's done column
    last_run = _events(log)[[e["event"] for e in _events(log)].index("end") + 1:]
    done = {e["table"]: e for e in last_run if e["event"] == "table_done"}
    assert done["repository_webhooks"]["refreshed"] is False and done["repositories"]["refreshed"] is True
    assert last_run[-1]["requests"] == 1  # the repositories listing only


def test_an_unconfigured_dlt_destination_fails_at_once_in_one_line(emulator, tmp_path: Path, monkeypatch) -> None:
    for name in [key for key in os.environ if key.startswith("DESTINATION__")]:
        monkeypatch.delenv(name)
    log = tmp_path / "sync.jsonl"
    result = invoke("sync", "-c", connection_string_for(emulator), "--destination", "postgres", "--log", str(log),
                    "--tables", "repositories", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert "destination 'postgres' is not configured" in result.stderr
    assert "DESTINATION__POSTGRES__CREDENTIALS__" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # not dlt's page of lookup traces
    assert not log.exists() or all(e["event"] != "batch" for e in _events(log))  # before any extraction
