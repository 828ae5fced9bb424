"""The :class:`~bitbucket_sql.engine.Engine` methods that writes add (a mixin, so the engine's own
module only dispatches to them): run a write or a batch, read target rows fresh, and forget the
cached results and scans a write made stale (read-your-writes)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..cache import TTLCache
from ..errors import EngineError
from ..result import QueryResult, QueryStats, ResultColumn
from ..statements import parse_statement
from .parse import is_write, parse_write
from .returning import returning_rows
from .runner import run_writes


class WriteMethods:
    """INSERT, UPDATE and DELETE for the engine (``self`` is an Engine)."""

    result_cache: TTLCache[Any]
    scan_cache: TTLCache[list[Any]]

    def is_write(self, sql: str) -> bool:
        """Whether ``sql`` is an INSERT, UPDATE or DELETE (maybe under EXPLAIN)."""
        return is_write(sql)

    def execute_write(self, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        """One INSERT, UPDATE or DELETE (or its EXPLAIN): rows affected, RETURNING rows."""
        self._check_open()  # type: ignore[attr-defined]
        return run_writes(self, [parse_write(sql, params)])  # type: ignore[arg-type]

    def execute_many(self, sql: str, seq_of_params: Sequence[Sequence[Any]]) -> QueryResult:
        """One write statement with many parameter sets, sent as one concurrent batch (``executemany``)."""
        self._check_open()  # type: ignore[attr-defined]
        if not is_write(sql):
            raise EngineError("execute_many runs INSERT, UPDATE or DELETE; run queries one by one with execute().")
        statements = [parse_write(sql, params) for params in seq_of_params]
        if not statements:
            return QueryResult([], [], QueryStats(), affected_rows=0)
        return run_writes(self, statements)  # type: ignore[arg-type]

    def describe_write(self, sql: str, params: Sequence[Any] | None = None) -> list[ResultColumn]:
        """The result columns of a write without running it: its RETURNING list (none without one)."""
        statement = parse_write(sql, params)
        if statement.explain != "none":
            return [ResultColumn("plan", "VARCHAR")]
        if not statement.returning:
            return []
        table = self.table(statement.table)  # type: ignore[attr-defined]
        columns, _ = returning_rows(table, statement, [])
        return columns

    def read_for_write(self, sql: str) -> QueryResult:
        """The rows a write works on, read fresh (no cached result or scan) and never capped by MaxRows."""
        statement = parse_statement(sql)
        fresh: TTLCache[list[Any]] = TTLCache(0, max_weight=1)
        result, _ = self._execute(statement, None, time.monotonic(), fresh, uncapped=True)  # type: ignore[attr-defined]
        return result  # type: ignore[no-any-return]

    def forget_cached(self, workspace: str | None, paths: Sequence[str]) -> None:
        """After a write: drop every cached result, and the cached scans of the scopes it touched.

        A path under ``/repositories/ws/repo`` drops that repository's scans and the workspace's
        repository listing; a workspace path drops the workspace's scans.
        """
        self.result_cache.clear()
        prefixes = {scope_prefix(path, workspace) for path in paths}

        def touched(key: Any) -> bool:
            scanned = key[1] if isinstance(key, tuple) and len(key) > 1 and isinstance(key[1], str) else ""
            return any(scanned.startswith(prefix) or prefix.startswith(scanned.rstrip("/") + "/")
                       for prefix in prefixes)

        self.scan_cache.discard_where(touched)


def scope_prefix(path: str, workspace: str | None) -> str:
    """The listing prefix a written path invalidates: its repository, else its workspace."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if len(parts) >= 3 and parts[0] == "repositories":
        return "/" + "/".join(parts[:3])
    if len(parts) >= 2 and parts[0] in ("workspaces", "repositories"):
        return "/" + "/".join(parts[:2])
    return f"/workspaces/{workspace}" if workspace else "/"
