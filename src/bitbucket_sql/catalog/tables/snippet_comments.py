"""Comments on snippets (``GET /snippets/{workspace}/{encoded_id}/comments``, BBQL)."""

from ..columns import WORKSPACE_KEY, col, user_columns, with_bbql, workspace_column
from ..model import PathKey, TableDef
from .snippets import SNIPPET_DESCRIPTION

SNIPPET_KEY = PathKey("encoded_id", "snippet_id", source_table="snippets", source_column="id")

TABLE = TableDef(
    name="snippet_comments",
    description="Comments written on snippets.",
    path="/snippets/{workspace}/{encoded_id}/comments",
    scope="workspace",
    keys=(WORKSPACE_KEY, SNIPPET_KEY),
    bbql=True,
    primary_key=("workspace", "snippet_id", "id"),
    columns=with_bbql((
        workspace_column(),
        col("snippet_id", "VARCHAR", None, SNIPPET_DESCRIPTION),
        col("id", "BIGINT", "id", "Id of the comment."),
        col("content_raw", "VARCHAR", "content.raw", "Text of the comment as written (markdown)."),
        *user_columns("user", "user", "the commenter"),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the comment was written (UTC)."),
        col("updated_on", "TIMESTAMPTZ", "updated_on", "When the comment last changed (UTC)."),
    )),
    notes="Oldest first. The spec says these comments work like commit and pull request comments: "
    "filters on `id`, `content_raw`, the commenter and the dates, and ORDER BY a date, go to the API (BBQL).",
)
