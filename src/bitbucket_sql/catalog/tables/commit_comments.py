"""Comments on commits (``GET .../commit/{commit}/comments``, BBQL)."""

from ..columns import REPOSITORY_KEYS, col, html_url_column, repository_scope_columns, user_columns, with_bbql
from ..model import PathKey, TableDef

_LIST = "/repositories/{workspace}/{repo_slug}/commit/{commit}/comments"

TABLE = TableDef(
    name="commit_comments",
    description="Comments written on commits (outside pull requests), oldest first.",
    path=_LIST,
    keys=(*REPOSITORY_KEYS, PathKey("commit", "commit_hash", source_table="commits", source_column="hash")),
    bbql=True,
    get_path=_LIST + "/{id}",
    get_key=("id",),
    primary_key=("workspace", "repository", "commit_hash", "id"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("commit_hash", "VARCHAR", None, "Hash of the commit the comment is on (as named in the query)."),
            col("id", "BIGINT", "id", "Id of the comment."),
            col("content_raw", "VARCHAR", "content.raw", "Text of the comment as written (markdown)."),
            *user_columns("user", "user", "the commenter"),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the comment was written (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the comment last changed (UTC)."),
            col("deleted", "BOOLEAN", "deleted", "Whether the comment was deleted."),
            col("parent_id", "BIGINT", "parent.id", "Id of the comment this one replies to."),
            col("inline_path", "VARCHAR", "inline.path", "File an inline comment is on."),
            col("inline_to", "BIGINT", "inline.to", "Line (in the new version) an inline comment is on."),
            html_url_column("the comment"),
        ),
        not_filterable=("html_url",),
    ),
    notes="Without `commit_hash = ...` every commit of the repository is visited: fix the commit or join "
    "from a filtered `commits` query.",
)
