"""The ``bitbucket://`` SQLAlchemy dialect over the project's PEP 249 driver.

Each pooled SQLAlchemy connection is one :func:`bitbucket_sql.connect` connection (one engine:
its own HTTP client, caches and local DuckDB). Reflection comes from the catalog without any
request (:mod:`.reflection`); queries compile to DuckDB-flavoured SQL with ``?`` placeholders
(:mod:`.compiler`), which the engine plans exactly as it plans hand-written SQL.
"""

from __future__ import annotations

import warnings
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import URL, default, reflection
from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPIModule
from sqlalchemy.sql import sqltypes

from bitbucket_sql.sqlalchemy import reflection as catalog_reflection
from bitbucket_sql.sqlalchemy.compiler import (
    BitbucketCompiler,
    BitbucketDDLCompiler,
    BitbucketIdentifierPreparer,
    BitbucketJSONPathType,
    BitbucketTypeCompiler,
)
from bitbucket_sql.sqlalchemy.url import connection_properties

#: The only isolation level there is: every statement reads Bitbucket's current state.
AUTOCOMMIT = "AUTOCOMMIT"


class WritesAppliedWarning(UserWarning):
    """A rollback after writes: they were applied when they ran and stay applied."""


class BitbucketExecutionContext(default.DefaultExecutionContext):
    """Keeps the driver's rowcount of every write, INSERT included (SQLAlchemy reads it only for
    UPDATE and DELETE, after closing the cursor of an INSERT), so ``result.rowcount`` and
    ``DataFrame.to_sql``'s answer are the rows Bitbucket created."""

    def post_exec(self) -> None:
        if self.is_crud and self._rowcount is None:
            self._rowcount = self.cursor.rowcount


