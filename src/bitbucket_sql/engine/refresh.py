"""Incremental refresh of a persistent cache entry past ``CacheTTL``: only what changed is read.

An entry is one complete listing of one scope (a repository's pull requests, pipelines,
deployments or commits). Instead of listing it again, each table uses the cheapest change feed
the API offers, the same feeds ``bbsql sync`` keeps its copies current with (the
:mod:`bitbucket_sql.sync` functions are reused, not copied):

* **pull requests**: ``q=state IN (all) AND updated_on >= <newest updated_on cached>``, oldest
  change first, page by page (:func:`bitbucket_sql.sync.pull_requests.keyset_pages`). Every
  change to a pull request moves its ``updated_on``; with no change it costs one request (the
  page holding the high-water mark's own row). Changed pull requests replace their cached row;
* **pipelines**: ``sort=-created_on`` read until the first pipeline older than the newest cached
  one (:func:`bitbucket_sql.sync.pipelines._newest`), plus the pipelines that were unfinished
  when cached, read again by uuid until they complete (``_reread``), or, when fewer requests,
  by walking on down to the oldest unfinished one (:func:`_walk_start`);
* **deployments**: the listing is newest first (by ``state.started_on``): read until the first
  deployment older than the newest cached one, plus unfinished ones as for pipelines;
* **commits**: the listing (newest first) read until a commit already cached: the new hashes
  down to a known one. With no new commit: one request.

Other tables (small ones: branches, members, settings) have no change feed cheaper than their
listing, so an expired entry is simply fetched again (a full refresh).

Entries filtered by ``q`` are refreshed with the unfiltered feed: a changed row that no longer
matches the filter stays in the entry with its new values, and DuckDB's re-check of the query
drops it (entries may hold more rows than their request returns, see ``cache_scans``).
Deletions: Bitbucket deletes pull requests, pipelines and deployments only with their
repository (the repository's listing, refreshed in full, drops it); commits made unreachable by
a force-push stay until the entry is evicted or ``bbsql cache clear``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .cache_store import Entry

#: How items are identified when merging (the API object's own id field).
_ID_FIELD = {"pull_requests": "id", "pipelines": "uuid", "deployments": "uuid", "commits": "hash"}
#: The tail of the listing path each refresher handles (other paths of the table: full refresh).
_LISTING = {"pull_requests": "pullrequests", "pipelines": "pipelines", "deployments": "deployments",
            "commits": "commits"}
_FINISHED_DEPLOYMENT = ("COMPLETED", "UNDEPLOYED")

Refresher = Callable[[Any, Entry, str, str], "tuple[list[Any], dict[str, Any]] | None"]


def meta_for(table: str, items: list[Any]) -> dict[str, Any]:
    """What a later refresh of these rows needs: the high-water mark and the unfinished objects."""
    if table == "pull_requests":
        return {"hwm": _newest_stamp(items, _updated)}
    if table == "pipelines":
        return {"hwm": _newest_stamp(items, _created),
                "unfinished": sorted(str(i["uuid"]) for i in items if _pipeline_running(i))}
    if table == "deployments":
        return {"hwm": _newest_stamp(items, _started),
                "unfinished": sorted(str(i["uuid"]) for i in items if _deployment_running(i))}
    return {}


def refresh(client: Any, entry: Entry) -> tuple[list[Any], dict[str, Any]] | None:
    """(current items, new meta) of ``entry`` read through its change feed; None when the table
    or the entry's parameters have no feed (the caller fetches the listing again)."""
    refresher = _REFRESHERS.get(entry.table)
    scope = _repository_scope(entry.path, _LISTING.get(entry.table, ""))
    if refresher is None or scope is None:
        return None
    workspace, slug = scope
    return refresher(client, entry, workspace, slug)


