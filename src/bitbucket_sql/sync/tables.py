"""Which catalog tables sync, under which key and columns, and how each is kept current.

A :class:`SyncTable` is what a destination needs to create a table (name, primary key, columns
with their SQL types, as the live tables have them) and what a user reads in ``bbsql sync``'s
summary and docs/sync.md (``strategy``). The strategy itself is chosen by ``kind`` (see
:mod:`.extract`).

``pull_request_activity`` has no primary key in the live catalog (the API gives activity entries
no id); the copy adds one column, ``activity_key``, a hash of the entry, so that re-reading a
pull request's activity merges instead of duplicating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bitbucket_sql.catalog.model import Column, PathKey, TableDef
from bitbucket_sql.catalog.registry import all_tables, require_table

#: The synthetic key column of tables the API gives no primary key (hash of the entry).
ACTIVITY_KEY = "activity_key"

#: Tables that cost one request per commit, per branch or per pull request even when little
#: changed, left out of the default set (name them with ``--tables``); so are tables read per
#: commit, per ref or per file, whatever their name (see :func:`classify`).
OPT_IN: frozenset[str] = frozenset({"commit_diffstat", "commit_statuses", "pull_request_diffstat", "branch_commits"})

PR_CHILDREN: frozenset[str] = frozenset(
    {
        "pull_request_comments",
        "pull_request_tasks",
        "pull_request_activity",
        "pull_request_commits",
        "pull_request_statuses",
        "pull_request_diffstat",
    }
)

_STRATEGIES: dict[str, tuple[str, str]] = {
    "pull_requests": (
        "pull_requests",
        "incremental by updated_on (all states, q=updated_on >= cursor, sorted ascending)",
    ),
    "pipelines": (
        "pipelines",
        "incremental by created_on (sort=-created_on, stop at the cursor) + unfinished pipelines re-read",
    ),
    "pipeline_steps": (
        "pipelines",
        "steps of new pipelines and of pipelines unfinished at the last sync",
    ),
    "commits": ("commits", "new commits only: include=new branch heads, exclude=heads of the last sync"),
    "commit_statuses": ("commits", "statuses of new commits (see commits)"),
    "commit_diffstat": ("commits", "diffstat of new commits (see commits)"),
    "branch_commits": ("branch_commits", "branches whose head moved are re-read; deleted branches removed"),
}
_PR_CHILD_STRATEGY = "re-read for pull requests updated since the last sync (their updated_on), deletes detected"
_FULL_REFRESH = "full refresh each sync, deletes detected"


@dataclass(frozen=True)
class SyncTable:
    """One table as the sync copies it.

    ``columns`` are (name, SQL type) pairs in catalog order, the types DuckDB spells
    (``VARCHAR``, ``BIGINT``, ``DOUBLE``, ``BOOLEAN``, ``TIMESTAMPTZ``, ``DATE``, ``JSON``).
    ``strategy`` describes in words how the table stays current; ``kind`` names the code path.
    """

    name: str
    primary_key: tuple[str, ...]
    columns: list[tuple[str, str]]
    strategy: str
    kind: str
    definition: TableDef = field(repr=False, compare=False)
    default: bool = True

    @property
    def catalog_columns(self) -> tuple[Column, ...]:
        return self.definition.columns


def _extra_keys(definition: TableDef) -> list[PathKey]:
    return [k for k in definition.keys if k.placeholder not in ("workspace", "repo_slug")]


def classify(definition: TableDef) -> tuple[str, str, bool]:
    """(kind, strategy in words, in the default set) for one catalog table, by its shape."""
    if definition.name in _STRATEGIES:
        kind, strategy = _STRATEGIES[definition.name]
        return kind, strategy, definition.name not in OPT_IN
    extra = _extra_keys(definition)
    if len(extra) == 1 and extra[0].source_table == "pull_requests":
        return "pull_request_children", _PR_CHILD_STRATEGY, definition.name not in OPT_IN
    if len(extra) == 1 and extra[0].source_table == "commits":
        return "commits", "read for new commits only (see commits)", False
    if any(k.source_table in ("commits", "refs", "pull_requests", "pipelines") for k in extra):
        return "full_refresh", _FULL_REFRESH + "; one request per parent object, so not in the default set", False
    if extra:
        return "full_refresh", _FULL_REFRESH + " (one listing per parent)", definition.name not in OPT_IN
    return "full_refresh", _FULL_REFRESH, definition.name not in OPT_IN


def sync_table(definition: TableDef) -> SyncTable:
    """The :class:`SyncTable` of one catalog table."""
    columns: list[tuple[str, str]] = [(column.name, column.type) for column in definition.columns]
    primary_key = definition.primary_key
    if not primary_key:
        scope_columns = [key.column for key in definition.keys]
        columns.append((ACTIVITY_KEY, "VARCHAR"))
        primary_key = (*scope_columns, ACTIVITY_KEY)
    kind, strategy, default = classify(definition)
    return SyncTable(
        name=definition.name,
        primary_key=tuple(primary_key),
        columns=columns,
        strategy=strategy,
        kind=kind,
        definition=definition,
        default=default,
    )


class UnknownSyncTableError(ValueError):
    """A table named for sync does not exist or cannot be synced (removed API)."""


def sync_tables(catalog_names: Sequence[str] | None = None) -> list[SyncTable]:
    """The tables to sync: ``catalog_names`` (in dependency order), or every default table.

    Removed tables (the issue tracker) are never synced; naming one is an error, as is a
    name the catalog does not have (the message suggests close names).
    """
    if catalog_names is None:
        chosen = [t for t in all_tables() if t.removed is None and classify(t)[2]]
    else:
        chosen = []
        for name in catalog_names:
            try:
                table = require_table(name.strip())
            except LookupError as error:
                raise UnknownSyncTableError(str(error)) from None
            if table.removed is not None:
                raise UnknownSyncTableError(f"Table {table.name!r} cannot be synced: {table.removed}")
            if table not in chosen:
                chosen.append(table)
    return sorted((sync_table(t) for t in chosen), key=_order)


_FIRST = ("workspaces", "current_user", "projects", "repositories", "branches", "tags", "refs")


def _order(table: SyncTable) -> tuple[int, str]:
    """Parents first (their listings are shared with children within a run)."""
    if table.name in _FIRST:
        return (_FIRST.index(table.name), table.name)
    return (len(_FIRST), table.name)
