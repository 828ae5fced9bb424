"""Revisions of snippets (``GET /snippets/{workspace}/{encoded_id}/commits``)."""

from ..columns import WORKSPACE_KEY, col, workspace_column
from ..model import TableDef
from .snippet_comments import SNIPPET_KEY
from .snippets import SNIPPET_DESCRIPTION

TABLE = TableDef(
    name="snippet_commits",
    description="The revisions (git commits) of each snippet, newest first.",
    path="/snippets/{workspace}/{encoded_id}/commits",
    scope="workspace",
    keys=(WORKSPACE_KEY, SNIPPET_KEY),
    primary_key=("workspace", "snippet_id", "hash"),
    columns=(
        workspace_column(),
        col("snippet_id", "VARCHAR", None, SNIPPET_DESCRIPTION),
        col("hash", "VARCHAR", "hash", "Full hash of the revision."),
        col("date", "TIMESTAMPTZ", "date", "When the revision was made (UTC)."),
        col("message", "VARCHAR", "message", "Message of the revision."),
        col("author_raw", "VARCHAR", "author.raw", "Author as recorded by git: `Name <email>`."),
        col("author_user_uuid", "VARCHAR", "author.user.uuid", "UUID of the Bitbucket user matched to the author."),
        col("parents", "JSON", "parents", "Parent revisions (list of objects with `hash`)."),
    ),
)
