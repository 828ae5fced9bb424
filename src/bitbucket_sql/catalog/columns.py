"""Building blocks shared by the table modules.

The table modules stay declarative and short by composing these helpers: the scope columns
every table carries (``workspace``, ``repository``), the standard path keys, the column
triple of an embedded user, and :func:`with_bbql`, which gives every column of a BBQL
endpoint the operator set its type supports (one rule, so the tables cannot disagree).
Which of those operators the API answers exactly and which only as a superset is declared on
the column too (``Column.superset_ops``, default ``model.SUPERSET_OPS``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .model import ALL_COMPARISONS, EQUALITY, NULL_TESTS, SUPERSET_OPS, TEXT_OPS, Column, PathKey, SqlType

#: BOOLEAN columns: equality and null tests (``<`` on booleans is not useful in BBQL).
BOOLEAN_OPS: frozenset[str] = EQUALITY | NULL_TESTS

#: Permission levels (read < write < admin) compare by rank in BBQL, not alphabetically as in SQL,
#: so permission columns push equality only.
PERMISSION_OPS: frozenset[str] = EQUALITY | NULL_TESTS

#: ``superset_ops`` of a column the API always fills (a pull request's ``state``): with no null
#: or missing value, BBQL's ``!=`` and ``NOT IN`` keep exactly SQL's rows; only LIKE stays a superset.
NEVER_NULL_SUPERSET_OPS: frozenset[str] = frozenset({"LIKE"})

#: Plain query parameters filter on one value only.
PARAM_OPS: frozenset[str] = frozenset({"="})

#: Types whose BBQL ``sort`` order equals SQL's order (strings are excluded: the API's string
#: ordering is not documented as byte-wise, and refs use natural ordering).
SORTABLE_TYPES: frozenset[str] = frozenset({"BIGINT", "DOUBLE", "TIMESTAMPTZ", "DATE"})

WORKSPACE_KEY = PathKey("workspace", "workspace")
REPOSITORY_KEY = PathKey("repo_slug", "repository", source_table="repositories", source_column="slug")
REPOSITORY_KEYS: tuple[PathKey, ...] = (WORKSPACE_KEY, REPOSITORY_KEY)
PROJECT_KEY = PathKey("project_key", "project_key", source_table="projects", source_column="key")
PULL_REQUEST_KEY = PathKey(
    "pull_request_id", "pull_request_id", source_table="pull_requests", source_column="id"
)

ISSUE_TRACKER_REMOVED = (
    "Bitbucket Cloud removed its issue tracker (and wikis) on 2026-08-20; its endpoints answer "
    "410 Gone. The table is kept so that old queries still parse. Track issues in Jira "
    "(https://www.atlassian.com/software/jira) and query them there."
)


def ops_for(sql_type: SqlType) -> frozenset[str]:
    """The SQL operators pushed into BBQL for a column of ``sql_type`` (none for JSON; no ranges on text)."""
    if sql_type == "VARCHAR":
        return TEXT_OPS
    if sql_type == "BOOLEAN":
        return BOOLEAN_OPS
    if sql_type == "JSON":
        return frozenset()
    return ALL_COMPARISONS


def col(
    name: str,
    sql_type: SqlType,
    path: str | None,
    description: str,
    *,
    filter_ops: frozenset[str] = frozenset(),
    param: str | None = None,
    sortable: bool = False,
    default_field: bool = True,
    listing_order: bool = False,
    superset_ops: frozenset[str] = SUPERSET_OPS,
) -> Column:
    """A column; a positional shorthand that keeps the table modules readable."""
    return Column(
        name=name,
        type=sql_type,
        path=path,
        description=description,
        filter_ops=filter_ops,
        superset_ops=superset_ops,
        param=param,
        sortable=sortable,
        default_field=default_field,
        listing_order=listing_order,
    )


def slug_of_full_name(full_name: Any) -> str | None:
    """``acme/api`` -> ``api``: a repository's slug, which condensed repository objects lack."""
    if not isinstance(full_name, str) or "/" not in full_name:
        return None
    return full_name.rsplit("/", 1)[1] or None


def repository_slug_column(full_name_path: str = "repository.full_name") -> Column:
    """``repository``, the slug every repository table is keyed and joined on, for an endpoint
    that embeds only a condensed repository (``full_name``, no slug)."""
    return Column(
        name="repository",
        type="VARCHAR",
        path=full_name_path,
        description="Slug of the repository (from its full name): joins with every repository table.",
        derive=slug_of_full_name,
    )


def workspace_column() -> Column:
    return col("workspace", "VARCHAR", None, "Slug of the workspace (the SQL schema) the row belongs to.")


def repository_column() -> Column:
    return col("repository", "VARCHAR", None, "Slug of the repository the row belongs to.")


def project_key_column() -> Column:
    return col("project_key", "VARCHAR", None, "Key of the project the row belongs to.")


def pull_request_id_column(path: str | None = None) -> Column:
    return col("pull_request_id", "BIGINT", path, "Id of the pull request the row belongs to.")


def repository_scope_columns() -> tuple[Column, ...]:
    """``workspace`` and ``repository``: the scope columns of every repository-level table."""
    return (workspace_column(), repository_column())


def user_columns(prefix: str, path: str, who: str, *, account_id: bool = True) -> tuple[Column, ...]:
    """The uuid, account id and display name of an embedded user (``author`` -> ``author_uuid``...).

    ``who`` completes the descriptions ("the pull request's author").
    """
    columns = [col(f"{prefix}_uuid", "VARCHAR", f"{path}.uuid", f"UUID (with braces) of {who}.")]
    if account_id:
        columns.append(
            col(f"{prefix}_account_id", "VARCHAR", f"{path}.account_id", f"Atlassian account id of {who}.")
        )
    columns.append(
        col(f"{prefix}_display_name", "VARCHAR", f"{path}.display_name", f"Display name of {who}.")
    )
    return tuple(columns)


def html_url_column(what: str) -> Column:
    return col("html_url", "VARCHAR", "links.html.href", f"Web address of {what} on bitbucket.org.")


def with_bbql(
    columns: tuple[Column, ...],
    *,
    not_filterable: tuple[str, ...] = (),
    not_sortable: tuple[str, ...] = (),
) -> tuple[Column, ...]:
    """Mark the columns of a BBQL endpoint as filterable/sortable by their type.

    BBQL accepts any field of the object, so every column read from the object gets the
    operators of its type, except those listed in ``not_filterable`` (and scope columns, whose
    values go into the URL, and derived columns, whose values are not the API field's). Numbers
    and timestamps become sortable unless in ``not_sortable``. Columns that already declare
    ``filter_ops`` keep them.
    """
    marked = []
    for column in columns:
        if column.path is None or column.derive is not None or column.name in not_filterable or column.filter_ops:
            marked.append(column)
            continue
        marked.append(
            replace(
                column,
                filter_ops=ops_for(column.type),
                sortable=column.type in SORTABLE_TYPES and column.name not in not_sortable,
            )
        )
    return tuple(marked)


def path_depth(path: Any) -> int | None:
    """``src/app/main.py`` -> 3: how many levels below the repository root an entry is."""
    if not isinstance(path, str) or not path:
        return None
    return path.strip("/").count("/") + 1
