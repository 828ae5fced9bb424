"""Rows -> the exact HTTP requests of a write, from the table's declaration alone.

A :class:`WritePlanner` knows one table and one of its :class:`~bitbucket_sql.catalog.model.WriteOp` s.
It checks the statement's columns before anything is read or sent (unknown, read-only, missing
required), then turns each row into a :class:`WriteRequest`: the path's placeholders filled
from the row (``catalog.templates.fill``, the same function reads use), the body built by
setting each field's value at its JSON path (the read path unless declared otherwise), values
type-checked on the way. Secret fields are remembered so that every way of showing a request
masks them.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bitbucket_sql.api.redact import MASK
from bitbucket_sql.catalog.model import TableDef, WriteField, WriteKind, WriteOp
from bitbucket_sql.catalog.templates import fill

from .errors import WriteValidationError
from .values import ValueTypeError, set_path, to_json_value


@dataclass
class WriteRequest:
    """One request a write will send, and what it stands for."""

    method: str
    path: str
    body: dict[str, Any] | None
    #: the row's identity in messages: ``repository=api, name=feature/x``
    identity: str
    #: dotted body paths holding secrets (masked whenever the request is shown)
    secret_paths: tuple[str, ...] = ()
    #: the target's key values (scope columns of RETURNING rows: workspace, repository...)
    keys: dict[str, Any] = field(default_factory=dict)
    #: the row as read before an UPDATE/DELETE, or as given to an INSERT (column -> value)
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def line(self) -> str:
        return f"{self.method} {self.path}"

    def shown_body(self) -> str | None:
        """The body as JSON text with every secret masked (for EXPLAIN, errors and logs)."""
        if self.body is None:
            return None
        return json.dumps(masked(self.body, self.secret_paths), ensure_ascii=False, sort_keys=True)

    def secret_values(self) -> list[str]:
        """The secret texts this request carries (to scrub from any message that might echo them)."""
        found = []
        for path in self.secret_paths:
            node: Any = self.body
            for part in path.split("."):
                node = node.get(part) if isinstance(node, dict) else None
            found += _texts(node)
        return found


def _texts(node: Any) -> list[str]:
    """The secret texts in a secret field's value: the text itself, or the ``value`` entries of a
    list of variables (``[{"key": "TOKEN", "value": "..."}]``)."""
    if isinstance(node, str):
        return [node] if node else []
    if isinstance(node, list):
        return [text for item in node for text in _texts(item)]
    if isinstance(node, dict):
        value = node.get("value")
        return [value] if isinstance(value, str) and value else []
    return []


def masked(body: dict[str, Any], secret_paths: Sequence[str]) -> dict[str, Any]:
    """A copy of ``body`` with the value at each secret path replaced by the mask."""
    shown = copy.deepcopy(body)
    for path in secret_paths:
        parts = path.split(".")
        node: Any = shown
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node.get(parts[-1]) is not None:
            node[parts[-1]] = MASK
    return shown


class WritePlanner:
    """Checks and builds the requests of one write operation on one table."""

    def __init__(self, table: TableDef, op: WriteOp, kind: WriteKind) -> None:
        self.table = table
        self.op = op
        self.kind = kind
        self.path_columns = table.placeholder_columns(op.path)  # column -> placeholder

    # --- columns ------------------------------------------------------------------------------
    def column_type(self, name: str) -> str:
        column = self.table.column(name)
        if column is not None:
            return column.type
        write_field = self.op.field(name)
        return write_field.type if write_field is not None and write_field.type else "VARCHAR"

    def check_insert_columns(self, columns: Sequence[str], defaults: Mapping[str, Any]) -> None:
        """Unknown, read-only, duplicate and missing required columns of an INSERT, before any request."""
        if not columns:
            raise WriteValidationError(
                self.table.name, None,
                f"name the columns to set: INSERT INTO {self.table.name} ({', '.join(self.required_columns())}) "
                f"VALUES (...).",
            )
        seen: set[str] = set()
        for name in columns:
            if name in seen:
                raise WriteValidationError(self.table.name, name, "it is named twice in the column list.")
            seen.add(name)
            self._check_settable(name)
        missing = [name for name in self.required_columns() if name not in seen and defaults.get(name) is None]
        if missing:
            raise WriteValidationError(
                self.table.name, missing[0],
                f"it is required to create a row ({', '.join(missing)} must be given; required columns: "
                f"{', '.join(self.required_columns())}).",
            )

    def check_update_columns(self, columns: Sequence[str]) -> None:
        seen: set[str] = set()
        for name in columns:
            if name in seen:
                raise WriteValidationError(self.table.name, name, "it is assigned twice in SET.")
            seen.add(name)
            self._check_settable(name)

    def required_columns(self) -> list[str]:
        keys = [column for column in self.path_columns if column != "workspace"] if self.kind == "insert" else []
        return keys + [f.column for f in self.op.fields if f.required and f.column not in keys]

    def settable_columns(self) -> list[str]:
        keys = list(self.path_columns) if self.kind == "insert" else []
        return keys + [f.column for f in self.op.fields if f.column not in keys]

    def _check_settable(self, name: str) -> None:
        if name in self.settable_columns():
            return
        if self.table.column(name) is None:
            close = difflib.get_close_matches(name, [*self.table.column_names, *self.settable_columns()], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise WriteValidationError(self.table.name, name, f"the table has no such column.{hint} "
                                       f"Columns an {self.kind.upper()} can set: {', '.join(self.settable_columns())}.")
        raise WriteValidationError(
            self.table.name, name,
            f"it is read-only for {self.kind.upper()} (Bitbucket sets it). Columns an {self.kind.upper()} can set: "
            f"{', '.join(self.settable_columns()) or 'none'}.",
        )

    # --- requests -----------------------------------------------------------------------------
    def insert_request(self, values: Mapping[str, Any]) -> WriteRequest:
        """The request creating one row from ``values`` (column -> value, defaults included)."""
        keys = {column: values.get(column) for column in self.path_columns}
        for column, value in keys.items():
            if value is None:
                raise WriteValidationError(self.table.name, column, "it is required to create a row and is NULL.")
            self._checked(column, value, "VARCHAR" if column == "workspace" else self.column_type(column))
        body: dict[str, Any] = {}
        for write_field in self.op.fields:
            value = values.get(write_field.column)
            if value is None:
                if write_field.required:
                    raise WriteValidationError(self.table.name, write_field.column,
                                               "it is required to create a row and is NULL.")
                continue
            self._put(body, write_field, value)
        return self._request(keys, body, dict(values))

    def update_request(self, current: Mapping[str, Any], changes: Mapping[str, Any]) -> WriteRequest:
        """The request changing one target row (``current`` as read) by ``changes`` (column -> new value)."""
        keys = {column: current.get(column) for column in self.path_columns}
        body: dict[str, Any] = {}
        for write_field in self.op.fields:
            if write_field.column in changes:
                value = changes[write_field.column]
            elif self.op.full_body:
                value = current.get(write_field.column)
            else:
                continue
            if value is None:
                if write_field.required:
                    raise WriteValidationError(self.table.name, write_field.column,
                                               "it cannot be set to NULL (the API requires a value).")
                set_path(body, write_field.body_path or self._read_path(write_field), None)
                continue
            self._put(body, write_field, value)
        return self._request(keys, body, {**current, **changes})

    def delete_request(self, current: Mapping[str, Any]) -> WriteRequest:
        keys = {column: current.get(column) for column in self.path_columns}
        return self._request(keys, None, dict(current))

    def _request(self, keys: Mapping[str, Any], body: dict[str, Any] | None, row: dict[str, Any]) -> WriteRequest:
        values = {placeholder: keys[column] for column, placeholder in self.path_columns.items()}
        named = [c for c in dict.fromkeys([*self.path_columns, *self.table.primary_key]) if c != "workspace"]
        identity = ", ".join(f"{column}={keys.get(column, row.get(column))}" for column in named
                             if keys.get(column, row.get(column)) is not None)
        try:
            path = fill(self.op.path, values)
        except (KeyError, ValueError) as error:
            raise WriteValidationError(self.table.name, None, f"the row {identity or '(no key)'} cannot be addressed: "
                                       f"{error}.") from None
        if body is not None or self.kind != "delete":
            body = dict(body or {})
            for dotted, fixed in self.op.fixed_body:
                set_path(body, dotted, fixed)
            if self.op.shape_body is not None:
                body = self.op.shape_body(body)
            if not body and self.op.method == "PUT" and not self.op.fields:
                body = None  # a PUT that only names its target (add a default reviewer)
        secrets = tuple(f.body_path or self._read_path(f) for f in self.op.fields if f.secret)
        return WriteRequest(self.op.method, path, body, identity or self.table.name, secrets, dict(keys), row)

    def _put(self, body: dict[str, Any], write_field: WriteField, value: Any) -> None:
        json_value = self._checked(write_field.column, value, self.column_type(write_field.column),
                                   secret=write_field.secret)
        set_path(body, write_field.body_path or self._read_path(write_field), json_value)

    def _read_path(self, write_field: WriteField) -> str:
        column = self.table.column(write_field.column)
        if column is None or column.path is None:
            return write_field.column
        return column.path

    def _checked(self, column: str, value: Any, sql_type: str, *, secret: bool = False) -> Any:
        try:
            return to_json_value(value, sql_type)
        except ValueTypeError as error:
            problem = str(error)
            if secret and isinstance(value, str):
                problem = problem.replace(repr(value[:40]), MASK)
            raise WriteValidationError(self.table.name, column, problem + ".") from None
