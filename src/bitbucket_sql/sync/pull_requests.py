"""Pull requests and their children, incremental by ``updated_on``.

One listing per repository answers both: ``q=state IN (all) AND updated_on >= <cursor>`` sorted
ascending by ``updated_on``. Every change to a pull request (a comment, a task, an approval,
a merge) moves its ``updated_on``, so the pull requests in that listing are exactly those whose
children may have changed; each child table (comments, tasks, activity, commits, statuses,
diffstat) re-reads its rows for those pull requests only and detects deleted rows from the keys
it kept for that pull request.

Ascending order makes every page a checkpoint: after a page is handed out, the cursor is the last
``updated_on`` on it, so a sync stopped anywhere resumes at that page (the boundary rows are
read again and merged, never duplicated). Pages are fresh queries from the last ``updated_on``
read (:func:`keyset_pages`), so a pull request updated while the walk runs moves to its end
without pushing another row onto a page already read. With no change, a repository costs one
request (the page holding the cursor's own row).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from bitbucket_sql.api.errors import BitbucketError
from bitbucket_sql.catalog import templates

from .batch import Batch, diff_rows, rows_of
from .run import SKIPPABLE, Run, list_params
from .tables import SyncTable
from .values import iso, parse_timestamp

STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
PAGELEN = 50


def bbql_time(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def pull_request_family(run: Run, parent: SyncTable | None, children: list[SyncTable]) -> Iterator[Batch]:
    """Batches of ``parent`` (the pull_requests table, if chosen) and of each child table."""
    from bitbucket_sql.catalog.registry import require_table

    definition = parent.definition if parent else require_table("pull_requests")
    chosen = ([parent] if parent else []) + children
    for slug in run.repositories():
        scope_id = f"r:{slug}"
        cursors = {t.name: _cursor(run, t.name, scope_id) for t in chosen}
        seen = {t.name: set(run.table_state(t.name).get(scope_id, {}).get("at_cursor", [])) for t in chosen}
        if any(c is None for c in cursors.values()):
            start = run.since
        else:
            start = min(c for c in cursors.values() if c is not None)
        params = {k: v for k, v in list_params(definition).items() if k != "state"}
        path = templates.fill(definition.path, {"workspace": run.workspace, "repo_slug": slug})
        scope = {"workspace": run.workspace, "repository": slug}
        try:
            for items in keyset_pages(run, path, params, start):
                yield from _page(run, parent, children, slug, scope, items, cursors, seen)
        except SKIPPABLE as error:
            message = run.warn("pull_requests", scope_id, error)
            yield Batch(run.workspace, (parent or children[0]).name, [], [], run.snapshot(), warnings=[message])


def _query(params: dict[str, Any], start: datetime.datetime | None) -> dict[str, Any]:
    q = f'state IN ({", ".join(f"{chr(34)}{s}{chr(34)}" for s in STATES)})'
    if start is not None:
        q += f" AND updated_on >= {bbql_time(start)}"
    return {**params, "q": q, "sort": "updated_on", "pagelen": PAGELEN}


def keyset_pages(
    run: Run, path: str, params: dict[str, Any], start: datetime.datetime | None
) -> Iterator[list[Any]]:
    """Pull requests updated at or after ``start``, oldest change first, page by page.

    Each page is a fresh query from the last ``updated_on`` seen (keyset paging) rather than the
    API's page number: a pull request updated while the walk runs moves to the end of the order,
    and with page numbers the row behind it would slide onto a page already read and be missed.
    Rows read again at the boundary are dropped; a page whose rows all share the boundary
    instant (no progress) follows the API's ``next`` link instead.
    """
    query_start = start
    url: str = path
    query: dict[str, Any] | None = _query(params, start)
    boundary: datetime.datetime | None = None
    at_boundary: set[Any] = set()
    while True:
        page = run.client.get(url, query)
        values = page.get("values") or []
        fresh = [item for item in values
                 if not (boundary is not None and parse_timestamp(item.get("updated_on")) == boundary
                         and item.get("id") in at_boundary)]
        if fresh:
            yield fresh
        if not values or not page.get("next"):
            return
        last = parse_timestamp(values[-1].get("updated_on"))
        ids_at_last = {item.get("id") for item in values if parse_timestamp(item.get("updated_on")) == last}
        at_boundary = at_boundary | ids_at_last if last == boundary else ids_at_last
        boundary = last
        if last is None or last == query_start:
            url, query = str(page["next"]), None  # a page of one instant: the API's own next page
        else:
            url, query, query_start = path, _query(params, last), last


def _cursor(run: Run, table: str, scope_id: str) -> datetime.datetime | None:
    value = run.table_state(table).get(scope_id, {}).get("cursor")
    return parse_timestamp(value) if value else None


def _page(
    run: Run,
    parent: SyncTable | None,
    children: list[SyncTable],
    slug: str,
    scope: dict[str, Any],
    items: list[Any],
    cursors: dict[str, datetime.datetime | None],
    seen_at_cursor: dict[str, set[Any]],
) -> Iterator[Batch]:
    last = max((parse_timestamp(item.get("updated_on")) for item in items), default=None,
               key=lambda v: v or datetime.datetime.min.replace(tzinfo=datetime.UTC))
    scope_id = f"r:{slug}"

    def changed_for(table: str) -> list[Any]:
        """Pull requests of the page not yet handed out for ``table``: updated after its cursor,
        or at the cursor's very instant but not among the ids handed out at that instant."""
        cursor = cursors[table]
        return [i for i in items if cursor is None or _after(i, cursor, seen_at_cursor[table])]

    def mark(table: str) -> None:
        if last is None:
            return
        at_last = [i.get("id") for i in items if parse_timestamp(i.get("updated_on")) == last]
        previous = run.table_state(table).get(scope_id, {})
        if previous.get("cursor") == iso(last):
            at_last = sorted(set(at_last) | set(previous.get("at_cursor", [])))
        run.table_state(table)[scope_id] = {"cursor": iso(last), "at_cursor": at_last}

    if parent is not None:
        rows = rows_of(parent, changed_for(parent.name), scope)
        mark(parent.name)
        yield Batch(run.workspace, parent.name, rows, [], run.snapshot())
    for child in children:
        parents = changed_for(child.name)
        upserts, deletes, warnings = _children(run, child, slug, scope, [p["id"] for p in parents if "id" in p])
        mark(child.name)
        yield Batch(run.workspace, child.name, upserts, deletes, run.snapshot(), warnings=warnings)


