"""``--full-refresh-every``: the per-repository settings tables are listed again only when due.

A no-change sync of the default set spends most of its requests listing each repository's
settings, permissions and webhooks (Bitbucket has no change feed for them). With the policy, a
sync before the tables are due makes only the change feeds' requests; a change to a webhook is
then not seen until the table is due, and is seen (with deletes) once it is.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sync_helpers import copy_rows, live_rows, settings_for, sync_into

from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.engine import Engine
from bitbucket_sql.sync.policy import follows_policy, parse_duration
from bitbucket_sql.sync.tables import sync_tables

HOOKS = "GET /2.0/repositories/{workspace}/{repo_slug}/hooks"
PULL_REQUESTS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(scope="module")
def writable_emulator() -> Any:
    with run_emulator(scale="tiny", seed=5) as emulator:
        yield emulator


def _state(path: Path) -> dict[str, Any]:
    with duckdb.connect(str(path), read_only=True) as connection:
        row = connection.execute("SELECT state FROM acme._bbsql_sync_state").fetchone()
    assert row is not None
    state: dict[str, Any] = json.loads(row[0])
    return state


def test_settings_tables_are_listed_again_only_when_due(writable_emulator, tmp_path: Path) -> None:
    emulator = writable_emulator
    path = tmp_path / "copy.duckdb"
    tables = sync_tables()
    by_name = {t.name: t for t in tables}
    with emulator.store.lock:
        repositories = sorted(emulator.store.workspace("acme").repositories)

    first = sync_into(emulator, path, tables, full_refresh_every=HOUR)
    assert first.status == "done", first.message
    refreshed_at = _state(path)["workspaces"]["acme"]["tables"]["repository_webhooks"]["refreshed_at"]
    assert datetime.datetime.fromisoformat(refreshed_at) <= datetime.datetime.now(datetime.UTC)

    # not due: no request for the settings tables, the change feeds as always
    emulator.reset_stats()
    second = sync_into(emulator, path, tables, full_refresh_every=HOUR)
    routes = Counter(emulator.stats()["routes"])
    assert second.status == "done", second.message
    assert routes[HOOKS] == 0
    assert routes[PULL_REQUESTS] == len(repositories)
    assert not second.tables[("acme", "repository_webhooks")].refreshed
    assert second.tables[("acme", "branches")].refreshed
    policy_tables = [t.name for t in tables if t.kind == "full_refresh" and follows_policy(t.definition)]
    assert policy_tables and all(second.tables[("acme", name)].requests == 0 for name in policy_tables)

    # a webhook added and one removed upstream stay unseen until the table is due...
    with BitbucketClient(settings_for(emulator), interactive=False) as client:
        added = client.post(f"/repositories/acme/{repositories[0]}/hooks",
                            json={"url": "https://example.com/policy", "description": "policy test",
                                  "events": ["repo:push"], "active": True})
        existing = client.get(f"/repositories/acme/{repositories[-1]}/hooks")["values"]
        removed = next(h for h in existing if h["uuid"] != added["uuid"])
        client.delete(f"/repositories/acme/{repositories[-1]}/hooks/{removed['uuid']}")
    third = sync_into(emulator, path, tables, full_refresh_every=HOUR)
    assert third.tables[("acme", "repository_webhooks")].upserts == 0
    assert third.tables[("acme", "repository_webhooks")].deletes == 0

    # ...and appear once it is (a zero interval makes every table due)
    emulator.reset_stats()
    fourth = sync_into(emulator, path, tables, full_refresh_every=datetime.timedelta(0))
    assert Counter(emulator.stats()["routes"])[HOOKS] == len(repositories)
    assert fourth.tables[("acme", "repository_webhooks")].upserts >= 1
    assert fourth.tables[("acme", "repository_webhooks")].deletes >= 1
    with Engine(settings_for(emulator, CacheTTL=0)) as live:
        assert copy_rows(path, by_name["repository_webhooks"]) == live_rows(live, by_name["repository_webhooks"])


def test_a_sync_of_some_repositories_does_not_count_as_a_refresh(emulator, tmp_path: Path) -> None:
    path = tmp_path / "copy.duckdb"
    tables = sync_tables(["repositories", "repository_webhooks"])
    slug = sorted(emulator.store.workspace("acme").repositories)[0]
    assert sync_into(emulator, path, tables, repositories=[slug], full_refresh_every=HOUR).status == "done"
    assert "refreshed_at" not in _state(path)["workspaces"]["acme"]["tables"]["repository_webhooks"]
    emulator.reset_stats()
    sync_into(emulator, path, tables, full_refresh_every=HOUR)
    assert Counter(emulator.stats()["routes"])[HOOKS] == len(emulator.store.workspace("acme").repositories)


def test_which_tables_follow_the_policy() -> None:
    tables = {t.name: t for t in sync_tables()}
    for name in ("repository_webhooks", "branch_restrictions", "repository_user_permissions", "deployment_variables",
                 "pipeline_variables", "tags"):
        assert follows_policy(tables[name].definition), name
    for name in ("branches", "deployments", "repositories", "workspace_members", "workspace_permissions", "projects"):
        assert not follows_policy(tables[name].definition), name


@pytest.mark.parametrize(("text", "seconds"), [("6h", 21600), ("1d", 86400), ("1h30m", 5400), ("90s", 90)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "6 hours", "0s", "h"])
def test_bad_durations_name_the_value(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
