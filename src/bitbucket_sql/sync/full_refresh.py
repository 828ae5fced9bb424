"""Full refresh with deletes detected: small tables (permissions, restrictions, webhooks,
branches, projects...) are listed whole on every sync, one listing per scope, and the keys kept
in the state from the last sync say which rows disappeared upstream."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bitbucket_sql.api.errors import BitbucketError, NotFoundError
from bitbucket_sql.catalog import templates
from bitbucket_sql.catalog.registry import require_table

from .batch import Batch, gone_keys, key_dicts, key_of, rows_of
from .run import SKIPPABLE, Run, list_params
from .tables import SyncTable

#: Scopes listed together (concurrently) before their batches are handed out.
SCOPES_PER_ROUND = 16

Scope = tuple[str, dict[str, Any], str]


def scopes_of(run: Run, table: SyncTable) -> tuple[list[Scope], set[str] | None]:
    """(scope id, scope column values, filled path) for every scope of ``table``, and the ids
    of every scope that exists (None when ``--repositories`` hides some: then no scope is
    declared gone unless its repository is)."""
    definition = table.definition
    workspace = run.workspace
    placeholders = {key.placeholder: key for key in definition.keys}
    if definition.scope == "global":
        return [("g:", {}, definition.path)], {"g:"}
    if set(placeholders) == {"workspace"}:
        scope_id = f"w:{workspace}"
        path = templates.fill(definition.path, {"workspace": workspace})
        return [(scope_id, {"workspace": workspace}, path)], {scope_id}
    if set(placeholders) == {"workspace", "repo_slug"}:
        scopes = []
        for slug in run.repositories():
            path = templates.fill(definition.path, {"workspace": workspace, "repo_slug": slug})
            scopes.append((f"r:{slug}", {"workspace": workspace, "repository": slug}, path))
        return scopes, {f"r:{slug}" for slug in run.all_repositories()}
    extra = [key for key in definition.keys if key.placeholder != "workspace"]
    if definition.scope == "workspace" and len(extra) == 1 and extra[0].source_table:
        key = extra[0]
        source = require_table(key.source_table)  # type: ignore[arg-type]
        items = run.listing(templates.fill(source.path, {"workspace": workspace}), list_params(source),
                            source.max_pagelen)
        source_column = source.column(key.source_column or "")
        values = [item.get(source_column.path) for item in items] if source_column and source_column.path else []
        scopes = []
        for value in values:
            if value is None:
                continue
            path = templates.fill(definition.path, {"workspace": workspace, key.placeholder: value})
            scopes.append((f"p:{value}", {"workspace": workspace, key.column: value}, path))
        return scopes, {scope_id for scope_id, _, _ in scopes}
    raise ValueError(f"table {definition.name!r} has no full-refresh scope rule")


def full_refresh(run: Run, table: SyncTable) -> Iterator[Batch]:
    definition = table.definition
    scopes, existing = scopes_of(run, table)
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
            rows = rows_of(table, found, scope)
            keys = [key_of(table, row) for row in rows]
            previous = state.get(scope_id, {}).get("keys", [])
            deletes = key_dicts(table, gone_keys(previous, keys))
            state[scope_id] = {"keys": keys}
            yield Batch(run.workspace, table.name, rows, deletes, run.snapshot())
    if existing is not None:
        yield from vanished_scopes(run, table, existing)


def vanished_scopes(run: Run, table: SyncTable, existing: set[str]) -> Iterator[Batch]:
    """Deletes for the tracked keys of scopes that no longer exist (a deleted repository or
    project), then their state is dropped. Children scopes (``r:api/12``) of a repository that
    still exists are left to the table's own strategy."""
    state = run.table_state(table.name)
    repositories = run.all_repositories() if any(s.startswith("r:") for s in state) else set()
    for scope_id in list(state):
        base = scope_id.split("/", 1)[0]
        if base.startswith("r:"):
            if base[2:] in repositories:
                continue
        elif scope_id in existing:
            continue
        gone = state.pop(scope_id).get("keys", [])
        yield Batch(run.workspace, table.name, [], key_dicts(table, gone), run.snapshot())


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
