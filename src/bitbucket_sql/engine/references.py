"""Resolving the table references of a query: catalog tables, system tables, information_schema.

Schemas are workspaces: ``acme.pull_requests`` reads workspace ``acme``; an unqualified table
uses the connection's Workspace. Each reference is tagged (``meta['bbsql_ref']``) so that the
planner, which works on a qualified copy of the tree, can find it again. References to the
engine's ``information_schema`` are renamed to a private DuckDB schema (DuckDB has its own
``information_schema``), keeping the original name as alias so qualified columns still bind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from bitbucket_sql.catalog import registry
from bitbucket_sql.catalog.model import TableDef
from bitbucket_sql.catalog.templates import identifier_problem

from .errors import InvalidIdentifierError, NoWorkspaceError, RemovedTableError, UnknownTableError
from .system_tables import INFO_SCHEMA_ALIAS, INFORMATION_SCHEMA, SYSTEM_TABLES, SystemTable

REF_META = "bbsql_ref"
DEFAULT_DUCKDB_SCHEMA = "main"


@dataclass(frozen=True)
class TableRef:
    """One table reference of the query.

    ``duckdb_schema``/``name`` say where its rows live in the local database; ``workspace``
    is the API scope (None for global tables such as ``workspaces``).
    """

    ref_id: int
    kind: Literal["catalog", "system", "information_schema"]
    name: str
    duckdb_schema: str
    workspace: str | None
    table: TableDef | None = None
    system: SystemTable | None = None

    @property
    def physical(self) -> tuple[str, str]:
        return self.duckdb_schema, self.name

    @property
    def display(self) -> str:
        return f"{self.workspace}.{self.name}" if self.workspace else self.name


def resolve_references(tree: exp.Expression, default_schema: str | None) -> dict[int, TableRef]:
    """Tag and resolve every table reference (raises for unknown/removed/workspace-less tables)."""
    cte_names = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    refs: dict[int, TableRef] = {}
    for node in list(tree.find_all(exp.Table)):
        if not isinstance(node.this, exp.Identifier):
            continue  # table functions such as range(10) are DuckDB's business
        name = node.name.lower()
        db_identifier = node.args.get("db")
        db = node.db
        if db and isinstance(db_identifier, exp.Identifier) and not db_identifier.quoted:
            db = db.lower()  # unquoted identifiers are case-insensitive; workspace slugs are lower case
            node.set("db", exp.to_identifier(db))
        if not db and name in cte_names:
            continue
        ref_id = len(refs)
        if db.lower() == "information_schema":
            system = INFORMATION_SCHEMA.get(name)
            if system is None:
                known = [f"information_schema.{n}" for n in INFORMATION_SCHEMA]
                raise UnknownTableError(f"information_schema.{name}", known)
            node.set("db", exp.to_identifier(INFO_SCHEMA_ALIAS))
            node.set("catalog", None)
            if not node.alias:
                node.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
            refs[ref_id] = TableRef(ref_id, "information_schema", name, INFO_SCHEMA_ALIAS, None, system=system)
        elif name in SYSTEM_TABLES:
            schema = db or default_schema or DEFAULT_DUCKDB_SCHEMA
            refs[ref_id] = TableRef(ref_id, "system", name, schema, None, system=SYSTEM_TABLES[name])
        else:
            table = registry.get_table(name)
            if table is None:
                raise UnknownTableError(node.sql(dialect="duckdb"), registry.closest_tables(name))
            if table.removed:
                raise RemovedTableError(name, table.removed)
            if table.scope == "global":
                schema = db or default_schema or DEFAULT_DUCKDB_SCHEMA
                refs[ref_id] = TableRef(ref_id, "catalog", name, schema, None, table=table)
            else:
                workspace = db or default_schema
                if not workspace:
                    raise NoWorkspaceError(name)
                _check_workspace(workspace, name, from_schema=bool(db))
                refs[ref_id] = TableRef(ref_id, "catalog", name, workspace, workspace, table=table)
        node.meta[REF_META] = ref_id
    return refs


def _check_workspace(workspace: str, table: str, *, from_schema: bool) -> None:
    """Refuse a schema that cannot be a workspace slug before it reaches a URL path."""
    problem = identifier_problem(workspace)
    if problem is None:
        return
    where = f"(the schema of {workspace!r}.{table})" if from_schema else "(the connection's Workspace)"
    raise InvalidIdentifierError(
        "Workspace", workspace, where,
        f"{problem}. A schema names one workspace (its slug or {{uuid}}); name repositories and other "
        f"keys in WHERE instead, e.g. SELECT ... FROM acme.pull_requests WHERE repository = 'api'.",
    )
