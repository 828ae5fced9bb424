"""Pipelines by ``created_on``, plus the pipelines that were unfinished at the last sync, and
their steps.

Pipelines have no BBQL; the listing sorts with ``sort=-created_on``, read one page at a time
and stopped at the first pipeline older than the cursor (with no new pipeline: one request per
repository). A pipeline that was still running (or pending, or halted at a manual step) when it
was last read is read again by uuid until it is COMPLETED: that is how its result, duration and
steps arrive. Steps are read for new pipelines and for those re-read unfinished ones.

The cursor and the list of unfinished pipelines of a repository advance once the repository is
done, so a sync stopped in the middle reads that repository's new pipelines again (merged on
the primary key, never duplicated).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from bitbucket_sql.api.errors import BitbucketError
from bitbucket_sql.catalog import templates
from bitbucket_sql.catalog.registry import require_table

from .batch import Batch, key_dicts, rows_of
from .run import SKIPPABLE, Run, list_params
from .tables import SyncTable
from .values import iso, parse_timestamp

PAGELEN = 100


def pipeline_family(run: Run, pipelines: SyncTable | None, steps: SyncTable | None) -> Iterator[Batch]:
    definition = require_table("pipelines")
    chosen = [t for t in (pipelines, steps) if t is not None]
    for slug in run.repositories():
        scope_id = f"r:{slug}"
        saved = {t.name: run.table_state(t.name).get(scope_id) for t in chosen}
        cursors = {name: (parse_timestamp(s["cursor"]) if s and s.get("cursor") else None) for name, s in saved.items()}
        unfinished = sorted({uuid for s in saved.values() if s for uuid in s.get("unfinished", [])})
        start = run.since if any(s is None for s in saved.values()) else min(
            (c for c in cursors.values() if c is not None), default=None)
        path = templates.fill(definition.path, {"workspace": run.workspace, "repo_slug": slug})
        scope = {"workspace": run.workspace, "repository": slug}
        try:
            listed = _newest(run, path, start)
            refreshed, gone = _reread(run, slug, [u for u in unfinished if u not in {i.get("uuid") for i in listed}])
        except SKIPPABLE as error:
            message = run.warn("pipelines", scope_id, error)
            yield Batch(run.workspace, chosen[0].name, [], [], run.snapshot(), warnings=[message])
            continue
        stamps = [stamp for i in listed if (stamp := parse_timestamp(i.get("created_on"))) is not None]
        newest = max(stamps, default=None)
        for table in chosen:
            cursor = cursors[table.name]
            previous_unfinished = set((saved[table.name] or {}).get("unfinished", []))
            at_cursor = set((saved[table.name] or {}).get("at_cursor", []))
            fresh = [i for i in listed if cursor is None or _created(i) > cursor
                     or (_created(i) == cursor and i.get("uuid") not in at_cursor)]
            fresh_ids = {i.get("uuid") for i in fresh}
            again = [i for i in listed + refreshed if i.get("uuid") in previous_unfinished and i.get("uuid") not in fresh_ids]
            objects = fresh + again
            still_running = sorted(str(i["uuid"]) for i in objects if _running(i)) + sorted(
                u for u in previous_unfinished if u not in {i.get("uuid") for i in objects} and u not in gone)
            new_cursor = max((c for c in (cursor, newest) if c is not None), default=None)
            if table is pipelines:
                rows = rows_of(table, objects, scope)
                deletes = key_dicts(table, [[run.workspace, slug, u] for u in gone if u in previous_unfinished])
            else:
                rows, deletes = _steps(run, table, slug, scope, [str(i["uuid"]) for i in objects if i.get("uuid")])
            at_new = sorted(str(i.get("uuid")) for i in listed if new_cursor is not None and _created(i) == new_cursor)
            if new_cursor == cursor:
                at_new = sorted(set(at_new) | at_cursor)
            run.table_state(table.name)[scope_id] = {
                "cursor": iso(new_cursor), "at_cursor": at_new, "unfinished": still_running}
            yield Batch(run.workspace, table.name, rows, deletes, run.snapshot())


def _created(item: Any) -> datetime.datetime:
    return parse_timestamp(item.get("created_on")) or datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _running(item: Any) -> bool:
    state = item.get("state") or {}
    return bool(item.get("uuid")) and state.get("name") != "COMPLETED"


def _newest(run: Run, path: str, start: datetime.datetime | None) -> list[Any]:
    """Pipelines created at or after ``start`` (all when None), newest first, page by page."""
    found: list[Any] = []
    for page in run.walk(path, {"sort": "-created_on"}, PAGELEN):
        for item in page:
            if start is not None and _created(item) < start:
                return found
            found.append(item)
    return found


def _reread(run: Run, slug: str, uuids: list[str]) -> tuple[list[Any], set[str]]:
    """The unfinished pipelines ``uuids`` read again by uuid; and those that are gone (404)."""
    definition = require_table("pipelines")
    assert definition.get_path is not None
    requests = [
        (uuid, templates.fill(definition.get_path, {"workspace": run.workspace, "repo_slug": slug, "uuid": uuid}), None)
        for uuid in uuids
    ]
    found: list[Any] = []
    gone: set[str] = set()
    for uuid, item in run.client.get_many(requests, return_errors=True):
        if isinstance(item, BitbucketError):
            if isinstance(item, SKIPPABLE):
                gone.add(uuid)
                continue
            raise item
        found.append(item)
    return found, gone


def _steps(
    run: Run, table: SyncTable, slug: str, scope: dict[str, Any], uuids: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    definition = table.definition
    params = list_params(definition)
    requests = [
        (uuid, templates.fill(definition.path, {"workspace": run.workspace, "repo_slug": slug, "pipeline_uuid": uuid}),
         params)
        for uuid in uuids
    ]
    rows: list[dict[str, Any]] = []
    for uuid, result in run.listings(requests, definition.max_pagelen).items():
        if isinstance(result, BitbucketError):
            if isinstance(result, SKIPPABLE):
                run.warn(table.name, f"r:{slug}/{uuid}", result)
                continue
            raise result
        rows += rows_of(table, result, {**scope, "pipeline_uuid": uuid})
    return rows, []
