"""Forks of a repository (``GET .../forks``, BBQL)."""

from ..columns import REPOSITORY_KEYS, col, html_url_column, repository_scope_columns, user_columns, with_bbql
from ..model import TableDef, WriteField, insert

_LIST = "/repositories/{workspace}/{repo_slug}/forks"

TABLE = TableDef(
    name="forks",
    description="Forks of a repository (each fork may live in another workspace).",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    bbql=True,
    primary_key=("workspace", "repository", "uuid"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the fork."),
            col("full_name", "VARCHAR", "full_name", "Full name of the fork: `workspace/slug`."),
            col("slug", "VARCHAR", "slug", "Slug of the fork."),
            col("name", "VARCHAR", "name", "Name of the fork."),
            col("fork_workspace", "VARCHAR", "workspace.slug", "Slug of the workspace the fork lives in."),
            col("description", "VARCHAR", "description", "Description of the fork."),
            col("is_private", "BOOLEAN", "is_private", "Whether the fork is private."),
            col("language", "VARCHAR", "language", "Main language."),
            col("size", "BIGINT", "size", "Size in bytes."),
            col("mainbranch_name", "VARCHAR", "mainbranch.name", "Main branch of the fork."),
            col("project_key", "VARCHAR", "project.key", "Project of the fork."),
            *user_columns("owner", "owner", "the fork's owner", account_id=False),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the fork was created (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the fork was last updated (UTC)."),
            html_url_column("the fork"),
        ),
        not_filterable=("html_url",),
    ),
    writes=(
        insert(_LIST, "Fork the repository named by `repository` (body: name, workspace.slug, ...); 201 with the fork.",
               WriteField("name"), WriteField("fork_workspace"), WriteField("description"), WriteField("is_private"),
               WriteField("language"), WriteField("mainbranch_name"), scope="repository:write"),
    ),
)
