"""Discovers the table definitions: every module in :mod:`bitbucket_sql.catalog.tables`.

Adding a table means adding one module that exports ``TABLE: TableDef``; nothing else (no
list to update, no engine change). Modules whose name starts with ``_`` are helpers and are
skipped. Discovery happens once and is cached.

Path templates (``path``, ``get_path``, ``wide_path`` and ``WriteOp.path``) use one rule for
placeholders: each is either the ``placeholder`` of one of the table's :class:`PathKey`\\ s
(filled from the scope or the key column) or the name of a column of the table (filled from
the row or the predicate, e.g. ``{id}`` in ``get_path`` is the ``id = 5`` of ``get_key``).
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from functools import cache

from . import tables as tables_package
from .model import Column, TableDef


class CatalogError(Exception):
    """A table module is malformed (missing ``TABLE``, duplicate name)."""


class UnknownTableError(LookupError):
    """A query names a table the catalog does not have; the message suggests close names."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.suggestions = closest_tables(name)
        hint = f" Did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(
            f"Unknown table {name!r}.{hint} The tables are listed in docs/tables.md (or query sys_tables)."
        )


class UnknownColumnError(LookupError):
    """A query names a column the table does not have; the message suggests close names."""

    def __init__(self, table: TableDef, name: str) -> None:
        self.table = table.name
        self.name = name
        self.suggestions = closest_columns(table, name)
        hint = f" Did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"Table {table.name!r} has no column {name!r}.{hint}")


@cache
def _tables_by_name() -> dict[str, TableDef]:
    found: dict[str, TableDef] = {}
    for module_info in pkgutil.iter_modules(tables_package.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{tables_package.__name__}.{module_info.name}")
        table = getattr(module, "TABLE", None)
        if not isinstance(table, TableDef):
            raise CatalogError(f"table module {module.__name__} must export TABLE: TableDef")
        if table.name in found:
            raise CatalogError(f"table {table.name!r} is defined twice (second time in {module.__name__})")
        found[table.name] = table
    return dict(sorted(found.items()))


def all_tables() -> tuple[TableDef, ...]:
    """Every table, sorted by name (removed tables included: they explain themselves)."""
    return tuple(_tables_by_name().values())


def get_table(name: str) -> TableDef | None:
    """The table called ``name`` (case-insensitive), or None."""
    return _tables_by_name().get(name.lower())


def require_table(name: str) -> TableDef:
    """The table called ``name``; raises :class:`UnknownTableError` (with suggestions) otherwise."""
    table = get_table(name)
    if table is None:
        raise UnknownTableError(name)
    return table


def require_column(table: TableDef, name: str) -> Column:
    """The column ``name`` of ``table``; raises :class:`UnknownColumnError` otherwise."""
    column = table.column(name)
    if column is None:
        raise UnknownColumnError(table, name)
    return column


def table_names() -> tuple[str, ...]:
    return tuple(_tables_by_name())


def closest_tables(name: str, n: int = 3) -> list[str]:
    """Names of up to ``n`` tables that look like ``name``, for "did you mean" errors."""
    return difflib.get_close_matches(name.lower(), table_names(), n=n, cutoff=0.5)


def closest_columns(table: TableDef, name: str, n: int = 3) -> list[str]:
    """Names of up to ``n`` columns of ``table`` that look like ``name``."""
    return difflib.get_close_matches(name.lower(), table.column_names, n=n, cutoff=0.5)
