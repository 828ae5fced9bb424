"""Bitbucket Cloud for Fivetran: a Connector SDK connector on bitbucket-sql's sync core.

``schema()`` declares every table the sync core copies, with its primary key and column types
(the same columns as the live tables of ``bbsql``). ``update()`` runs the sync core's incremental
extraction and turns each batch into Fivetran operations: an upsert per new or changed row and a
delete per row that disappeared upstream, with checkpoints of the sync core's whole state (see
:class:`Checkpoints`), so a sync stopped anywhere resumes after the last checkpoint with no lost
or duplicated rows.

Every workspace lands in the connection's one destination schema: the rows carry their
``workspace`` (part of each primary key), so several workspaces share the tables.

Run it from the directory ``build.py`` assembles (it carries the ``bitbucket_sql`` code this file
imports); see README.md.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping
from typing import Any

from bitbucket_configuration import ConnectorConfiguration, ConnectorConfigurationError, parse_configuration
from fivetran_connector_sdk import Connector
from fivetran_connector_sdk import Logging as log
from fivetran_connector_sdk import Operations as op

from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.sync.extract import extract, sync_tables

#: The live tables' SQL types -> Fivetran's column types. A type not listed is left for Fivetran
#: to infer from the values.
FIVETRAN_TYPES: dict[str, str] = {
    "VARCHAR": "STRING",
    "BIGINT": "LONG",
    "INTEGER": "INT",
    "SMALLINT": "SHORT",
    "BOOLEAN": "BOOLEAN",
    "DOUBLE": "DOUBLE",
    "FLOAT": "FLOAT",
    "REAL": "FLOAT",
    "DATE": "NAIVE_DATE",
    "TIMESTAMP": "NAIVE_DATETIME",
    "TIMESTAMPTZ": "UTC_DATETIME",
    "TIMESTAMP WITH TIME ZONE": "UTC_DATETIME",
    "JSON": "JSON",
    "BLOB": "BINARY",
}


def fivetran_type(sql_type: str) -> str | None:
    """The Fivetran type of a live table's column type (lists and structs travel as JSON)."""
    normalized = sql_type.strip().upper()
    if normalized.endswith("[]") or normalized.startswith(("STRUCT", "MAP", "LIST")):
        return "JSON"
    return FIVETRAN_TYPES.get(normalized)


def _configuration(configuration: Mapping[str, Any]) -> ConnectorConfiguration:
    try:
        return parse_configuration(configuration)
    except ConnectorConfigurationError as error:
        # One line that names the key; the SDK prints it as the reason of the failed sync.
        raise ValueError(f"invalid configuration: {error}") from None


def _tables(config: ConnectorConfiguration) -> list[Any]:
    try:
        return list(sync_tables(list(config.tables) if config.tables else None))
    except (KeyError, ValueError) as error:
        raise ValueError(f"invalid configuration: configuration key 'tables': {error}") from None


def schema(configuration: dict) -> list[dict[str, Any]]:
    """Every table the sync copies: name, primary key and the column types Fivetran should use."""
    config = _configuration(configuration)
    declared = []
    for table in _tables(config):
        columns = {}
        for name, sql_type in table.columns:
            kind = fivetran_type(sql_type)
            if kind is not None:
                columns[name] = kind
        declared.append({"table": table.name, "primary_key": list(table.primary_key), "columns": columns})
    return declared


def _json_columns(tables: list[Any]) -> dict[str, set[str]]:
    """table -> its JSON columns (whose values may arrive as JSON text and are sent as values)."""
    return {
        table.name: {name for name, sql_type in table.columns if fivetran_type(sql_type) == "JSON"}
        for table in tables
    }


def _as_json_values(row: dict[str, Any], json_columns: set[str]) -> dict[str, Any]:
    """``row`` with JSON text in its JSON columns parsed, so Fivetran stores the value, not a string."""
    if not json_columns:
        return row
    fixed = dict(row)
    for name in json_columns:
        value = fixed.get(name)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # not JSON text: stored as the string it is
                fixed[name] = json.loads(value)
    return fixed


class Checkpoints:
    """When to hand Fivetran the sync core's state.

    A batch's state may be persisted once its rows are emitted, so checkpointing the state of
    the last emitted batch is always safe; checkpointing less often only means a stopped sync
    re-reads more (and merges it: no duplicates). The sync core makes a batch per scope and
    table (hundreds per workspace), and each checkpoint costs the SDK a commit (over a second
    in `fivetran debug` with this many tables), so the connector checkpoints every
    :data:`ROWS` rows or :data:`SECONDS` seconds, at the end, and before a failure propagates.
    """

    ROWS = 10_000
    SECONDS = 60.0

    def __init__(self) -> None:
        self.pending: dict[str, Any] | None = None
        self.rows = 0
        self.count = 0
        self.last = time.monotonic()

    def emitted(self, batch: Any) -> None:
        """``batch``'s rows are emitted: its state may be persisted from now on."""
        self.pending = batch.state
        self.rows += len(batch.upserts) + len(batch.deletes)
        if self.rows >= self.ROWS or time.monotonic() - self.last >= self.SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending is not None:
            op.checkpoint(state=self.pending)
            self.count += 1
        self.pending, self.rows, self.last = None, 0, time.monotonic()


def update(configuration: dict, state: dict) -> None:
    """Copy what changed since ``state`` (everything on the first sync), with checkpoints."""
    config = _configuration(configuration)
    tables = _tables(config)
    json_columns = _json_columns(tables)
    log.info(
        f"syncing {len(tables)} tables of workspace(s) {', '.join(config.workspaces)}"
        + (f", repositories {', '.join(config.repositories)}" if config.repositories else "")
        + (f", from {config.since.date().isoformat()}" if config.since else "")
        + (" (resuming from the saved state)" if state else " (first sync: full copy)")
    )
    upserts = deletes = 0
    budget_exhausted = False
    checkpoints = Checkpoints()
    with BitbucketClient(config.settings, interactive=False) as client:
        try:
            for batch in extract(
                client,
                list(config.workspaces),
                tables,
                dict(state or {}),
                since=config.since,
                repositories=list(config.repositories) if config.repositories else None,
                max_requests=config.max_requests,
                full_refresh_every=config.full_refresh_every,
            ):
                columns = json_columns.get(batch.table, set())
                for row in batch.upserts:
                    op.upsert(table=batch.table, data=_as_json_values(row, columns))
                for key in batch.deletes:
                    op.delete(table=batch.table, keys=key)
                checkpoints.emitted(batch)
                for warning in batch.warnings:
                    log.warning(f"{batch.workspace}.{batch.table}: {warning}")
                upserts += len(batch.upserts)
                deletes += len(batch.deletes)
                budget_exhausted = budget_exhausted or batch.budget_exhausted
        except Exception:
            # keep what was emitted before the failure (an API error, a network loss)
            with contextlib.suppress(Exception):
                checkpoints.flush()
            raise
        checkpoints.flush()
        requests = client.stats.requests
    summary = f"{upserts} rows upserted, {deletes} deleted, {checkpoints.count} checkpoints, {requests} API requests"
    if budget_exhausted:
        log.warning(
            f"stopped at max_requests={config.max_requests}: {summary}; the next sync resumes where this one stopped"
        )
    else:
        log.info(f"sync complete: {summary}")


connector = Connector(update=update, schema=schema)


if __name__ == "__main__":
    # `python connector.py` runs like `fivetran debug` with ./configuration.json.
    with open("configuration.json", encoding="utf-8") as configuration_file:
        connector.debug(configuration=json.load(configuration_file))
