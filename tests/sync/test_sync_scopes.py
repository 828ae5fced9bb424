"""--since, --repositories and the deletes policy for a deleted repository."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from sync_helpers import copy_rows, settings_for, sync_into

from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.sync.extract import extract, sync_tables


def _rows(emulator, tables, **options):
    with BitbucketClient(settings_for(emulator), interactive=False) as client:
        return [(b.table, row) for b in extract(client, ["acme"], tables, {}, **options) for row in b.upserts]


def test_since_bounds_the_first_sync_of_incremental_tables(emulator) -> None:
    tables = sync_tables(["pull_requests", "pipelines"])
    everything = _rows(emulator, tables)
    stamps = sorted(row["updated_on"] for table, row in everything if table == "pull_requests")
    since = stamps[len(stamps) // 2]
    bounded = _rows(emulator, tables, since=since)
    prs = [row for table, row in bounded if table == "pull_requests"]
    assert prs and all(row["updated_on"] >= since for row in prs)
    assert len(prs) == sum(1 for stamp in stamps if stamp >= since)
    pipelines = [row for table, row in bounded if table == "pipelines"]
    assert all(row["created_on"] >= since for row in pipelines)
    assert since.tzinfo is not None and since <= datetime.datetime.now(datetime.UTC)


def test_repositories_restrict_repository_tables(emulator) -> None:
    tables = sync_tables(["repositories", "branches", "pull_requests"])
    everything = _rows(emulator, tables)
    one = sorted({row["repository"] for table, row in everything if table == "pull_requests"})[0]
    chosen = _rows(emulator, tables, repositories=[one])
    assert {row["repository"] for table, row in chosen if table in ("branches", "pull_requests")} == {one}
    # the workspace's own listing is not restricted: repositories is one scope, the workspace
    assert len([1 for table, _ in chosen if table == "repositories"]) == len(
        [1 for table, _ in everything if table == "repositories"])


def test_a_deleted_repository_leaves_its_history_and_takes_its_settings(tmp_path: Path) -> None:
    tables = sync_tables(["repositories", "branches", "repository_webhooks", "pull_requests",
                          "pull_request_comments"])
    by_name = {t.name: t for t in tables}
    path = tmp_path / "copy.duckdb"
    with run_emulator(scale="tiny", seed=5) as emulator:
        assert sync_into(emulator, path, tables).status == "done"
        pull_requests = copy_rows(path, by_name["pull_requests"])
        at = [c.name for c in by_name["pull_requests"].definition.columns].index("repository")
        assert at == 1
        slug = next(row[at] for row in pull_requests)  # a repository with pull requests
        with BitbucketClient(settings_for(emulator), interactive=False) as client:
            client.delete(f"/repositories/acme/{slug}")
        result = sync_into(emulator, path, tables)
    assert result.status == "done"

    def repositories_in(name: str, column: str) -> set[str]:
        at = [c.name for c in by_name[name].definition.columns].index(column)
        return {row[at] for row in copy_rows(path, by_name[name])}

    assert slug in {row[1] for row in pull_requests} and len(repositories_in("repositories", "slug")) > 1
    assert slug not in repositories_in("repositories", "slug")
    assert slug not in repositories_in("branches", "repository")
    assert slug not in repositories_in("repository_webhooks", "repository")
    assert result.tables[("acme", "branches")].deletes > 0
    # history stays: pull requests (and their comments) of the deleted repository are kept
    assert [row for row in copy_rows(path, by_name["pull_requests"]) if row[1] == slug] == [
        row for row in pull_requests if row[1] == slug]


def test_a_pull_request_updated_during_the_walk_skips_no_other(monkeypatch) -> None:
    """Keyset paging: the update moves a row to the end; the row behind it is still read."""
    from bitbucket_sql.sync import pull_requests as module

    monkeypatch.setattr(module, "PAGELEN", 2)
    tables = sync_tables(["pull_requests"])
    with run_emulator(scale="tiny", seed=7) as emulator, \
            BitbucketClient(settings_for(emulator), interactive=False) as client:
        seen: dict[tuple[str, int], Any] = {}
        counts: dict[tuple[str, int], int] = {}
        updated = False
        for batch in extract(client, ["acme"], tables, {}):
            for row in batch.upserts:
                seen[(row["repository"], row["id"])] = row["updated_on"]
                counts[(row["repository"], row["id"])] = counts.get((row["repository"], row["id"]), 0) + 1
            if len(batch.upserts) == module.PAGELEN and not updated:
                first = batch.upserts[0]  # a full page: more pages follow in its repository
                # a comment moves the pull request's updated_on to now, the end of the walk
                client.post(f"/repositories/acme/{first['repository']}/pullrequests/{first['id']}/comments",
                            json={"content": {"raw": "written while the sync walks"}})
                updated = True
                moved = (first["repository"], first["id"])
        with emulator.store.lock:
            expected = {(slug, pr_id) for slug in emulator.store.workspace("acme").repositories
                        for pr_id in emulator.store.repo_data("acme", slug).pullrequests}
    assert updated
    assert set(seen) == expected
    assert counts[moved] == 2  # read before and after its move: its last row is the new one
