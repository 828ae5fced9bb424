"""One workspace's extraction run: the client, the committed state, the request budget, and
listings shared between tables (the repositories of the workspace, the branches of a
repository) so that each is read once per run.

The state is a plain JSON-serialisable dict::

    {"version": 1,
     "workspaces": {"acme": {"tables": {"pull_requests": {"scopes": {"r:api": {"cursor": "..."}}}}}}}

Scope ids are prefixed by what they name: ``g:`` global, ``w:<workspace>``, ``r:<repository>``,
``p:<project key>``, and ``r:<repository>/<parent key>`` for children of one parent (a pull
request, a pipeline, a branch). Strategies change a table's entries only when they hand out the
batch that holds the rows those entries describe, so the state in a batch never runs ahead of
the rows committed with it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bitbucket_sql.api.errors import BitbucketError, GoneError, NotFoundError, PermissionDeniedError
from bitbucket_sql.catalog import templates
from bitbucket_sql.catalog.model import TableDef
from bitbucket_sql.catalog.registry import require_table

#: Errors that mean "this scope has nothing readable for you" (pipelines off, admin-only
#: settings, a repository deleted mid-run): the scope is skipped with a warning, the rest go on.
SKIPPABLE = (PermissionDeniedError, NotFoundError, GoneError)

STATE_VERSION = 1


def empty_state() -> dict[str, Any]:
    return {"version": STATE_VERSION, "workspaces": {}}


def params_key(params: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, tuple(v) if isinstance(v, list | tuple) else v) for k, v in (params or {}).items()))


def list_params(table: TableDef) -> dict[str, Any]:
    """The parameters of a complete listing: fixed params and fields the list omits by default."""
    params: dict[str, Any] = {name: tuple(values) for name, values in table.fixed_params}
    extra = [c.path for c in table.columns if not c.default_field and c.path]
    if extra and table.paging != "single":
        params["fields"] = ",".join(f"+values.{path}" for path in extra)
    return params


@dataclass
class Budget:
    """``max_requests`` counted on the client's own totals from the start of the run, and,
    with ``stop_near_limit``, Bitbucket's own ``X-RateLimit-NearLimit: true`` (under a fifth of
    the hour's requests left for this credential)."""

    client: Any
    max_requests: int | None
    stop_near_limit: bool = False
    start: int = 0

    def __post_init__(self) -> None:
        self.start = self.client.stats.requests

    @property
    def used(self) -> int:
        return int(self.client.stats.requests - self.start)

    @property
    def near_limit(self) -> bool:
        headers = self.client.rate_limit.headers
        return str(headers.get("X-RateLimit-NearLimit", "")).lower() == "true"

    @property
    def stop_reason(self) -> str:
        """``max_requests``, ``rate_limit`` or "" (go on)."""
        if self.max_requests is not None and self.used >= self.max_requests:
            return "max_requests"
        if self.stop_near_limit and self.near_limit:
            return "rate_limit"
        return ""

    @property
    def exhausted(self) -> bool:
        return bool(self.stop_reason)


