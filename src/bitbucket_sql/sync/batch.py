"""The unit the sync core hands to a loader: rows to upsert, keys to delete, and the state to
persist once both are committed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .tables import ACTIVITY_KEY, SyncTable
from .values import row_dict


@dataclass
class Batch:
    """Rows of one table of one workspace, and the whole state after them.

    ``upserts`` are row dicts (column name -> value, the live table's columns and Python types:
    ``datetime`` aware in UTC for TIMESTAMPTZ, ``date``, ``int``, ``float``, ``bool``, ``str``;
    JSON columns hold JSON text). ``deletes`` are primary-key dicts of rows gone upstream.
    ``state`` is a JSON-serialisable snapshot to persist after committing this batch's rows.
    ``finished`` marks the last batch of a table in a workspace (it may carry no rows).
    ``budget_exhausted`` marks the final batch of a run stopped by ``max_requests``: it carries
    no rows and the same state as the batch before it. ``requests`` counts the requests of the
    run so far; ``warnings`` say which scopes were skipped (no access, not found); ``refreshed``
    is False on the finished batch of a table the refresh policy did not list (not due yet).
    """

    workspace: str
    table: str
    upserts: list[dict[str, Any]]
    deletes: list[dict[str, Any]]
    state: dict[str, Any]
    finished: bool = False
    budget_exhausted: bool = False
    #: why a run stopped early: ``max_requests`` or ``rate_limit`` (Bitbucket said it is near)
    stop_reason: str = ""
    requests: int = 0
    warnings: list[str] = field(default_factory=list)
    #: on a finished batch: False when the refresh policy left the table as it was (not due)
    refreshed: bool = True


def rows_of(table: SyncTable, items: Iterable[Any], scope: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Typed rows of API objects read in ``scope`` (column name -> scope value).

    A table with a listing-order column gets each item's position in the listing; a table
    without a primary key gets its ``activity_key``, the hash of the entry (canonical JSON)."""
    order = next((c.name for c in table.definition.columns if c.listing_order), None)
    rows = []
    for position, item in enumerate(items):
        item_scope = {**scope, order: position} if order else scope
        row = row_dict(item, table.definition.columns, item_scope)
        if not table.definition.primary_key:
            row[ACTIVITY_KEY] = hashlib.sha1(
                json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8")
            ).hexdigest()
        rows.append(row)
    return rows


def key_of(table: SyncTable, row: Mapping[str, Any]) -> list[Any]:
    return [row[name] for name in table.primary_key]


def key_dicts(table: SyncTable, keys: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(table.primary_key, key, strict=True)) for key in keys]


def row_digest(row: Mapping[str, Any]) -> str:
    """A short fingerprint of a row's values (to skip rows unchanged since the last sync)."""
    text = json.dumps(row, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def diff_rows(
    table: SyncTable, rows: list[dict[str, Any]], previous: Mapping[str, str] | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """(rows new or changed since ``previous``, primary-key dicts of rows gone, the new
    key -> digest map to keep in the state). ``previous`` maps the JSON text of each key kept
    by the last sync to its row's digest."""
    current: dict[str, str] = {}
    changed = []
    for row in rows:
        key = json.dumps(key_of(table, row), default=str)
        digest = row_digest(row)
        current[key] = digest
        if previous is None or previous.get(key) != digest:
            changed.append(row)
    gone = [json.loads(key) for key in (previous or {}) if key not in current]
    return changed, key_dicts(table, gone), current


def kept_key_dicts(table: SyncTable, kept: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """Primary-key dicts of every row a scope's state keeps (when the whole scope is gone)."""
    return key_dicts(table, [json.loads(key) for key in (kept or {})])
