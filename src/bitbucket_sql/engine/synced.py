"""Answering queries from a copy made by ``bbsql sync`` instead of the API (zero requests).

With ``SyncedDatabase=FILE`` (``bbsql query --from FILE``) every catalog table a query names is
read from the synced DuckDB file, which holds one schema per workspace (``_bbsql_sync_state``
in each says which workspace it copies), instead of being fetched; the query then runs exactly
as a live one does, over the same typed local tables, so results differ only by how fresh the
copy is. Global tables (``workspaces``, ``current_user``) are read from the schema of the
connection's Workspace. A table the copy lacks is an error naming the ``bbsql sync`` that adds it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from .database import quote_identifier
from .errors import EngineError

STATE_TABLE = "_bbsql_sync_state"


class SyncedCopy:
    """A read-only view of one synced DuckDB file, opened per query (a sync may be writing)."""

    def __init__(self, path: str) -> None:
        self.path = str(Path(path).expanduser())
        if not Path(self.path).is_file():
            raise EngineError(f"the synced database {self.path!r} does not exist; create it with 'bbsql sync --to {path}'")

    def _connect(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(self.path, read_only=True)
        except duckdb.Error as error:
            raise EngineError(f"cannot open the synced database {self.path!r}: {str(error).splitlines()[0]}") from None

    def schemas(self, connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
        """workspace slug -> schema in the file, from each schema's state table."""
        found = connection.execute(
            "SELECT table_schema FROM information_schema.tables WHERE table_name = ?", [STATE_TABLE]
        ).fetchall()
        mapping: dict[str, str] = {}
        for (schema,) in found:
            rows = connection.execute(f"SELECT workspace FROM {quote_identifier(schema)}.{STATE_TABLE}").fetchall()
            for (workspace,) in rows:
                mapping[str(workspace)] = str(schema)
        return mapping

    def workspaces(self) -> list[str]:
        with self._connect() as connection:
            return sorted(self.schemas(connection))

    def load(self, prepared: Any, default_workspace: str | None, metadata_rows: Callable[[Any], Any],
             to_arrow: Callable[..., Any]) -> int:
        """Fill the query's local tables from the copy; returns the rows read."""
        total = 0
        loaded: set[tuple[str, str]] = set()
        with self._connect() as connection:
            mapping = self.schemas(connection)
            for ref in prepared.refs.values():
                if ref.physical in loaded:
                    continue
                loaded.add(ref.physical)
                if ref.kind != "catalog":
                    rows = metadata_rows(ref)
                    prepared.database.insert(ref.duckdb_schema, ref.name, rows)
                    continue
                workspace = ref.workspace or default_workspace
                schema = mapping.get(workspace or "")
                if schema is None:
                    known = ", ".join(sorted(mapping)) or "none"
                    raise EngineError(
                        f"workspace {workspace!r} is not in the synced database {self.path!r} (it holds: {known}); "
                        f"copy it with 'bbsql sync --workspaces {workspace} --to {self.path}'"
                    )
                present = connection.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                    [schema, ref.name],
                ).fetchone()
                if not present or not present[0]:
                    raise EngineError(
                        f"table {workspace}.{ref.name} is not in the synced database {self.path!r}; "
                        f"add it with 'bbsql sync --tables {ref.name} --to {self.path}' or query it live"
                    )
                names = ", ".join(quote_identifier(column.name) for column in ref.table.columns)
                rows = connection.execute(
                    f"SELECT {names} FROM {quote_identifier(schema)}.{quote_identifier(ref.name)}"
                ).fetchall()
                prepared.database.insert(ref.duckdb_schema, ref.name, to_arrow(ref.table, rows))
                total += len(rows)
        return total
