"""Declarative table definitions.

Each table is one :class:`TableDef` in its own module under ``catalog/tables``. A definition
says everything the engine needs to plan requests for the table without table-specific
engine code: where the rows come from (path template and paging style), which path
placeholders are keys and where their values come from, how each column is read from the
API's JSON, and which SQL predicates and sorts the API can evaluate for it.

Types are SQL type names as DuckDB spells them: ``VARCHAR``, ``BIGINT``, ``DOUBLE``,
``BOOLEAN``, ``TIMESTAMPTZ`` (always UTC), ``DATE``, ``JSON``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

SqlType = Literal["VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMPTZ", "DATE", "JSON"]

#: SQL comparison operators a column may push into BBQL ``q``. ``LIKE`` (and ``ILIKE``) is
#: pushed as a case-insensitive ``~`` on a literal fragment of the pattern.
FilterOp = Literal["=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "IS NULL", "IS NOT NULL", "LIKE"]

#: How the API's answer to a pushed operator relates to SQL's: ``exact`` (the same rows, so
#: the scan may stop early or take a pushed LIMIT) or ``superset`` (possibly more rows, which
#: DuckDB drops; the scan is then never cut short).
Exactness = Literal["exact", "superset"]

ALL_COMPARISONS: frozenset[str] = frozenset(
    {"=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN", "IS NULL", "IS NOT NULL"}
)
RANGE_OPS: frozenset[str] = frozenset({"<", "<=", ">", ">="})
EQUALITY: frozenset[str] = frozenset({"=", "!=", "IN", "NOT IN"})
NULL_TESTS: frozenset[str] = frozenset({"IS NULL", "IS NOT NULL"})
#: Text columns push equality, null tests and LIKE; never ranges (``title < 'm'``): the API's
#: string order is not documented to be SQL's (byte-wise) order, so a pushed range would be
#: neither exact nor a superset.
TEXT_OPS: frozenset[str] = EQUALITY | NULL_TESTS | {"LIKE"}

#: Operators whose BBQL meaning differs from SQL's on every column unless declared otherwise:
#: ``!=`` and ``NOT IN`` also match null or missing fields (SQL's three-valued logic drops
#: them), and ``LIKE`` becomes ``~`` on a fragment. Their rows are re-checked locally and never
#: drive an early stop. A column that can never be null may declare ``superset_ops`` without
#: ``!=``/``NOT IN``.
SUPERSET_OPS: frozenset[str] = frozenset({"!=", "NOT IN", "LIKE"})


@dataclass(frozen=True)
class Column:
    """One SQL column of a table.

    ``path`` is the dotted path into the API object (``author.display_name``); ``None``
    means the value is not in the object but comes from the request scope (a path
    placeholder such as ``workspace``, ``repository`` or ``pull_request_id``).
    ``bbql`` is the BBQL field name when it differs from ``path``; ``filter_ops`` the SQL
    operators the API evaluates, and ``superset_ops`` those of them whose API answer may hold
    more rows than SQL's (:meth:`pushdown` says which; the engine never decides it by itself:
    it re-checks supersets locally and stops early only on exact answers). ``param`` names a
    plain query parameter that filters on equality instead of BBQL (pipelines,
    branch restrictions). ``sortable`` means ``sort=<field>`` orders exactly as SQL would
    for this column's type. ``default_field`` is False for fields the list endpoint leaves
    out unless asked for with ``fields=+values.<path>`` (reviewers on pull requests).
    ``listing_order`` marks a column (``path`` None, BIGINT) whose value is the row's position in
    its scope's listing as the API returns it (0 = first row): ``ORDER BY position LIMIT n`` and
    ``position < n`` are then early stops by construction. A table with such a column takes no
    server-side filter (no BBQL, no ``param``), so positions never depend on the query.
    """

    name: str
    type: SqlType
    path: str | None
    description: str = ""
    filter_ops: frozenset[str] = frozenset()
    superset_ops: frozenset[str] = SUPERSET_OPS
    bbql: str | None = None
    param: str | None = None
    sortable: bool = False
    default_field: bool = True
    listing_order: bool = False
    #: turns the value at ``path`` into the column's own: for a key the API embeds only inside
    #: another value (a repository's slug inside a condensed repository's ``full_name``). A named
    #: function of :mod:`.columns`, so tables stay declarative; such a column is filtered locally.
    derive: Callable[[Any], Any] | None = None
    #: a query parameter that caps this BIGINT column from above (``files.depth``: ``max_depth``):
    #: ``depth <= n`` (``< n``, ``= n``, ``BETWEEN a AND n``) sends ``max_depth=n`` and keeps the
    #: predicate local, so the API's answer is a superset DuckDB narrows
    bound_param: str | None = None

    def __post_init__(self) -> None:
        if self.type == "VARCHAR" and not self.param and self.filter_ops & RANGE_OPS:
            raise ValueError(
                f"column {self.name!r}: range operators on text cannot be pushed to BBQL (the API's string "
                f"order is not SQL's); leave {sorted(self.filter_ops & RANGE_OPS)} out of filter_ops"
            )

    def pushdown(self, op: str) -> Exactness | None:
        """How the API answers SQL operator ``op`` on this column: exact, superset, or None (local).

        A column with ``derive`` is always local: the API would compare the raw field, not the
        value the row holds.
        """
        if op not in self.filter_ops or self.derive is not None:
            return None
        return "superset" if op in self.superset_ops else "exact"

    @property
    def bbql_field(self) -> str | None:
        """The field name to use in BBQL ``q`` and ``sort``."""
        return self.bbql or self.path


@dataclass(frozen=True)
class PathKey:
    """A placeholder in the path template and where its values come from.

    ``{workspace}`` comes from the schema; every other key is a column of this table
    (``column``) whose values are enumerated, when the query does not fix them, from
    ``source_table.source_column`` within the same parent scope (repositories ->
    pull requests -> comments). ``source_where`` (column, value) keeps only the source rows
    whose column holds that value (``file_contents`` reads the paths of ``files`` whose type is
    ``commit_file``, never directories). ``values`` is a closed set of values enumerated without
    any request, for a key no table lists (``hook_events``' subject types). ``probe_path`` is
    where a value the query names is checked when a scope answers 404, for a key whose source
    table has no GET by that column (a ref: branch, tag or commit, all resolved by
    ``/commits/{commit}``), so a missing value is an error naming it rather than no rows.
    """

    placeholder: str
    column: str
    source_table: str | None = None
    source_column: str | None = None
    source_where: tuple[str, str] | None = None
    values: tuple[str, ...] = ()
    probe_path: str | None = None


@dataclass(frozen=True)
class UserListing:
    """A workspace-wide listing of one user's rows, used instead of one listing per repository.

    ``/workspaces/{workspace}/pullrequests/{selected_user}`` lists the pull requests a user
    authored in every repository of the workspace. When a query fixes one of ``columns``
    (``author_uuid = '{...}'``, or ``IN`` with up to ``max_values`` values), the engine may send
    one listing per value at ``path`` (``placeholder`` takes the value), with the same q, sort and
    limit, instead of one per repository, where that costs fewer requests or rounds
    (``engine.strategies.AuthorListing``, chosen by cost); each row's ``repository`` is
    derived from ``repository_path`` (the destination repository's full name). The endpoint
    only knows current members of the workspace (it misses the pull requests of people who
    have left), so the engine uses it only after checking every value against the workspace's
    members (``member_columns``: the ``workspace_members`` columns matching ``columns``, same
    order), and lists per repository otherwise: the answer never changes, only its cost.
    """

    path: str
    placeholder: str
    columns: tuple[str, ...]
    member_columns: tuple[str, ...]
    repository_path: str
    max_values: int = 5


#: The SQL statements a write operation can implement.
WriteKind = Literal["insert", "update", "delete"]
WRITE_KINDS: tuple[WriteKind, ...] = ("insert", "update", "delete")


@dataclass(frozen=True)
class WriteField:
    """One column a write sends in its JSON request body.

    ``body_path`` is the dotted path in the body (``source.branch.name``); None means the
    column's read ``path``, so a row reads and writes through the same mapping. ``required``
    columns must be given (INSERT) or must hold a value (UPDATE of a ``full_body`` write).
    ``secret`` values (webhook secrets, secured variables, deploy keys) are masked wherever a
    write is shown (EXPLAIN, errors, logs). ``type`` and ``description`` declare a *write-only*
    column the API accepts but never returns (a webhook's ``secret``); a field naming a table
    column takes that column's type.
    """

    column: str
    body_path: str | None = None
    required: bool = False
    secret: bool = False
    type: SqlType | None = None
    description: str = ""


@dataclass(frozen=True)
class WriteOp:
    """A write the API supports for this table.

    ``kind`` says which SQL statement it implements (``insert``, ``update``, ``delete``); an
    operation without a kind is an action (approve, merge...) that procedures call. Placeholders
    of ``path`` identify the target: for INSERT they are filled from the inserted row (and the
    schema's workspace), for UPDATE/DELETE from each target row. ``fields`` are the columns the
    body may carry (every other column is read-only for this operation). ``fixed_body`` holds
    values always sent (dotted path -> value, e.g. a ``type`` discriminator). ``full_body``
    (updates) sends every field with the row's current value unless SET changes it, for
    endpoints whose PUT replaces the object. ``shape_body`` is a named function of a catalog
    module that turns the declared body into the API's (pipelines' targets); ``scope`` is the
    OAuth scope the API requires, named when a credential lacks it.
    """

    method: Literal["POST", "PUT", "DELETE"]
    path: str
    description: str = ""
    kind: WriteKind | None = None
    fields: tuple[WriteField, ...] = ()
    scope: str | None = None
    fixed_body: tuple[tuple[str, Any], ...] = ()
    full_body: bool = False
    shape_body: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    #: the API-token (granular) scopes, when they differ from what :data:`TOKEN_SCOPES` derives
    token_scopes: tuple[str, ...] = ()

    @property
    def api_token_scopes(self) -> tuple[str, ...]:
        """The API-token scopes this write needs (``write:pullrequest:bitbucket``...)."""
        if self.token_scopes:
            return self.token_scopes
        return TOKEN_SCOPES.get(self.scope or "", ())

    def field(self, column: str) -> WriteField | None:
        """The body field of ``column`` (lower-case name), or None when this write cannot set it."""
        return next((f for f in self.fields if f.column == column), None)


#: classic OAuth scope of a write -> the API-token scopes the spec gives such writes
#: (``x-atlassian-oauth2-scopes``); a write that needs others declares ``token_scopes``.
TOKEN_SCOPES: dict[str, tuple[str, ...]] = {
    "repository": ("read:repository:bitbucket",),
    "repository:write": ("read:repository:bitbucket", "write:repository:bitbucket"),
    "repository:admin": ("admin:repository:bitbucket",),
    "repository:delete": ("delete:repository:bitbucket",),
    "pullrequest": ("read:pullrequest:bitbucket",),
    "pullrequest:write": ("read:pullrequest:bitbucket", "write:pullrequest:bitbucket"),
    "pipeline": ("read:pipeline:bitbucket", "write:pipeline:bitbucket"),
    "pipeline:write": ("read:pipeline:bitbucket", "write:pipeline:bitbucket"),
    "pipeline:variable": ("admin:pipeline:bitbucket",),
    "project:admin": ("admin:project:bitbucket",),
    "webhook": ("read:webhook:bitbucket", "write:webhook:bitbucket"),
}


def insert(path: str, description: str, *fields: WriteField, method: Literal["POST", "PUT"] = "POST",
           **options: Any) -> WriteOp:
    """An INSERT: ``POST`` (or ``PUT`` to a new key) of a body made of ``fields``."""
    return WriteOp(method, path, description, kind="insert", fields=fields, **options)


def update(path: str, description: str, *fields: WriteField, method: Literal["POST", "PUT"] = "PUT",
           **options: Any) -> WriteOp:
    """An UPDATE: ``PUT`` of the changed ``fields`` (or of all of them with ``full_body=True``)."""
    return WriteOp(method, path, description, kind="update", fields=fields, **options)


def delete(path: str, description: str, **options: Any) -> WriteOp:
    """A DELETE of the object at ``path``."""
    return WriteOp("DELETE", path, description, kind="delete", **options)


@dataclass(frozen=True)
class TableDef:
    """One table.

    ``path`` is relative to the API base (``/repositories/{workspace}/{repository}/pullrequests``).
    ``get_path`` fetches one object by ``get_key`` columns (``id = 5`` is one GET).
    ``wide_path`` lists the children of every parent at once (repository-wide PR activity)
    and is used when the query does not fix the innermost key. ``paging`` is ``page`` for
    list-style collections (``size``/``page`` present), ``cursor`` for opaque ``next`` links,
    ``single`` when the path returns one object that becomes one row, ``raw`` when it returns
    the raw bytes of a file (one row: ``size``, ``is_binary``, ``content_type`` and ``text``, the
    UTF-8 text or null for binaries; above ``max_content_bytes`` the query fails naming the
    file, see ``engine.raw_content``). ``bbql`` says whether
    the endpoint takes ``q``/``sort``. ``fixed_params`` are always sent (repeated keys as a
    tuple of values): pull requests send every ``state`` so that all states are listed.
    ``removed`` holds the message for tables whose API is gone (the issue tracker).
    ``sort_param`` names the query parameter that takes ``<field>``/``-<field>`` on an
    endpoint without BBQL (pipelines: ``sort``); columns marked ``sortable`` then sort through
    it. BBQL endpoints always sort with ``sort`` and leave this None.
    Placeholders in every path template (``path``, ``get_path``, ``wide_path``,
    ``WriteOp.path``) are either a :class:`PathKey` ``placeholder`` of this table or the name
    of one of its columns (``{id}`` in ``get_path`` is filled from ``get_key``'s ``id``).
    A key column with a non-None ``path`` is read from the object when present (rows of a
    ``wide_path`` carry it) and from the scope otherwise.
    """

    name: str
    description: str
    path: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    keys: tuple[PathKey, ...] = ()
    paging: Literal["page", "cursor", "single", "raw"] = "page"
    max_pagelen: int = 100
    max_content_bytes: int = 1_048_576
    bbql: bool = False
    get_path: str | None = None
    get_key: tuple[str, ...] = ()
    wide_path: str | None = None
    fixed_params: tuple[tuple[str, tuple[str, ...]], ...] = ()
    scope: Literal["global", "workspace", "repository"] = "repository"
    removed: str | None = None
    writes: tuple[WriteOp, ...] = ()
    notes: str = ""
    sort_param: str | None = None
    user_listing: UserListing | None = None

    def column(self, name: str) -> Column | None:
        """The column called ``name`` (case-insensitive), or None."""
        lowered = name.lower()
        return next((c for c in self.columns if c.name == lowered), None)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def write_op(self, kind: WriteKind) -> WriteOp | None:
        """The operation implementing SQL ``kind`` (insert, update, delete), or None."""
        return next((w for w in self.writes if w.kind == kind), None)

    @property
    def operations(self) -> tuple[WriteKind, ...]:
        """The SQL writes this table takes, in insert, update, delete order."""
        return tuple(kind for kind in WRITE_KINDS if self.write_op(kind) is not None)

    def writable_kinds(self, column: str) -> tuple[WriteKind, ...]:
        """The SQL writes that can set ``column`` (in a body or as a target key of an INSERT)."""
        kinds: list[WriteKind] = []
        for kind in ("insert", "update"):
            op = self.write_op(kind)
            if op is None:
                continue
            if op.field(column) is not None or (kind == "insert" and column in self.placeholder_columns(op.path)):
                kinds.append(kind)
        return tuple(kinds)

    def required_for_insert(self, column: str) -> bool:
        """Whether an INSERT must name ``column`` (a required field or a key of the write path)."""
        op = self.write_op("insert")
        if op is None:
            return False
        write_field = op.field(column)
        return (write_field is not None and write_field.required) or (
            column in self.placeholder_columns(op.path) and column != "workspace"
        )

    def write_access(self, column: str) -> str:
        """How SQL writes may set ``column``: ``insert (required), update``, or ``read-only``."""
        parts = []
        for kind in self.writable_kinds(column):
            required = kind == "insert" and self.required_for_insert(column)
            parts.append(f"{kind} (required)" if required else kind)
        return ", ".join(parts) if parts else "read-only"

    def write_only_fields(self) -> tuple[WriteField, ...]:
        """Fields writes accept that are not columns (the API never returns them: secrets)."""
        found: dict[str, WriteField] = {}
        for op in self.writes:
            for write_field in op.fields:
                if self.column(write_field.column) is None:
                    found.setdefault(write_field.column, write_field)
        return tuple(found.values())

    def placeholder_columns(self, template: str) -> dict[str, str]:
        """Column -> placeholder for every placeholder of ``template`` (keys map through ``keys``)."""
        by_placeholder = {key.placeholder: key.column for key in self.keys}
        found: dict[str, str] = {}
        for name in _PLACEHOLDER.findall(template):
            found[by_placeholder.get(name, name)] = name
        return found
