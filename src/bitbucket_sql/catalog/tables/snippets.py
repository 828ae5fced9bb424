"""Snippets of a workspace (``GET /snippets/{workspace}``)."""

from ..columns import WORKSPACE_KEY, col, html_url_column, user_columns, workspace_column
from ..model import TableDef

_LIST = "/snippets/{workspace}"

#: The key of every snippet child table: the snippet's id as it appears in URLs.
SNIPPET_DESCRIPTION = "Id of the snippet as it appears in its URL (see snippets)."

TABLE = TableDef(
    name="snippets",
    description="Snippets (shared pieces of code or text) owned by the workspace.",
    path=_LIST,
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    get_path=_LIST + "/{id}",
    get_key=("id",),
    primary_key=("workspace", "id"),
    columns=(
        workspace_column(),
        col("id", "VARCHAR", "id", "Id of the snippet (as it appears in its URL)."),
        col("title", "VARCHAR", "title", "Title."),
        col("scm", "VARCHAR", "scm", "Version control system of the snippet (`git`)."),
        col("is_private", "BOOLEAN", "is_private", "Whether only workspace members can see it."),
        *user_columns("creator", "creator", "the user who created the snippet"),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the snippet was created (UTC)."),
        col("updated_on", "TIMESTAMPTZ", "updated_on", "When the snippet last changed (UTC)."),
        html_url_column("the snippet"),
    ),
)