# --- tables -----------------------------------------------------------------------------------------
def _pull_requests(client: Any, entry: Entry, workspace: str, slug: str) -> tuple[list[Any], dict[str, Any]] | None:
    from bitbucket_sql.catalog.registry import require_table
    from bitbucket_sql.sync.pull_requests import keyset_pages
    from bitbucket_sql.sync.run import list_params
    from bitbucket_sql.sync.values import parse_timestamp

    hwm = parse_timestamp(entry.meta.get("hwm")) if entry.meta.get("hwm") else None
    if hwm is None:
        return None  # nothing cached to start from: the listing itself is as cheap
    params = {k: v for k, v in list_params(require_table("pull_requests")).items() if k != "state"}
    changed = [item for page in keyset_pages(_run(client, workspace), entry.path, params, hwm) for item in page]
    items = _merge(entry.items, changed, "id")
    return items, meta_for("pull_requests", items)


def _pipelines(client: Any, entry: Entry, workspace: str, slug: str) -> tuple[list[Any], dict[str, Any]] | None:
    from bitbucket_sql.sync.pipelines import PAGELEN, _newest, _reread
    from bitbucket_sql.sync.values import parse_timestamp

    hwm = parse_timestamp(entry.meta.get("hwm")) if entry.meta.get("hwm") else None
    if hwm is None:
        return None
    run = _run(client, workspace)
    unfinished = list(entry.meta.get("unfinished", []))
    start, walk_covers = _walk_start(entry.items, unfinished, hwm, _created, PAGELEN)
    new = _newest(run, entry.path, start)
    listed = {item.get("uuid") for item in new}
    again: list[Any]
    gone: set[Any]
    if walk_covers:  # the walk reached the oldest unfinished pipeline: one not listed is gone
        again, gone = [], {u for u in unfinished if u not in listed}
    else:
        again, gone = _reread(run, slug, [u for u in unfinished if u not in listed])
    items = _merge(entry.items, new + again, "uuid")
    if gone:
        items = [item for item in items if item.get("uuid") not in gone]
    return items, meta_for("pipelines", items)


def _deployments(client: Any, entry: Entry, workspace: str, slug: str) -> tuple[list[Any], dict[str, Any]] | None:
    from bitbucket_sql.catalog import templates
    from bitbucket_sql.catalog.registry import require_table
    from bitbucket_sql.sync.values import parse_timestamp

    hwm = parse_timestamp(entry.meta.get("hwm")) if entry.meta.get("hwm") else None
    if hwm is None:
        return None
    run = _run(client, workspace)
    table = require_table("deployments")
    unfinished = list(entry.meta.get("unfinished", []))
    start, walk_covers = _walk_start(entry.items, unfinished, hwm, _started, table.max_pagelen)
    new: list[Any] = []
    for page in run.walk(entry.path, _params(entry), table.max_pagelen):
        older = [item for item in page if (_started(item) or start) < start]
        new += [item for item in page if item not in older]
        if older:
            break
    listed = {item.get("uuid") for item in new}
    again: list[Any] = []
    if not walk_covers:
        assert table.get_path is not None
        requests = [(uuid, templates.fill(table.get_path, {"workspace": workspace, "repo_slug": slug, "uuid": uuid}),
                     None) for uuid in unfinished if uuid not in listed]
        again = [item for _, item in client.get_many(requests, return_errors=False)] if requests else []
    items = _merge(entry.items, new + again, "uuid")
    return items, meta_for("deployments", items)


def _commits(client: Any, entry: Entry, workspace: str, slug: str) -> tuple[list[Any], dict[str, Any]] | None:
    from bitbucket_sql.catalog.registry import require_table

    if _params(entry):
        return None  # a branch or range listing (include=, exclude=): listed again
    known = {item.get("hash") for item in entry.items}
    if not known:
        return None
    new: list[Any] = []
    fields = {"fields": entry.fields} if entry.fields else {}
    for page in _run(client, workspace).walk(entry.path, fields, require_table("commits").max_pagelen):
        fresh = []
        for item in page:
            if item.get("hash") in known:
                break
            fresh.append(item)
        new += fresh
        if len(fresh) < len(page):
            break
    return _merge(entry.items, new, "hash"), {}


