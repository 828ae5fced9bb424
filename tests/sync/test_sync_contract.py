"""The sync core's contract as the Fivetran connector uses it: importable without DuckDB,
tables with keys and typed columns, batches whose state resumes."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys

import pytest

from _helpers_connect import demo_settings
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.catalog.registry import all_tables
from bitbucket_sql.sync.extract import Batch, UnknownSyncTableError, extract, sync_tables
from bitbucket_sql.sync.tables import ACTIVITY_KEY, OPT_IN


def test_the_core_imports_without_duckdb_or_pyarrow() -> None:
    code = (
        "import sys, bitbucket_sql.sync.extract, bitbucket_sql.api.client;"
        "bad = sorted(m for m in ('duckdb', 'pyarrow', 'dlt', 'bitbucket_sql.engine') if m in sys.modules);"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_default_tables_are_every_readable_table_but_the_opt_in_ones() -> None:
    names = {t.name for t in sync_tables()}
    readable = {t.name for t in all_tables() if t.removed is None}
    assert names <= readable and not names & OPT_IN
    assert {"repositories", "pull_requests", "pull_request_comments", "pipelines", "commits"} <= names
    # per-commit tables are opt-in whatever their name
    assert all(t.name in names or not t.default for t in sync_tables(sorted(readable)))
    chosen = sync_tables(["pull_requests", "repositories", "commit_statuses"])
    assert [t.name for t in chosen] == ["repositories", "commit_statuses", "pull_requests"]


def test_every_table_has_a_primary_key_and_typed_columns() -> None:
    for table in sync_tables(sorted(t.name for t in all_tables() if t.removed is None)):
        column_names = [name for name, _ in table.columns]
        assert table.primary_key and set(table.primary_key) <= set(column_names), table.name
        assert table.strategy
        live = [(c.name, c.type) for c in table.definition.columns]
        assert table.columns[: len(live)] == live
    activity = sync_tables(["pull_request_activity"])[0]
    assert activity.primary_key[-1] == ACTIVITY_KEY


@pytest.mark.parametrize("name", ["pull_request", "issues"])
def test_unknown_or_removed_tables_are_refused_by_name(name: str) -> None:
    with pytest.raises(UnknownSyncTableError, match=name):
        sync_tables([name])


def test_batches_carry_rows_keys_and_a_json_state(emulator) -> None:
    tables = sync_tables(["repositories", "pull_requests", "pull_request_comments"])
    with BitbucketClient(demo_settings(emulator.base_url), interactive=False) as client:
        batches = list(extract(client, ["acme"], tables, {}))
    assert all(isinstance(b, Batch) for b in batches)
    finished = [b.table for b in batches if b.finished]
    assert sorted(finished) == sorted(t.name for t in tables)
    for batch in batches:
        json.dumps(batch.state)  # persistable as it is
        table = next(t for t in tables if t.name == batch.table)
        for row in batch.upserts:
            assert set(row) == {name for name, _ in table.columns}
    pull_requests = [row for b in batches if b.table == "pull_requests" for row in b.upserts]
    assert pull_requests and all(isinstance(r["updated_on"], datetime.datetime) for r in pull_requests)
    assert all(r["updated_on"].tzinfo is not None for r in pull_requests)


def test_a_budget_stops_with_a_final_batch_and_resumes(emulator) -> None:
    tables = sync_tables(["repositories", "pull_requests", "pull_request_comments"])
    with BitbucketClient(demo_settings(emulator.base_url), interactive=False) as client:
        full = list(extract(client, ["acme"], tables, {}))
        first = list(extract(client, ["acme"], tables, {}, max_requests=5))
        assert first[-1].budget_exhausted and not first[-1].upserts
        rest = list(extract(client, ["acme"], tables, first[-1].state))
    assert not any(b.budget_exhausted for b in rest)

    def keys(batches: list[Batch]) -> set[tuple[str, tuple]]:
        out = set()
        for b in batches:
            table = next(t for t in tables if t.name == b.table)
            out |= {(b.table, tuple(r[k] for k in table.primary_key)) for r in b.upserts}
        return out

    assert keys(first) | keys(rest) == keys(full)


def test_a_batch_state_does_not_change_after_it_was_handed_out(emulator) -> None:
    tables = sync_tables(["repositories", "branches", "pull_requests", "pull_request_comments", "pipelines"])
    seen: list[tuple[Batch, str]] = []
    with BitbucketClient(demo_settings(emulator.base_url), interactive=False) as client:
        for batch in extract(client, ["acme"], tables, {}):
            seen.append((batch, json.dumps(batch.state, sort_keys=True)))
    assert len(seen) > 10
    for batch, text in seen:
        assert json.dumps(batch.state, sort_keys=True) == text, batch.table
