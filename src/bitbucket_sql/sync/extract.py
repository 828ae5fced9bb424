"""The sync core: read Bitbucket tables incrementally as batches of upserts, deletes and state.

This module is the contract between the extraction (ours: catalog, client, change feeds) and
any loader: ``bbsql sync`` loads batches with dlt (:mod:`bitbucket_sql.sync.load`), the
Fivetran connector (integrations/fivetran/) turns them into the SDK's upsert, delete and
checkpoint operations. It imports only :mod:`bitbucket_sql.api`, :mod:`bitbucket_sql.catalog`
and the standard library: never DuckDB (the Fivetran SDK pins another DuckDB than this project).

Interface
---------

``sync_tables(catalog_names=None) -> list[SyncTable]``
    The tables to sync (default: every readable table except the opt-in per-commit ones, see
    :data:`bitbucket_sql.sync.tables.OPT_IN`), parents first. A :class:`SyncTable` has ``name``
    (the catalog name), ``primary_key`` (tuple of column names), ``columns`` (list of
    ``(name, sql_type)`` as the live table has them: VARCHAR, BIGINT, DOUBLE, BOOLEAN,
    TIMESTAMPTZ, DATE, JSON) and ``strategy`` (how it stays current, in words).
    Raises :class:`UnknownSyncTableError` (a ValueError) naming an unknown or removed table.

``extract(client, workspaces, tables, state, *, since=None, repositories=None, max_requests=None)``
    Yields :class:`Batch` objects for each workspace and table in turn. ``client`` is a
    :class:`bitbucket_sql.api.client.BitbucketClient`; ``workspaces`` workspace slugs;
    ``tables`` from ``sync_tables``; ``state`` the dict of the last batch persisted by a previous
    run (``{}`` for a first sync; it is not modified). ``since`` (an aware datetime) bounds
    the first sync of incremental tables (pull requests updated, pipelines created, commits
    dated since then); ``repositories`` restricts repository-scoped tables to those slugs;
    ``max_requests`` stops the run once that many requests were made (checked between batches, so
    a run may overshoot by the requests of one batch: a page of a listing and its children).
    ``full_refresh_every`` (a timedelta) lists the per-repository full-refresh tables (settings,
    permissions, webhooks...) again only when their last complete refresh is that old (see
    :mod:`bitbucket_sql.sync.policy`); a table left as it is gets one finished batch with
    ``refreshed=False`` and costs no request.

    A ``Batch`` has ``workspace``, ``table``, ``upserts`` (row dicts: the live table's columns
    with Python values, JSON columns as JSON text), ``deletes`` (primary-key dicts of rows gone
    upstream), ``state`` (the whole state after this batch, JSON-serialisable; read-only: it
    shares unchanged parts with the states of other batches), ``finished``
    (the table is done for this workspace), ``requests`` (made so far) and ``warnings`` (scopes
    skipped for lack of access). Commit a batch's upserts (merge on the primary key) and deletes,
    then persist its ``state``: a run stopped at any point and resumed from the last persisted
    state loses no row and duplicates none (rows after that state are read again and merged).

    When ``max_requests`` runs out (or, with ``stop_near_limit=True``, when Bitbucket answers
    ``X-RateLimit-NearLimit: true``), the last batch has ``budget_exhausted=True``, its
    ``stop_reason`` (``max_requests`` or ``rate_limit``), no rows, and the state to persist;
    resume later with it. API errors other than "no access"/"not found" on a
    scope propagate as :class:`bitbucket_sql.api.errors.BitbucketError` (the state of the last
    batch is the one to keep).

Deletes policy: rows that disappear upstream are removed from the copy where the API lets a
sync see it at the price of its own listing (full-refresh tables, and children re-read for a
changed parent: comments, tasks, activity of a pull request; branches, permissions, webhooks;
everything of a deleted repository in those tables). Pull requests, pipelines, commits and
deployments are history: Bitbucket cannot delete a pull request or a pipeline except with its
repository, and the copy keeps them (their repository's row is removed from ``repositories``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .batch import Batch
from .commits import branch_commits, commit_family
from .full_refresh import full_refresh, purge_deleted_repositories
from .pipelines import pipeline_family
from .pull_requests import pull_request_family
from .run import Budget, Run, empty_state
from .tables import PR_CHILDREN, SyncTable, UnknownSyncTableError, sync_tables

__all__ = ["Batch", "SyncTable", "UnknownSyncTableError", "extract", "sync_tables"]


def extract(
    client: Any,
    workspaces: Iterable[str],
    tables: Sequence[SyncTable],
    state: dict[str, Any] | None,
    *,
    since: datetime.datetime | None = None,
    repositories: Iterable[str] | None = None,
    max_requests: int | None = None,
    stop_near_limit: bool = False,
    full_refresh_every: datetime.timedelta | None = None,
) -> Iterator[Batch]:
    """Batches of every table in ``tables`` for every workspace (see the module docstring)."""
    import copy

    working = copy.deepcopy(state) if state else empty_state()
    working.setdefault("version", 1)
    working.setdefault("workspaces", {})
    budget = Budget(client, max_requests, stop_near_limit)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=datetime.UTC)
    chosen = frozenset(repositories) if repositories is not None else None
    for workspace in workspaces:
        run = Run(client, workspace, working, budget, since=since, repository_filter=chosen,
                  full_refresh_every=full_refresh_every)
        for name, batches in _plan(run, list(tables)):
            if budget.exhausted:
                yield _exhausted(run, name)
                return
            for batch in batches:
                batch.requests = budget.used
                yield batch
                if budget.exhausted:
                    yield _exhausted(run, batch.table)
                    return
            for table in name:
                yield Batch(workspace, table, [], [], run.snapshot(), finished=True, requests=budget.used,
                            refreshed=table not in run.not_due)


def _exhausted(run: Run, table: Any) -> Batch:
    name = table if isinstance(table, str) else (table[0] if table else "")
    return Batch(run.workspace, name, [], [], run.snapshot(), budget_exhausted=True,
                 stop_reason=run.budget.stop_reason, requests=run.budget.used)


def _plan(run: Run, tables: list[SyncTable]) -> Iterator[tuple[list[str], Iterator[Batch]]]:
    """(names of the tables a step finishes, its batches), in order; families share listings."""
    by_name = {t.name: t for t in tables}
    done: set[str] = set()
    for table in tables:
        if table.name in done:
            continue
        if table.kind == "pull_requests" or table.kind == "pull_request_children":
            parent = by_name.get("pull_requests")
            children = [t for t in tables if t.name in PR_CHILDREN]
            members = ([parent] if parent else []) + children
            done |= {t.name for t in members}
            yield [t.name for t in members], _chain(pull_request_family(run, parent, children),
                                                    *(purge_deleted_repositories(run, c) for c in children))
        elif table.kind == "pipelines":
            members = [t for t in (by_name.get("pipelines"), by_name.get("pipeline_steps")) if t is not None]
            done |= {t.name for t in members}
            yield [t.name for t in members], pipeline_family(run, by_name.get("pipelines"), by_name.get("pipeline_steps"))
        elif table.kind == "commits":
            members = [t for t in tables if t.kind == "commits"]
            done |= {t.name for t in members}
            yield [t.name for t in members], commit_family(run, members)
        elif table.kind == "branch_commits":
            done.add(table.name)
            yield [table.name], _chain(branch_commits(run, table), purge_deleted_repositories(run, table))
        else:
            done.add(table.name)
            yield [table.name], full_refresh(run, table)


def _chain(*parts: Iterator[Batch]) -> Iterator[Batch]:
    for part in parts:
        yield from part
