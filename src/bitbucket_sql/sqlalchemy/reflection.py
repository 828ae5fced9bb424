"""Reflection answered from the catalog alone: no API request, no query, no I/O.

Every workspace has the same tables (the catalog's), so the schema only matters for foreign
keys, which point into the same schema. Tables whose API Bitbucket removed (the issue tracker)
are left out: a query on them only explains that they are gone.

Foreign keys are the catalog's parent/child relations (a :class:`PathKey` with a
``source_table``), onto the nearest parent: the child's key columns that fill the parent's
primary key, e.g.
``pull_request_comments (workspace, repository, pull_request_id)`` ->
``pull_requests (workspace, repository, id)``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import types as sqltypes

from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.model import PathKey, TableDef

#: Catalog (DuckDB) type name -> SQLAlchemy type. TIMESTAMPTZ values are always UTC.
TYPES: dict[str, Any] = {
    "VARCHAR": sqltypes.String,
    "BIGINT": sqltypes.BigInteger,
    "DOUBLE": sqltypes.Double,
    "BOOLEAN": sqltypes.Boolean,
    "TIMESTAMPTZ": lambda: sqltypes.DateTime(timezone=True),
    "DATE": sqltypes.Date,
    "JSON": sqltypes.JSON,
}


def sqlalchemy_type(catalog_type: str) -> sqltypes.TypeEngine[Any]:
    """The SQLAlchemy type of a catalog column type."""
    factory = TYPES.get(catalog_type)
    if factory is None:  # a new catalog type this module does not know yet
        return sqltypes.NullType()
    return factory()  # type: ignore[no-any-return]


def reflected_tables() -> tuple[TableDef, ...]:
    """The tables reflection shows: every catalog table whose API still exists."""
    return tuple(table for table in registry.all_tables() if table.removed is None)


def reflected_table(name: str) -> TableDef | None:
    """The table called ``name`` if reflection shows it, else None."""
    table = registry.get_table(name)
    return table if table is not None and table.removed is None else None


#: How reflection marks what Bitbucket sets (see :func:`columns`).
SET_BY_BITBUCKET = "set by Bitbucket"
WORKSPACE_DEFAULT = "the connection's Workspace (or the table's schema)"


def columns(table: TableDef) -> list[dict[str, Any]]:
    """``Inspector.get_columns`` rows: primary key columns are NOT NULL, the others nullable.

    On a writable table, a column no write can set (an id, ``created_on``, links) is *computed*
    (by Bitbucket), and ``workspace`` has a server default (the schema's workspace): SQLAlchemy
    then leaves them out of INSERT and UPDATE, and the ORM reads them back with RETURNING after
    a flush, instead of sending NULL for them (which the engine would refuse as read-only).
    """
    rows = []
    for column in table.columns:
        row: dict[str, Any] = {
            "name": column.name,
            "type": sqlalchemy_type(column.type),
            "nullable": column.name not in table.primary_key,
            "default": None,
            "autoincrement": False,
            "comment": column.description or None,
        }
        if table.operations and not table.writable_kinds(column.name):
            row["computed"] = {"sqltext": SET_BY_BITBUCKET, "persisted": True}
        elif table.operations and column.name == "workspace":
            row["default"] = WORKSPACE_DEFAULT
        rows.append(row)
    return rows


def primary_key(table: TableDef) -> dict[str, Any]:
    return {"constrained_columns": list(table.primary_key), "name": None}


def foreign_keys(table: TableDef, schema: str | None) -> list[dict[str, Any]]:
    """The foreign key onto the table's nearest parent, when the child holds the parent's whole key.

    Only the nearest: ``pull_request_comments -> pull_requests`` already implies
    ``-> repositories`` through ``pull_requests -> repositories``, and a second key over the same
    columns would make ORMs (automap) build overlapping relationships.
    """
    for key in reversed(table.keys):
        parent = reflected_table(key.source_table) if key.source_table else None
        if parent is None or not parent.primary_key:
            continue
        child_columns = _child_columns(table, parent, key)
        if child_columns is None:
            continue
        return [
            {
                "name": f"fk_{table.name}_{parent.name}",
                "constrained_columns": child_columns,
                "referred_schema": schema,
                "referred_table": parent.name,
                "referred_columns": list(parent.primary_key),
                "options": {},
            }
        ]
    return []


def _child_columns(child: TableDef, parent: TableDef, key: PathKey) -> list[str] | None:
    """The child's columns matching the parent's primary key, in its order, or None.

    The parent's ``source_column`` is the child's key column; the parent's other key columns
    (workspace, repository) are its own path keys, which the child holds under the same name.
    """
    parent_key_columns = {path_key.column for path_key in parent.keys}
    matched = []
    for parent_column in parent.primary_key:
        if parent_column == key.source_column:
            matched.append(key.column)
        elif parent_column in parent_key_columns and child.column(parent_column) is not None:
            matched.append(parent_column)
        else:
            return None
    return matched


def table_comment(table: TableDef) -> dict[str, Any]:
    return {"text": table.description or None}
