"""Full refresh with deletes detected: small tables (permissions, restrictions, webhooks,
branches, projects...) are listed whole on every sync, one listing per scope, and the keys kept
in the state from the last sync say which rows disappeared upstream."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from bitbucket_sql.api.errors import BitbucketError, NotFoundError
from bitbucket_sql.catalog import templates
from bitbucket_sql.catalog.registry import require_table

from .batch import Batch, diff_rows, kept_key_dicts, rows_of
from .policy import REFRESHED_AT, follows_policy, refresh_due
from .run import SKIPPABLE, Run, list_params
from .tables import SyncTable
from .values import row_dict

#: Scopes listed together (concurrently) before their batches are handed out.
SCOPES_PER_ROUND = 16

Scope = tuple[str, dict[str, Any], str]


def scopes_of(run: Run, table: SyncTable) -> tuple[list[Scope], bool]:
    """(scope id, scope column values, filled path) for every scope of ``table``, and whether
    the list is complete (False when a parent listing failed: then no scope is declared gone).

    The base scopes are the table's level (one global scope, the workspace, or each repository);
    every further path key multiplies them by its values: a closed ``values`` set, or the
    ``source_column`` of its ``source_table`` listed within the scope (``source_where`` keeps
    the matching parents only). Parent listings are shared within the run."""
    definition = table.definition
    workspace = run.workspace
    if definition.scope == "global":
        partial: list[tuple[str, dict[str, Any]]] = [("g:", {})]
    elif definition.scope == "workspace":
        partial = [(f"w:{workspace}", {"workspace": workspace})]
    else:
        partial = [(f"r:{slug}", {"workspace": workspace, "repository": slug}) for slug in run.repositories()]
    complete = True
    for key in definition.keys:
        if key.placeholder in ("workspace", "repo_slug"):
            continue
        expanded: list[tuple[str, dict[str, Any]]] = []
        for scope_id, scope in partial:
            values, ok = _key_values(run, key, scope)
            complete = complete and ok
            expanded += [(f"{scope_id}/{value}", {**scope, key.column: value}) for value in values]
        partial = expanded
    scopes = []
    for scope_id, scope in partial:
        fill = {"workspace": workspace, **{k.placeholder: scope.get(k.column) for k in definition.keys
                                           if k.placeholder != "workspace"}}
        try:
            scopes.append((scope_id, scope, templates.fill(definition.path, fill)))
        except ValueError:
            continue  # a value no URL can address (an empty name): no rows, as in the live engine
    return scopes, complete


def _key_values(run: Run, key: Any, scope: dict[str, Any]) -> tuple[list[Any], bool]:
    if key.values:
        return list(key.values), True
    if not key.source_table or not key.source_column:
        raise ValueError(f"path key {key.placeholder!r} has no source to enumerate")
    source = require_table(key.source_table)
    fill = {"workspace": run.workspace, **{k.placeholder: scope.get(k.column) for k in source.keys
                                           if k.placeholder != "workspace"}}
    path = templates.fill(source.path, fill)
    try:
        if source.paging == "single":
            items = [run.client.get(path)]
        else:
            items = run.listing(path, list_params(source), source.max_pagelen)
    except SKIPPABLE as error:
        run.warn(source.name, str(scope), error)
        return [], False
    rows = [row_dict(item, source.columns, scope) for item in items]
    if key.source_where:
        column, wanted = key.source_where
        rows = [row for row in rows if row.get(column) == wanted]
    return [row[key.source_column] for row in rows if row.get(key.source_column) is not None], True


def full_refresh(run: Run, table: SyncTable) -> Iterator[Batch]:
    """Every scope listed again, changed rows upserted, vanished keys deleted; with the refresh
    policy (:mod:`.policy`), only when the table is due. The start of a complete refresh (every
    repository, no ``--repositories``) is kept as the table's ``refreshed_at``."""
    definition = table.definition
    started = datetime.datetime.now(datetime.UTC)
    entry = run.table_entry(table.name)
    if follows_policy(definition) and not refresh_due(entry, run.full_refresh_every, started):
        run.not_due.add(table.name)
        return
    scopes, complete = scopes_of(run, table)
    existing = {scope_id for scope_id, _, _ in scopes} if complete else None
    state = run.table_state(table.name)
    params = list_params(definition)
    for start in range(0, len(scopes), SCOPES_PER_ROUND):
        chunk = scopes[start:start + SCOPES_PER_ROUND]
        results = _read(run, table, chunk, params)
        for scope_id, scope, _ in chunk:
            found = results[scope_id]
            if isinstance(found, BitbucketError):
                if isinstance(found, SKIPPABLE):
                    yield _warning(run, table, run.warn(table.name, scope_id, found))
                    continue
                raise found
            rows, deletes, kept = diff_rows(table, rows_of(table, found, scope), state.get(scope_id, {}).get("rows"))
            state[scope_id] = {"rows": kept}
            yield Batch(run.workspace, table.name, rows, deletes, run.snapshot())
    if existing is not None:
        yield from vanished_scopes(run, table, existing)
    if complete and (run.repository_filter is None or definition.scope != "repository"):
        run.table_entry(table.name)[REFRESHED_AT] = started.isoformat()


def vanished_scopes(run: Run, table: SyncTable, existing: set[str]) -> Iterator[Batch]:
    """Deletes for the tracked keys of scopes that no longer exist (a deleted repository,
    project or environment), then their state is dropped. Scopes of repositories left out by
    ``--repositories`` are kept."""
    state = run.table_state(table.name)
    repositories = run.all_repositories() if any(s.startswith("r:") for s in state) else set()
    for scope_id in list(state):
        if scope_id in existing:
            continue
        base = scope_id.split("/", 1)[0]
        if base.startswith("r:") and base[2:] in repositories and not run.covers_repository(base[2:]):
            continue
        gone = kept_key_dicts(table, state.pop(scope_id).get("rows"))
        yield Batch(run.workspace, table.name, [], gone, run.snapshot())


def _read(run: Run, table: SyncTable, chunk: list[Scope], params: dict[str, Any]) -> dict[str, Any]:
    definition = table.definition
    if definition.paging == "single":
        found: dict[str, Any] = {}
        requests = [(scope_id, path, None) for scope_id, _, path in chunk]
        for scope_id, item in run.client.get_many(requests, return_errors=True):
            if isinstance(item, BitbucketError):
                found[scope_id] = [] if isinstance(item, NotFoundError) else item
            else:
                found[scope_id] = [item]
        return found
    return run.listings([(scope_id, path, params) for scope_id, _, path in chunk], definition.max_pagelen)


def _warning(run: Run, table: SyncTable, message: str) -> Batch:
    return Batch(run.workspace, table.name, [], [], run.snapshot(), warnings=[message])


def purge_deleted_repositories(run: Run, table: SyncTable) -> Iterator[Batch]:
    """Deletes for the tracked keys (pull request children, branch commits) of repositories
    that no longer exist."""
    state = run.table_state(table.name)
    if not any(s.startswith("r:") for s in state):
        return
    repositories = run.all_repositories()
    for scope_id in list(state):
        base = scope_id.split("/", 1)[0]
        if base.startswith("r:") and base[2:] not in repositories:
            gone = kept_key_dicts(table, state.pop(scope_id).get("rows"))
            if gone:
                yield Batch(run.workspace, table.name, [], gone, run.snapshot())
