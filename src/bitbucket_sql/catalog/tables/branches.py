"""Branches of a repository (``GET .../refs/branches``, BBQL)."""

from ..columns import REPOSITORY_KEYS, col, html_url_column, repository_scope_columns, with_bbql
from ..model import TableDef, WriteField, delete, insert

_LIST = "/repositories/{workspace}/{repo_slug}/refs/branches"

TABLE = TableDef(
    name="branches",
    description="Branches of a repository with their head commit.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    bbql=True,
    get_path=_LIST + "/{name}",
    get_key=("name",),
    primary_key=("workspace", "repository", "name"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("name", "VARCHAR", "name", "Branch name (may contain `/`)."),
            col("target_hash", "VARCHAR", "target.hash", "Hash of the head commit."),
            col("target_date", "TIMESTAMPTZ", "target.date", "Date of the head commit (UTC)."),
            col("target_message", "VARCHAR", "target.message", "Message of the head commit."),
            col(
                "target_author_raw",
                "VARCHAR",
                "target.author.raw",
                "Author of the head commit: `Name <email>`.",
            ),
            col(
                "target_author_user_uuid",
                "VARCHAR",
                "target.author.user.uuid",
                "UUID of the Bitbucket user who authored the head commit.",
            ),
            col(
                "target_author_user_display_name",
                "VARCHAR",
                "target.author.user.display_name",
                "Display name of the Bitbucket user who authored the head commit.",
            ),
            col("merge_strategies", "JSON", "merge_strategies", "Merge strategies allowed into this branch."),
            col(
                "default_merge_strategy",
                "VARCHAR",
                "default_merge_strategy",
                "Merge strategy preselected for pull requests into this branch.",
            ),
            html_url_column("the branch"),
        ),
        not_filterable=("html_url",),
        not_sortable=("target_date",),
    ),
    writes=(
        insert(_LIST, "Create a branch at a commit (body: name, target.hash); 201 with the branch.",
               WriteField("name", required=True), WriteField("target_hash", required=True),
               scope="repository:write"),
        delete(_LIST + "/{name}", "Delete a branch (not the main branch).", scope="repository:write", token_scopes=("write:repository:bitbucket",)),
    ),
    notes="`sort=name` is natural ordering (v9 < v10) and `sort=target.date` is undocumented, so "
    "ORDER BY is always done locally.",
)
