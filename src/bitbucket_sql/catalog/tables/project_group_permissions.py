"""Explicit group permissions on a project (``.../projects/{project_key}/permissions-config/groups``)."""

from ..columns import PROJECT_KEY, WORKSPACE_KEY, col, project_key_column, workspace_column
from ..model import TableDef, WriteField, delete, insert, update

_LIST = "/workspaces/{workspace}/projects/{project_key}/permissions-config/groups"
_ONE = _LIST + "/{group_slug}"

TABLE = TableDef(
    name="project_group_permissions",
    description="Groups granted a permission on a project explicitly.",
    path=_LIST,
    scope="workspace",
    keys=(WORKSPACE_KEY, PROJECT_KEY),
    get_path=_ONE,
    get_key=("group_slug",),
    primary_key=("workspace", "project_key", "group_slug"),
    columns=(
        workspace_column(),
        project_key_column(),
        col("permission", "VARCHAR", "permission", "read, write, create-repo or admin."),
        col("group_slug", "VARCHAR", "group.slug", "Slug of the group."),
        col("group_name", "VARCHAR", "group.name", "Name of the group."),
        col("group_full_slug", "VARCHAR", "group.full_slug", "Workspace and group slug: `workspace:group`."),
    ),
    writes=(
        insert(_ONE, "Grant a permission (read, write, admin); 402 at the plan's user limit.", WriteField(
            "permission", required=True), method="PUT", scope="project:admin", token_scopes=("admin:project:bitbucket", "write:permission:bitbucket")),
        update(_ONE, "Change the permission.", WriteField("permission", required=True), scope="project:admin", token_scopes=("admin:project:bitbucket", "write:permission:bitbucket")),
        delete(_ONE, "Revoke the explicit permission.", scope="project:admin", token_scopes=("admin:project:bitbucket", "delete:permission:bitbucket")),
    ),
    notes="permissions-config endpoints do not support BBQL; filters are evaluated locally.",
)
