"""The caller's own permission on each repository (``GET /user/workspaces/{workspace}/permissions/repositories``)."""

from ..columns import PERMISSION_OPS, WORKSPACE_KEY, col, repository_slug_column, with_bbql, workspace_column
from ..model import TableDef

TABLE = TableDef(
    name="current_user_repository_permissions",
    description="The caller's explicit permission on each repository of the workspace (no admin rights needed).",
    path="/user/workspaces/{workspace}/permissions/repositories",
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    bbql=True,
    primary_key=("workspace", "repository_uuid"),
    columns=with_bbql(
        (
            workspace_column(),
            col("permission", "VARCHAR", "permission", "read, write or admin.", filter_ops=PERMISSION_OPS),
            repository_slug_column(),
            col("repository_full_name", "VARCHAR", "repository.full_name", "Full name `workspace/slug`."),
            col("repository_name", "VARCHAR", "repository.name", "Name of the repository."),
            col("repository_uuid", "VARCHAR", "repository.uuid", "UUID of the repository."),
        )
    ),
    notes="Unlike `repository_permissions` (every user, admins only) this lists only the caller's own "
    "grants. `repository` is the slug, taken from the condensed repository's full name.",
)