@dataclass
class Run:
    client: Any
    workspace: str
    state: dict[str, Any]
    budget: Budget
    since: datetime.datetime | None = None
    repository_filter: frozenset[str] | None = None
    full_refresh_every: datetime.timedelta | None = None
    warnings: list[str] = field(default_factory=list)
    #: tables the refresh policy left as they were in this run (not due yet)
    not_due: set[str] = field(default_factory=set)
    _memo: dict[Any, Any] = field(default_factory=dict)

    # --- state -----------------------------------------------------------------------------
    def table_state(self, table: str) -> dict[str, dict[str, Any]]:
        """The scopes dict of ``table`` in this workspace (created on first use)."""
        workspaces = self.state.setdefault("workspaces", {})
        tables = workspaces.setdefault(self.workspace, {}).setdefault("tables", {})
        scopes: dict[str, dict[str, Any]] = tables.setdefault(table, {}).setdefault("scopes", {})
        return scopes

    def table_entry(self, table: str) -> dict[str, Any]:
        """The whole entry of ``table`` in this workspace (its scopes and ``refreshed_at``)."""
        self.table_state(table)
        entry: dict[str, Any] = self.state["workspaces"][self.workspace]["tables"][table]
        return entry

    def snapshot(self) -> dict[str, Any]:
        """The state as it is now, for a batch. Strategies never change a scope's entry in place
        (they replace it), so copying the containers down to the scopes is enough: the entries
        are shared between snapshots, which costs one pointer per scope instead of a deep copy
        of every kept key (treat a batch's state as read-only)."""
        return {
            **self.state,
            "workspaces": {
                workspace: {
                    **part,
                    "tables": {
                        table: {**entry, "scopes": dict(entry.get("scopes", {}))}
                        for table, entry in part.get("tables", {}).items()
                    },
                }
                for workspace, part in self.state.get("workspaces", {}).items()
            },
        }

    def covers_repository(self, slug: str) -> bool:
        return self.repository_filter is None or slug in self.repository_filter

    # --- listings ------------------------------------------------------------------------------
    def listing(self, path: str, params: Mapping[str, Any] | None, pagelen: int) -> list[Any]:
        """Every item of a collection (pages fetched concurrently), read once per run."""
        key = ("list", path, params_key(params), pagelen)
        if key not in self._memo:
            self._memo[key] = list(self.client.paginate(path, dict(params or {}), pagelen=pagelen))
        items: list[Any] = self._memo[key]
        return items

    def listings(
        self, requests: Sequence[tuple[Any, str, Mapping[str, Any] | None]], pagelen: int
    ) -> dict[Any, list[Any] | BitbucketError]:
        """Many complete listings concurrently: key -> items, or the error a scope answered."""
        found: dict[Any, list[Any] | BitbucketError] = {}
        todo = []
        for key, path, params in requests:
            memo_key = ("list", path, params_key(params), pagelen)
            if memo_key in self._memo:
                found[key] = self._memo[memo_key]
            else:
                found[key] = []
                todo.append((key, path, dict(params or {}), memo_key))
        memo_keys = {key: memo_key for key, _, _, memo_key in todo}
        requests_now = [(key, path, params) for key, path, params, _ in todo]
        for key, item in self.client.paginate_many(requests_now, pagelen=pagelen, return_errors=True):
            if isinstance(item, BitbucketError):
                found[key] = item
                continue
            bucket = found[key]
            assert isinstance(bucket, list)
            bucket.append(item)
        for key, memo_key in memo_keys.items():
            if not isinstance(found[key], BitbucketError):
                self._memo[memo_key] = found[key]
        return found

    def walk(self, path: str, params: Mapping[str, Any] | None, pagelen: int) -> Iterator[list[Any]]:
        """A collection one page at a time, in order, fetching a page only when the caller asks
        (so a caller that stops early sends no further request)."""
        url: str | None = path
        query: dict[str, Any] | None = {**dict(params or {}), "pagelen": pagelen}
        while url is not None:
            page = self.client.get(url, query)
            values = page.get("values") or []
            yield list(values)
            next_url = page.get("next")
            if not values or not next_url:
                return
            url, query = next_url, None

    # --- scopes ----------------------------------------------------------------------------
    def repositories(self) -> list[str]:
        """Slugs of the workspace's repositories (one listing per run, shared with the
        ``repositories`` table), narrowed by ``--repositories``."""
        table = require_table("repositories")
        items = self.listing(templates.fill(table.path, {"workspace": self.workspace}), list_params(table),
                             table.max_pagelen)
        slugs = [str(item.get("slug")) for item in items if item.get("slug")]
        return [slug for slug in slugs if self.covers_repository(slug)]

    def all_repositories(self) -> set[str]:
        table = require_table("repositories")
        items = self.listing(templates.fill(table.path, {"workspace": self.workspace}), list_params(table),
                             table.max_pagelen)
        return {str(item.get("slug")) for item in items if item.get("slug")}

    def warn(self, table: str, scope: str, error: BaseException) -> str:
        message = f"{self.workspace}.{table} ({scope}): skipped, {error}"
        self.warnings.append(message)
        return message