def _after(item: Any, cursor: datetime.datetime, seen: set[Any]) -> bool:
    stamp = parse_timestamp(item.get("updated_on"))
    if stamp is None:
        return True
    return stamp > cursor or (stamp == cursor and item.get("id") not in seen)


def _children(
    run: Run, child: SyncTable, slug: str, scope: dict[str, Any], ids: list[int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Re-read ``child`` for pull requests ``ids``: rows, deletes and warnings (the kept keys
    per pull request are updated in the state)."""
    if not ids:
        return [], [], []
    definition = child.definition
    params = list_params(definition)
    state = run.table_state(child.name)
    requests = []
    for pr_id in ids:
        path = templates.fill(definition.path, {"workspace": run.workspace, "repo_slug": slug, "pull_request_id": pr_id})
        requests.append((pr_id, path, params))
    found = run.listings(requests, definition.max_pagelen)
    upserts: list[dict[str, Any]] = []
    deletes: list[dict[str, Any]] = []
    warnings: list[str] = []
    for pr_id in ids:
        result = found[pr_id]
        child_scope = f"r:{slug}/{pr_id}"
        if isinstance(result, BitbucketError):
            if isinstance(result, SKIPPABLE):
                warnings.append(run.warn(child.name, child_scope, result))
                continue
            raise result
        rows = rows_of(child, result, {**scope, "pull_request_id": pr_id})
        changed, gone, kept = diff_rows(child, rows, state.get(child_scope, {}).get("rows"))
        deletes += gone
        upserts += changed
        if kept:
            state[child_scope] = {"rows": kept}
        else:
            state.pop(child_scope, None)
    return upserts, deletes, warnings
