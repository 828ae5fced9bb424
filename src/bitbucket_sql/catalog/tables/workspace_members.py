"""Members of a workspace (``GET /workspaces/{workspace}/members``)."""

from ..columns import WORKSPACE_KEY, col, user_columns, workspace_column
from ..model import TableDef

TABLE = TableDef(
    name="workspace_members",
    description="Users who are members of the workspace.",
    path="/workspaces/{workspace}/members",
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    get_path="/workspaces/{workspace}/members/{user_uuid}",
    get_key=("user_uuid",),
    primary_key=("workspace", "user_uuid"),
    columns=(
        workspace_column(),
        *user_columns("user", "user", "the member"),
        col("user_nickname", "VARCHAR", "user.nickname", "Nickname of the member."),
    ),
    notes="The endpoint filters only on `user.email` (admins only) and hides e-mail addresses otherwise, "
    "so no filter is pushed down. Permissions are in `workspace_permissions`.",
)
