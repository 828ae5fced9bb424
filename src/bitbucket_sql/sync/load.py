"""Loading batches into a destination with dlt, and keeping the sync state there.

One dlt pipeline per workspace loads into one dataset (schema) named after the workspace
(dlt's normalisation: ``my-team`` -> ``my_team``); tables keep their catalog names, columns and
types (JSON columns as JSON, timestamps with time zone), merged on the primary key
(``delete-insert``). Rows gone upstream are deleted through dlt's ``hard_delete`` column
``_bbsql_deleted``. dlt adds its own ``_dlt_load_id`` and ``_dlt_id`` columns.

The state is written to ``_bbsql_sync_state`` in each workspace's dataset *after* the rows of
the batches it describes are loaded, so whatever stops the process (kill -9, network loss, a
spent budget) leaves a state that is at or behind the data: the next run reads those rows again
and merges them (no loss, no duplicates). Destinations without SQL (dlt's filesystem) keep the
state in a JSON file instead (``state_file``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .batch import Batch
from .tables import SyncTable

STATE_TABLE = "_bbsql_sync_state"
DELETED_COLUMN = "_bbsql_deleted"

_DLT_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "bool",
    "TIMESTAMPTZ": "timestamp",
    "DATE": "date",
    "JSON": "json",
}


def _quiet_dlt() -> None:
    """No telemetry (there may be no network), no progress output, warnings only."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")


@dataclass(frozen=True)
class Destination:
    """Where the copy goes: a DuckDB file, a PostgreSQL URL, or a dlt destination by name."""

    kind: str  # "duckdb", "postgres" or "dlt"
    target: str  # the file, the URL, or the dlt destination name
    state_file: Path | None = None

    @classmethod
    def parse(cls, to: str | None, destination: str | None, state_file: str | None = None) -> Destination:
        if to and destination:
            raise ValueError("give either --to or --destination, not both")
        file = Path(state_file) if state_file else None
        if destination:
            return cls("dlt", destination, file)
        target = to or "bitbucket.duckdb"
        if target.startswith(("postgresql://", "postgres://")):
            return cls("postgres", target, file)
        if "://" in target:
            raise ValueError(
                f"--to {_redact(target)}: not a DuckDB file or a postgresql:// URL; use --destination NAME "
                "for other dlt destinations"
            )
        path = Path(target).expanduser()
        if not path.parent.is_dir():
            raise ValueError(f"--to {target}: the directory {path.parent} does not exist (create it, or give "
                             "another file)")
        if path.is_dir():
            raise ValueError(f"--to {target}: is a directory; give a file such as {path / 'bitbucket.duckdb'}")
        return cls("duckdb", str(path), file)

    def dlt_destination(self) -> Any:
        import dlt

        if self.kind == "duckdb":
            return dlt.destinations.duckdb(self.target)
        if self.kind == "postgres":
            return dlt.destinations.postgres(credentials=self.target)
        return self.target

    def __str__(self) -> str:
        return _redact(self.target) if self.kind == "postgres" else self.target


class DestinationNotConfiguredError(ValueError):
    """A ``--destination NAME`` whose dlt configuration (credentials, location) is missing."""


def not_configured(error: BaseException, destination: Destination) -> DestinationNotConfiguredError | None:
    """dlt's "missing configuration field" failure (also when wrapped in a pipeline step's failure)
    as one short message naming the destination, the missing fields and where dlt reads them."""
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    seen: BaseException | None = error
    while seen is not None and not isinstance(seen, ConfigFieldMissingException):
        seen = getattr(seen, "exception", None) or seen.__cause__
    if seen is None:
        return None
    name = destination.target
    fields = ", ".join(seen.fields) or "credentials"
    return DestinationNotConfiguredError(
        f"destination {name!r} is not configured: {seen.spec_name} misses {fields}. Configure it as dlt "
        f"documents it: .dlt/secrets.toml ([destination.{name}.credentials]) in the current directory, or "
        f"environment variables DESTINATION__{name.upper()}__CREDENTIALS__<FIELD> (docs/sync.md, Destinations)"
    )


