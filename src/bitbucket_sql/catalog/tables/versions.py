"""Versions of the removed issue tracker (``.../versions``); kept so old queries parse and explain."""

from ..columns import ISSUE_TRACKER_REMOVED, REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef

_LIST = "/repositories/{workspace}/{repo_slug}/versions"

TABLE = TableDef(
    name="versions",
    description="Issue versions of a repository (the issue tracker was removed on 2026-08-20).",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_LIST + "/{id}",
    get_key=("id",),
    removed=ISSUE_TRACKER_REMOVED,
    primary_key=("workspace", "repository", "id"),
    columns=(
        *repository_scope_columns(),
        col("id", "BIGINT", "id", "Id of the version."),
        col("name", "VARCHAR", "name", "Name of the version."),
    ),
)
