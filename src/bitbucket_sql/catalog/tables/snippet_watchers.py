"""Watchers of snippets (``GET /snippets/{workspace}/{encoded_id}/watchers``)."""

from ..columns import WORKSPACE_KEY, col, workspace_column
from ..model import TableDef
from ..shapes import account_columns
from .snippet_comments import SNIPPET_KEY
from .snippets import SNIPPET_DESCRIPTION

TABLE = TableDef(
    name="snippet_watchers",
    description="Users who watch each snippet.",
    path="/snippets/{workspace}/{encoded_id}/watchers",
    scope="workspace",
    keys=(WORKSPACE_KEY, SNIPPET_KEY),
    primary_key=("workspace", "snippet_id", "uuid"),
    columns=(workspace_column(), col("snippet_id", "VARCHAR", None, SNIPPET_DESCRIPTION), *account_columns("the watcher")),
    notes="The spec marks this endpoint deprecated; Bitbucket still answers it.",
)
