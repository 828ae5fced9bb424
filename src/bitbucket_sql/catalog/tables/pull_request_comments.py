"""Comments on pull requests (``GET .../pullrequests/{pull_request_id}/comments``, BBQL)."""

from ..columns import (
    PULL_REQUEST_KEY,
    REPOSITORY_KEYS,
    col,
    html_url_column,
    pull_request_id_column,
    repository_scope_columns,
    user_columns,
    with_bbql,
)
from ..model import TableDef, WriteField, WriteOp, delete, insert, update

_LIST = "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments"
_ONE = _LIST + "/{id}"

TABLE = TableDef(
    name="pull_request_comments",
    description="Comments on pull requests, including inline comments and replies, oldest first.",
    path=_LIST,
    keys=(*REPOSITORY_KEYS, PULL_REQUEST_KEY),
    bbql=True,
    get_path=_ONE,
    get_key=("id",),
    primary_key=("workspace", "repository", "pull_request_id", "id"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            pull_request_id_column(),
            col("id", "BIGINT", "id", "Id of the comment."),
            col("content_raw", "VARCHAR", "content.raw", "Text of the comment as written (markdown)."),
            *user_columns("user", "user", "the comment's author"),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the comment was written (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the comment was last edited (UTC)."),
            col(
                "deleted",
                "BOOLEAN",
                "deleted",
                "True for deleted comments (kept as placeholders of threads).",
            ),
            col("parent_id", "BIGINT", "parent.id", "For replies: id of the comment replied to."),
            col("inline_path", "VARCHAR", "inline.path", "For inline comments: path of the commented file."),
            col(
                "inline_from",
                "BIGINT",
                "inline.from",
                "For inline comments: line in the old version of the file.",
            ),
            col(
                "inline_to",
                "BIGINT",
                "inline.to",
                "For inline comments: line in the new version of the file.",
            ),
            col(
                "resolution_created_on",
                "TIMESTAMPTZ",
                "resolution.created_on",
                "When the comment thread was resolved (UTC).",
            ),
            *user_columns("resolution_user", "resolution.user", "the user who resolved the thread"),
            html_url_column("the comment"),
        ),
        not_filterable=("html_url",),
        not_sortable=("parent_id", "inline_from", "inline_to", "resolution_created_on"),
    ),
    writes=(
        insert(_LIST, "Comment on a pull request (body: content.raw, optional parent.id, inline); 201.",
               WriteField("content_raw", required=True), WriteField("parent_id"), WriteField("inline_path"),
               WriteField("inline_from"), WriteField("inline_to"), scope="pullrequest"),
        update(_ONE, "Edit a comment's text.", WriteField("content_raw", required=True), scope="pullrequest"),
        delete(_ONE, "Delete a comment.", scope="pullrequest"),
        WriteOp("POST", _ONE + "/resolve", "Resolve a comment thread."),
        WriteOp("DELETE", _ONE + "/resolve", "Reopen a resolved comment thread."),
    ),
)