def _redact(url: str) -> str:
    """A URL without its password, for messages and logs."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else f"{scheme}://{user}@{host}"


def dataset_name(workspace: str) -> str:
    """The dataset (schema) of a workspace as dlt normalises it."""
    from dlt.common.normalizers.naming.snake_case import NamingConvention

    return str(NamingConvention().normalize_table_identifier(workspace))


def dlt_columns(table: SyncTable) -> dict[str, dict[str, Any]]:
    columns: dict[str, dict[str, Any]] = {}
    for name, sql_type in table.columns:
        hint: dict[str, Any] = {"data_type": _DLT_TYPES[sql_type], "nullable": name not in table.primary_key}
        if sql_type == "TIMESTAMPTZ":
            hint["timezone"] = True
        if name in table.primary_key:
            hint["primary_key"] = True
        columns[name] = hint
    columns[DELETED_COLUMN] = {"data_type": "bool", "hard_delete": True, "nullable": True}
    return columns


@dataclass
class _Pending:
    """Rows waiting for the next load of one workspace: table -> primary key -> row (the last
    write of a key wins, so an upsert then a delete of one key in one load deletes it)."""

    rows: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = field(default_factory=dict)
    count: int = 0


class Loader:
    """Loads batches of many workspaces; ``flush()`` loads what is pending, then saves the state."""

    def __init__(self, destination: Destination, tables: Iterable[SyncTable]) -> None:
        _quiet_dlt()
        self.destination = destination
        self.tables = {t.name: t for t in tables}
        _remove_stale_workdirs()
        self._workdir = tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-")
        self._pipelines: dict[str, Any] = {}
        self._pending: dict[str, _Pending] = {}
        self._state: dict[str, Any] | None = None
        self._sql_capable: bool | None = None
        self.rows_loaded = 0
        self.loads = 0

    def close(self) -> None:
        self._pipelines.clear()
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- dlt ---------------------------------------------------------------------------------
    def pipeline(self, workspace: str) -> Any:
        if workspace not in self._pipelines:
            import dlt

            dataset = dataset_name(workspace)
            self._pipelines[workspace] = dlt.pipeline(
                pipeline_name=f"bbsql_sync_{dataset}",
                destination=self.destination.dlt_destination(),
                dataset_name=dataset,
                pipelines_dir=self._workdir,
            )
        return self._pipelines[workspace]

    # --- batches -----------------------------------------------------------------------------
    def add(self, batch: Batch) -> int:
        """Queue a batch's rows; returns how many rows are pending for its workspace."""
        self._state = batch.state
        if not batch.upserts and not batch.deletes:
            return self._pending.get(batch.workspace, _Pending()).count
        table = self.tables[batch.table]
        pending = self._pending.setdefault(batch.workspace, _Pending())
        rows = pending.rows.setdefault(batch.table, {})
        json_columns = [name for name, sql_type in table.columns if sql_type == "JSON"]
        for row in batch.upserts:
            loaded = dict(row)
            for name in json_columns:
                if loaded.get(name) is not None:
                    loaded[name] = json.loads(loaded[name])
            loaded[DELETED_COLUMN] = None
            rows[tuple(row[k] for k in table.primary_key)] = loaded
        for key in batch.deletes:
            rows[tuple(key[k] for k in table.primary_key)] = {**key, DELETED_COLUMN: True}
        pending.count += len(batch.upserts) + len(batch.deletes)
        return pending.count

    @property
    def pending_rows(self) -> int:
        return sum(p.count for p in self._pending.values())

    def flush(self, state: dict[str, Any] | None = None) -> None:
        """Load every pending row, then save ``state`` (default: the last batch's)."""
        import dlt

        state = state if state is not None else self._state
        for workspace, pending in list(self._pending.items()):
            if not pending.rows:
                continue
            resources = []
            for name, rows in pending.rows.items():
                table = self.tables[name]
                merge: Any = {"disposition": "merge", "strategy": "delete-insert"}
                columns: Any = dlt_columns(table)
                resources.append(
                    dlt.resource(
                        list(rows.values()),
                        name=name,
                        write_disposition=merge,
                        primary_key=list(table.primary_key),
                        columns=columns,
                    )
                )
            try:
                info = self.pipeline(workspace).run(resources)
            except Exception as error:
                missing = not_configured(error, self.destination)
                if missing is not None:
                    raise missing from None
                raise
            info.raise_on_failed_jobs()
            self.rows_loaded += pending.count
            self.loads += 1
            del self._pending[workspace]
        if state is not None:
            self.save_state(state)

    # --- state -------------------------------------------------------------------------------
    def save_state(self, state: dict[str, Any]) -> None:
        if self._state_in_file(state.get("workspaces", {})):
            _write_file(self._state_path(), state)
            return
        for workspace, part in state.get("workspaces", {}).items():
            text = json.dumps({"version": state.get("version", 1), "workspaces": {workspace: part}})
            with self._sql(workspace) as client:
                table = client.make_qualified_table_name(STATE_TABLE)
                client.execute_sql(
                    f"CREATE TABLE IF NOT EXISTS {table} (workspace VARCHAR(255) PRIMARY KEY, state TEXT NOT NULL, "
                    "saved_at VARCHAR(64) NOT NULL)"
                )
                saved = datetime.datetime.now(datetime.UTC).isoformat()
                with client.begin_transaction():
                    client.execute_sql(f"DELETE FROM {table} WHERE workspace = %s", workspace)
                    client.execute_sql(
                        f"INSERT INTO {table} (workspace, state, saved_at) VALUES (%s, %s, %s)", workspace, text, saved
                    )

    def load_state(self, workspaces: Iterable[str]) -> dict[str, Any]:
        """The state saved by the last run for these workspaces (empty for a first sync)."""
        from dlt.destinations.exceptions import DatabaseUndefinedRelation

        workspaces = list(workspaces)
        if self._state_in_file(workspaces):
            path = self._state_path()
            return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        state: dict[str, Any] = {"version": 1, "workspaces": {}}
        for workspace in workspaces:
            with self._sql(workspace) as client:
                if not client.has_dataset():
                    continue
                table = client.make_qualified_table_name(STATE_TABLE)
                try:
                    rows = client.execute_sql(f"SELECT state FROM {table} WHERE workspace = %s", workspace)
                except DatabaseUndefinedRelation:
                    continue  # no state table yet: a first sync
            if rows:
                part = json.loads(rows[0][0]).get("workspaces", {}).get(workspace)
                if part is not None:
                    state["workspaces"][workspace] = part
        return state

    def _state_path(self) -> Path:
        if self.destination.state_file is not None:
            return self.destination.state_file
        return Path(f".bbsql-sync-{self.destination.target}.state.json")

    def _state_in_file(self, workspaces: Iterable[str]) -> bool:
        """Whether the state goes to a JSON file: asked for, or a destination without SQL."""
        if self.destination.state_file is not None:
            return True
        if self.destination.kind != "dlt":
            return False
        if self._sql_capable is None:
            first = next(iter(workspaces), None)
            if first is None:
                return False
            try:
                with self.pipeline(first).sql_client():
                    self._sql_capable = True
            except Exception as error:  # noqa: BLE001 - dlt says so by failing (filesystem, custom destinations)
                missing = not_configured(error, self.destination)
                if missing is not None:  # a SQL destination without its credentials: say so before extracting
                    raise missing from None
                self._sql_capable = False
        return not self._sql_capable

    @contextlib.contextmanager
    def _sql(self, workspace: str) -> Iterator[Any]:
        pipeline = self.pipeline(workspace)
        with pipeline.sql_client() as client:
            if not client.has_dataset():
                client.create_dataset()
            yield client


_WORKDIR_PREFIX = "bbsql-sync-dlt-"


def _remove_stale_workdirs() -> None:
    """dlt's working folders of runs whose process is gone (killed): their packages were never
    recorded in a saved state, so nothing in them is needed."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_WORKDIR_PREFIX}*"):
        pid_text = folder.name[len(_WORKDIR_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            continue


def _write_file(path: Path, state: dict[str, Any]) -> None:
    """Atomically: a kill leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state), encoding="utf-8")
    os.replace(temporary, path)