_REFRESHERS: dict[str, Any] = {
    "pull_requests": _pull_requests,
    "pipelines": _pipelines,
    "deployments": _deployments,
    "commits": _commits,
}


# --- helpers ----------------------------------------------------------------------------------------
def refreshable(table: str) -> bool:
    """Whether ``table`` has a change feed (else an expired entry is listed again)."""
    return table in _REFRESHERS


def _run(client: Any, workspace: str) -> Any:
    """A sync ``Run`` around the client: the sync feeds read through it (no state, no budget)."""
    from bitbucket_sql.sync.run import Budget, Run

    return Run(client, workspace, {}, Budget(client, None))


def _params(entry: Entry) -> dict[str, Any]:
    """The entry's request parameters besides ``fields``, ``sort`` and ``q`` (re-checked by DuckDB)."""
    params = entry.meta.get("params", {})
    return {k: v for k, v in params.items() if k not in ("fields", "sort", "q")}


def _walk_start(
    items: list[Any], unfinished: list[str], hwm: datetime.datetime,
    stamp: Callable[[Any], datetime.datetime | None], pagelen: int,
) -> tuple[datetime.datetime, bool]:
    """Where the newest-first walk stops, and whether it covers the unfinished objects.

    Re-reading each unfinished object costs one GET; walking on down to the oldest of them costs
    a page per ``pagelen`` objects newer than it. The cheaper wins (fewer requests)."""
    stamps = {str(item.get("uuid")): stamp(item) for item in items}
    pending = [value for uuid in unfinished if (value := stamps.get(uuid)) is not None]
    if not pending or len(pending) < len(unfinished):
        return hwm, False
    oldest = min(pending)
    depth = sum(1 for item in items if (stamp(item) or hwm) >= oldest)
    if depth // pagelen + 1 <= len(unfinished):
        return min(oldest, hwm), True
    return hwm, False


def _repository_scope(path: str, listing: str) -> tuple[str, str] | None:
    """(workspace, repository) of ``/repositories/{workspace}/{repo}/<listing>``, else None."""
    parts = path.strip("/").split("/")
    if len(parts) != 4 or parts[0] != "repositories" or parts[3] != listing:
        return None
    return unquote(parts[1]), unquote(parts[2])


def _merge(cached: list[Any], changed: list[Any], id_field: str) -> list[Any]:
    """The cached items with ``changed`` ones replacing theirs (by id), new ones first; the very
    ``cached`` list when nothing differs (the caller then rewrites no rows)."""
    if not changed:
        return cached
    known = {item.get(id_field): item for item in cached}
    if all(known.get(item.get(id_field)) == item for item in changed):
        return cached  # only rows read again as they were (the high-water mark's own page)
    replaced = {item.get(id_field): item for item in changed if item.get(id_field) is not None}
    kept = [item for item in cached if item.get(id_field) not in replaced]
    return list(replaced.values()) + kept


def _newest_stamp(items: list[Any], stamp: Callable[[Any], datetime.datetime | None]) -> str | None:
    stamps = [value for item in items if (value := stamp(item)) is not None]
    return max(stamps).isoformat() if stamps else None


def _timestamp(value: Any) -> datetime.datetime | None:
    from bitbucket_sql.sync.values import parse_timestamp

    return parse_timestamp(value) if value else None


def _updated(item: Any) -> datetime.datetime | None:
    return _timestamp(item.get("updated_on"))


def _created(item: Any) -> datetime.datetime | None:
    return _timestamp(item.get("created_on"))


def _started(item: Any) -> datetime.datetime | None:
    return _timestamp((item.get("state") or {}).get("started_on"))


def _pipeline_running(item: Any) -> bool:
    return bool(item.get("uuid")) and (item.get("state") or {}).get("name") != "COMPLETED"


def _deployment_running(item: Any) -> bool:
    return bool(item.get("uuid")) and (item.get("state") or {}).get("name") not in _FINISHED_DEPLOYMENT
