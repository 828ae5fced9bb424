"""Rows of ``sys_procedures`` and ``sys_procedureparameters``, from the procedure catalog alone.

Column names follow CData's drivers (see ``system_tables.SYS_PROCEDURES``): input parameters have
``Direction`` 1 and the result columns follow with ``Direction`` 4, numbered on in ``Ordinal``;
``DataType`` is the ``java.sql.Types`` code. No request is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bitbucket_sql.catalog import procedures as catalog
from bitbucket_sql.catalog.procedures import ProcedureDef, ProcedureParam

from .system_tables import CATALOG_NAME

#: java.sql.Types codes of the parameter types, for ``sys_procedureparameters.DataType``.
_JDBC_TYPES = {"VARCHAR": 12, "BIGINT": -5, "BOOLEAN": 16, "DOUBLE": 8, "TIMESTAMPTZ": 2014, "DATE": 91, "JSON": 12}
_NUMERIC_PRECISION = {"BIGINT": 19, "DOUBLE": 15}
#: ``Direction``: 1 input, 4 output (a result column), as CData's drivers number them.
DIRECTION_INPUT, DIRECTION_OUTPUT = 1, 4


def sys_procedure_rows(schemas: Sequence[str | None]) -> list[tuple[Any, ...]]:
    """Rows of ``sys_procedures``: one per procedure and known schema."""
    return [
        (CATALOG_NAME, schema, procedure.name, procedure.description, "STOREDPROCEDURE")
        for schema in schemas for procedure in catalog.all_procedures()
    ]


def sys_procedure_parameter_rows(schemas: Sequence[str | None]) -> list[tuple[Any, ...]]:
    """Rows of ``sys_procedureparameters``: the inputs (Direction 1), then the result columns (4)."""
    rows: list[tuple[Any, ...]] = []
    for schema in schemas:
        for procedure in catalog.all_procedures():
            ordinal = 0
            for param in procedure.params:
                ordinal += 1
                rows.append(_parameter_row(schema, procedure, param.name, DIRECTION_INPUT, param.type,
                                           param.description, ordinal, nullable=not param.required,
                                           required=param.required and not param.from_schema,
                                           default=_default_text(param), values=",".join(param.choices) or None,
                                           is_path=param.location == "path"))
            for column in procedure.result_columns:
                ordinal += 1
                rows.append(_parameter_row(schema, procedure, column.name, DIRECTION_OUTPUT, column.type,
                                           column.description, ordinal, nullable=True, required=False,
                                           default=None, values=None, is_path=False))
    return rows


def _default_text(param: ProcedureParam) -> str | None:
    if param.from_schema:
        return "the connection's Workspace"
    if param.default is None:
        return None
    return str(param.default).lower() if isinstance(param.default, bool) else str(param.default)


def _parameter_row(
    schema: str | None, procedure: ProcedureDef, name: str, direction: int, sql_type: str, description: str,
    ordinal: int, *, nullable: bool, required: bool, default: str | None, values: str | None, is_path: bool,
) -> tuple[Any, ...]:
    return (
        CATALOG_NAME, schema, procedure.name, name, direction, sql_type, _JDBC_TYPES.get(sql_type),
        None if sql_type != "VARCHAR" else 2000, _NUMERIC_PRECISION.get(sql_type), 0 if sql_type == "BIGINT" else None,
        nullable, required, False, description, ordinal, values, default, is_path,
    )
