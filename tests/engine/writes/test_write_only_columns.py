"""Write-only columns (a webhook's secret, a pipeline run's variables): listed by sys_tablecolumns
and `bbsql describe`, flagged as write-only, and never columns of the rows a SELECT reads."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from bitbucket_sql.cli.main import cli
from bitbucket_sql.engine import Engine


def test_sys_tablecolumns_lists_write_only_columns_last(engine: Engine) -> None:
    rows = engine.execute(
        "SELECT TableName, ColumnName, DataTypeName, IsReadOnly, IsWriteOnly, WriteOperations, Ordinal "
        "FROM sys_tablecolumns WHERE IsWriteOnly ORDER BY TableName, ColumnName").rows
    found = {(row[0], row[1]): row for row in rows}
    assert set(found) == {("pipelines", "variables"), ("repository_webhooks", "secret"),
                          ("workspace_webhooks", "secret")}
    assert found[("repository_webhooks", "secret")][2:6] == ("VARCHAR", False, True, "insert,update")
    assert found[("pipelines", "variables")][2:6] == ("JSON", False, True, "insert")
    readable = engine.execute("SELECT count(*) FROM sys_tablecolumns WHERE TableName = 'repository_webhooks' "
                              "AND NOT IsWriteOnly").rows[0][0]
    assert found[("repository_webhooks", "secret")][6] == readable + 1  # after every readable column
    assert engine.execute("SELECT count(*) FROM sys_tablecolumns WHERE IsWriteOnly IS NULL").rows == [(0,)]


def test_select_star_never_has_a_write_only_column(engine: Engine, api: httpx.Client) -> None:
    engine.execute("INSERT INTO repository_webhooks (repository, url, events, secret) VALUES "
                   "('api', 'https://hooks.example.com/x', '[\"repo:push\"]', 's3cr3t-value')")
    result = engine.execute("SELECT * FROM repository_webhooks WHERE repository = 'api'")
    names = [column.name for column in result.columns]
    assert "secret" not in names and "secret_set" in names
    assert "s3cr3t-value" not in json.dumps([list(map(str, row)) for row in result.rows])
    columns = engine.execute("SELECT column_name FROM information_schema.columns "
                             "WHERE table_name = 'repository_webhooks'").rows
    assert ("secret",) not in columns
    hooks = api.get("/repositories/acme/api/hooks").json()["values"]
    assert any(hook["url"] == "https://hooks.example.com/x" and hook.get("secret_set") for hook in hooks)


def test_describe_shows_write_only_columns() -> None:
    result = CliRunner().invoke(cli, ["describe", "repository_webhooks", "-f", "csv"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("secret,VARCHAR,") and last.endswith(',not readable (write-only),"insert, update (write-only)"')


def test_reading_a_write_only_column_says_why_and_returning_it_sends_nothing(
    engine: Engine, api: httpx.Client, writable_emulator: Any
) -> None:
    from bitbucket_sql.engine.errors import UnknownColumnError

    with pytest.raises(UnknownColumnError, match="'secret' of 'repository_webhooks' or 'workspace_webhooks' is write-only"):
        engine.execute("SELECT secret FROM repository_webhooks WHERE repository = 'api'")
    writable_emulator.reset_stats()
    with pytest.raises(UnknownColumnError, match="write-only"):
        engine.execute("INSERT INTO repository_webhooks (repository, url, events, secret) VALUES "
                       "('api', 'https://hooks.example.com/never', '[\"repo:push\"]', 'sssh-1234') RETURNING uuid, secret")
    assert writable_emulator.write_requests() == {}  # refused before the POST: nothing half-reported
    hooks = api.get("/repositories/acme/api/hooks").json()["values"]
    assert not any(hook["url"] == "https://hooks.example.com/never" for hook in hooks)
