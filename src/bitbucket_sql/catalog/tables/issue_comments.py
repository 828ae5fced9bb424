"""Comments on issues of the removed issue tracker (``.../issues/{issue_id}/comments``)."""

from ..columns import (
    ISSUE_TRACKER_REMOVED,
    REPOSITORY_KEYS,
    col,
    html_url_column,
    repository_scope_columns,
    user_columns,
    with_bbql,
)
from ..model import PathKey, TableDef

_LIST = "/repositories/{workspace}/{repo_slug}/issues/{issue_id}/comments"

TABLE = TableDef(
    name="issue_comments",
    description="Comments on issues (the issue tracker was removed from Bitbucket Cloud on 2026-08-20).",
    path=_LIST,
    keys=(*REPOSITORY_KEYS, PathKey("issue_id", "issue_id", source_table="issues", source_column="id")),
    bbql=True,
    get_path=_LIST + "/{id}",
    get_key=("id",),
    removed=ISSUE_TRACKER_REMOVED,
    primary_key=("workspace", "repository", "issue_id", "id"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("issue_id", "BIGINT", None, "Number of the issue the comment belongs to."),
            col("id", "BIGINT", "id", "Id of the comment."),
            col("content_raw", "VARCHAR", "content.raw", "Text of the comment."),
            *user_columns("user", "user", "the commenter"),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the comment was written (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the comment was last edited (UTC)."),
            html_url_column("the comment"),
        ),
        not_filterable=("html_url",),
    ),
)
