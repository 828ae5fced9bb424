"""Commits by new hashes: ``/commits?include=<new heads>&exclude=<heads of the last sync>``.

The branches of a repository (one listing, shared with the ``branches`` table) say where every
branch points. When no head moved, commits cost no request at all; when some did, one walk lists
exactly the commits reachable from the new heads and not from the old ones (git's own
``new ^old`` range, so a merge of an old branch brings no re-read of history). Statuses and
diffstats (opt-in tables) are read for those new commits. ``branch_commits`` (opt-in) re-reads
the branches whose head moved, since every position on such a branch shifts.

Commits are history: a commit that is no longer reachable (a force-push, a deleted branch)
stays in the copy. The heads advance once the walk of a repository is done; a sync stopped in
the middle walks it again (merged on the primary key).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bitbucket_sql.api.errors import BitbucketError, NotFoundError
from bitbucket_sql.catalog import templates
from bitbucket_sql.catalog.registry import require_table

from .batch import Batch, diff_rows, kept_key_dicts, rows_of
from .run import SKIPPABLE, Run, list_params
from .tables import SyncTable
from .values import parse_timestamp

PAGELEN = 100


def heads(run: Run, slug: str) -> dict[str, str]:
    """branch name -> head commit hash, from the branches listing shared within the run."""
    branches = require_table("branches")
    path = templates.fill(branches.path, {"workspace": run.workspace, "repo_slug": slug})
    items = run.listing(path, list_params(branches), branches.max_pagelen)
    return {str(i["name"]): str((i.get("target") or {}).get("hash")) for i in items if i.get("name")}


def new_commits(run: Run, slug: str, old: dict[str, str] | None, now: dict[str, str]) -> list[Any]:
    """Commits reachable from ``now``'s heads and not from ``old``'s (all when ``old`` is None),
    read once per run for the same pair of head sets."""
    path = templates.fill(require_table("commits").path, {"workspace": run.workspace, "repo_slug": slug})
    include = sorted(set(now.values()) - set((old or {}).values()))
    exclude = sorted(set((old or {}).values()))
    if old is not None and not include:
        return []
    key = ("walk", path, tuple(include), tuple(exclude))
    if key in run._memo:
        cached: list[Any] = run._memo[key]
        return cached
    params: dict[str, Any] = {}
    if old is not None:
        params = {"include": include, "exclude": exclude}
    try:
        found = _walk(run, path, params)
    except NotFoundError:
        if old is None:
            raise
        # an old head no longer exists (force-push, garbage collected): walk the new heads whole
        found = _walk(run, path, {"include": include})
    run._memo[key] = found
    return found


def _walk(run: Run, path: str, params: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    for page in run.walk(path, params, PAGELEN):
        for item in page:
            if run.since is not None:
                stamp = parse_timestamp(item.get("date"))
                if stamp is not None and stamp < run.since:
                    return found
            found.append(item)
    return found


def commit_family(run: Run, tables: list[SyncTable]) -> Iterator[Batch]:
    """``commits``, ``commit_statuses`` and ``commit_diffstat``: each keeps its own heads."""
    for slug in run.repositories():
        scope_id = f"r:{slug}"
        scope = {"workspace": run.workspace, "repository": slug}
        try:
            now = heads(run, slug)
        except SKIPPABLE as error:
            yield Batch(run.workspace, tables[0].name, [], [], run.snapshot(),
                        warnings=[run.warn(tables[0].name, scope_id, error)])
            continue
        for table in tables:
            saved = run.table_state(table.name).get(scope_id)
            old = saved.get("heads") if saved else None
            if old == now:
                continue
            try:
                commits = new_commits(run, slug, old, now)
            except SKIPPABLE as error:
                yield Batch(run.workspace, table.name, [], [], run.snapshot(),
                            warnings=[run.warn(table.name, scope_id, error)])
                continue
            if table.name == "commits":
                rows = rows_of(table, commits, scope)
            else:
                rows = _per_commit(run, table, slug, scope, [str(c["hash"]) for c in commits if c.get("hash")])
            run.table_state(table.name)[scope_id] = {"heads": now}
            yield Batch(run.workspace, table.name, rows, [], run.snapshot())


def _per_commit(run: Run, table: SyncTable, slug: str, scope: dict[str, Any], hashes: list[str]) -> list[dict[str, Any]]:
    definition = table.definition
    placeholder = next(k.placeholder for k in definition.keys if k.column == "commit_hash")
    params = list_params(definition)
    requests = [
        (sha, templates.fill(definition.path, {"workspace": run.workspace, "repo_slug": slug, placeholder: sha}), params)
        for sha in hashes
    ]
    rows: list[dict[str, Any]] = []
    for sha, result in run.listings(requests, definition.max_pagelen).items():
        if isinstance(result, BitbucketError):
            if isinstance(result, SKIPPABLE):
                run.warn(table.name, f"r:{slug}/{sha}", result)
                continue
            raise result
        rows += rows_of(table, result, {**scope, "commit_hash": sha})
    return rows


def branch_commits(run: Run, table: SyncTable) -> Iterator[Batch]:
    """Each branch whose head moved is listed again (positions shift); deleted branches' rows go."""
    definition = table.definition
    state = run.table_state(table.name)
    for slug in run.repositories():
        scope = {"workspace": run.workspace, "repository": slug}
        try:
            now = heads(run, slug)
        except SKIPPABLE as error:
            yield Batch(run.workspace, table.name, [], [], run.snapshot(), warnings=[run.warn(table.name, slug, error)])
            continue
        for name, head in sorted(now.items()):
            scope_id = f"r:{slug}/{name}"
            saved = state.get(scope_id)
            if saved and saved.get("head") == head:
                continue
            path = templates.fill(definition.path, {"workspace": run.workspace, "repo_slug": slug, "revision": name})
            items = [item for page in run.walk(path, {}, PAGELEN) for item in page]
            rows, deletes, kept = diff_rows(table, rows_of(table, items, {**scope, "branch": name}),
                                            (saved or {}).get("rows"))
            state[scope_id] = {"head": head, "rows": kept}
            yield Batch(run.workspace, table.name, rows, deletes, run.snapshot())
        for scope_id in [s for s in state if s.startswith(f"r:{slug}/") and s.split("/", 1)[1] not in now]:
            gone = kept_key_dicts(table, state.pop(scope_id).get("rows"))
            yield Batch(run.workspace, table.name, [], gone, run.snapshot())
