"""Members of a workspace with their permission (``GET /workspaces/{workspace}/permissions``, q)."""

from ..columns import PERMISSION_OPS, WORKSPACE_KEY, col, user_columns, with_bbql, workspace_column
from ..model import TableDef

TABLE = TableDef(
    name="workspace_permissions",
    description="Each member of the workspace with their workspace permission.",
    path="/workspaces/{workspace}/permissions",
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    bbql=True,
    primary_key=("workspace", "user_uuid"),
    columns=with_bbql(
        (
            workspace_column(),
            col(
                "permission",
                "VARCHAR",
                "permission",
                "owner, create-project, member or collaborator.",
                filter_ops=PERMISSION_OPS,
            ),
            *user_columns("user", "user", "the member"),
            col("added_on", "TIMESTAMPTZ", "added_on", "When the user joined the workspace (UTC)."),
            col(
                "last_accessed",
                "TIMESTAMPTZ",
                "last_accessed",
                "When the user last accessed the workspace (UTC).",
            ),
        ),
        not_sortable=("added_on", "last_accessed"),
    ),
    notes="The endpoint takes `q` but not `sort`, so ORDER BY is done locally. `added_on` and "
    "`last_accessed` are absent for workspaces administered in admin.atlassian.com.",
)