class BitbucketDialect(default.DefaultDialect):
    """``bitbucket://user:token@host/workspace?Property=value`` (see docs/sqlalchemy.md)."""

    name = "bitbucket"
    driver = "bbsql"
    supports_statement_cache = True

    statement_compiler = BitbucketCompiler
    execution_ctx_cls = BitbucketExecutionContext
    ddl_compiler = BitbucketDDLCompiler
    type_compiler_cls = BitbucketTypeCompiler
    preparer = BitbucketIdentifierPreparer

    default_paramstyle = "qmark"
    supports_native_boolean = True
    supports_native_decimal = True
    supports_native_enum = False
    supports_schemas = True
    supports_comments = True
    inline_comments = False
    supports_is_distinct_from = True
    supports_simple_order_by_label = True
    tuple_in_values = True
    #: DuckDB's ``/`` divides integers exactly (``//`` is floor division)
    div_is_floordiv = False
    max_identifier_length = 255

    # writes (docs/writing.md): INSERT/UPDATE/DELETE with RETURNING (the ORM reads back what
    # Bitbucket set: ids, timestamps), multi-row VALUES, rowcounts the engine counts; no DDL,
    # sequences, DEFAULT VALUES or server-side cursors
    insert_returning = True
    update_returning = True
    delete_returning = True
    supports_alter = False
    supports_sequences = False
    supports_default_values = False
    supports_default_metavalue = False
    supports_empty_insert = False
    supports_multivalues_insert = True
    supports_server_side_cursors = False
    supports_sane_rowcount = True
    supports_sane_multi_rowcount = True
    postfetch_lastrowid = False
    use_insertmanyvalues = False

    colspecs = {sqltypes.JSON.JSONPathType: BitbucketJSONPathType}
    _json_serializer = None
    _json_deserializer = None

    @classmethod
    def import_dbapi(cls) -> DBAPIModule:
        """The ``bitbucket_sql`` package is itself the PEP 249 module."""
        import bitbucket_sql

        return bitbucket_sql  # type: ignore[return-value]

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        """Keyword connection properties for :func:`bitbucket_sql.connect` (see :mod:`.url`)."""
        return [], connection_properties(url)

    # --- session -----------------------------------------------------------------------------
    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        from bitbucket_sql import __version__

        return tuple(int(part) for part in __version__.split(".") if part.isdigit())

    def _get_default_schema_name(self, connection: Any) -> str | None:  # type: ignore[override] # no Workspace: None
        return connection.connection.dbapi_connection.workspace  # type: ignore[no-any-return]

    def get_isolation_level(self, dbapi_connection: DBAPIConnection) -> Any:
        return AUTOCOMMIT

    def get_isolation_level_values(self, dbapi_connection: DBAPIConnection) -> list[Any]:
        return [AUTOCOMMIT]

    def do_rollback(self, dbapi_connection: Any) -> None:
        """Rollback cannot undo writes (Bitbucket has no transactions): a warning, not an error.

        SQLAlchemy rolls back on its own (a pooled connection returned, a ``begin()`` block that
        failed); the driver's NotSupportedError there would hide the statement's own error. The
        warning says the writes stay, as the driver's error would.
        """
        from bitbucket_sql.dbapi import NotSupportedError

        if self.skip_autocommit_rollback:  # create_engine(..., skip_autocommit_rollback=True): no rollback at all
            return
        try:
            dbapi_connection.rollback()
        except NotSupportedError as error:
            warnings.warn(f"{error} (SQLAlchemy rolled back: a failed or uncommitted block, or a pooled "
                          f"connection returned; create_engine(..., skip_autocommit_rollback=True) skips such "
                          f"rollbacks.)", WritesAppliedWarning, stacklevel=2)

    def detect_autocommit_setting(self, dbapi_conn: Any) -> bool:
        """Always autocommit: Bitbucket applies every statement when it runs."""
        return True

    def set_isolation_level(self, dbapi_connection: DBAPIConnection, level: Any) -> None:
        if level != AUTOCOMMIT:
            raise exc.ArgumentError(
                f"isolation level {level!r} is not available: Bitbucket has no transactions, every "
                f"statement reads its current state and every write is applied when it runs ({AUTOCOMMIT})"
            )

    def is_disconnect(self, e: Exception, connection: Any, cursor: Any) -> bool:
        from bitbucket_sql.dbapi import InterfaceError

        return isinstance(e, InterfaceError) and "closed" in str(e)

    # --- reflection: the catalog, never the API ----------------------------------------------
    def get_schema_names(self, connection: Any, **kw: Any) -> list[str]:
        """The workspaces the connection knows without asking Bitbucket (its Workspace first)."""
        rows = connection.exec_driver_sql("SELECT schema_name FROM information_schema.schemata").fetchall()
        return [row[0] for row in rows]

    def get_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return [table.name for table in catalog_reflection.reflected_tables()]

    def get_view_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return []

    def get_temp_table_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return []

    def get_temp_view_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return []

    def get_sequence_names(self, connection: Any, schema: str | None = None, **kw: Any) -> list[str]:
        return []

    def has_table(self, connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> bool:
        return catalog_reflection.reflected_table(table_name) is not None

    def has_sequence(self, connection: Any, sequence_name: str, schema: str | None = None, **kw: Any) -> bool:
        return False

    @reflection.cache
    def get_columns(self, connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> Any:
        return catalog_reflection.columns(_table(table_name))

    @reflection.cache
    def get_pk_constraint(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        return catalog_reflection.primary_key(_table(table_name))

    @reflection.cache
    def get_foreign_keys(self, connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> Any:
        return catalog_reflection.foreign_keys(_table(table_name), schema)

    def get_indexes(self, connection: Any, table_name: str, schema: str | None = None, **kw: Any) -> Any:
        _table(table_name)
        return []

    def get_unique_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        _table(table_name)
        return []

    def get_check_constraints(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        _table(table_name)
        return []

    def get_table_comment(
        self, connection: Any, table_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        return catalog_reflection.table_comment(_table(table_name))

    def get_view_definition(
        self, connection: Any, view_name: str, schema: str | None = None, **kw: Any
    ) -> Any:
        raise exc.NoSuchTableError(view_name)


def _table(name: str) -> Any:
    table = catalog_reflection.reflected_table(name)
    if table is None:
        raise exc.NoSuchTableError(name)
    return table


dialect = BitbucketDialect
