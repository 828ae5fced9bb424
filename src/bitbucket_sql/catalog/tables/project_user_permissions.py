"""Explicit user permissions on a project (``.../projects/{project_key}/permissions-config/users``)."""

from ..columns import (
    PROJECT_KEY,
    WORKSPACE_KEY,
    col,
    project_key_column,
    user_columns,
    workspace_column,
)
from ..model import TableDef, WriteField, delete, insert, update

_LIST = "/workspaces/{workspace}/projects/{project_key}/permissions-config/users"
_ONE = _LIST + "/{user_uuid}"

TABLE = TableDef(
    name="project_user_permissions",
    description="Users granted a permission on a project explicitly.",
    path=_LIST,
    scope="workspace",
    keys=(WORKSPACE_KEY, PROJECT_KEY),
    get_path=_ONE,
    get_key=("user_uuid",),
    primary_key=("workspace", "project_key", "user_uuid"),
    columns=(
        workspace_column(),
        project_key_column(),
        col("permission", "VARCHAR", "permission", "read, write, create-repo or admin."),
        *user_columns("user", "user", "the user"),
    ),
    writes=(
        insert(_ONE, "Grant a permission (read, write, admin); 402 at the plan's user limit.", WriteField(
            "permission", required=True), method="PUT", scope="project:admin", token_scopes=("admin:project:bitbucket", "write:permission:bitbucket")),
        update(_ONE, "Change the permission.", WriteField("permission", required=True), scope="project:admin", token_scopes=("admin:project:bitbucket", "write:permission:bitbucket")),
        delete(_ONE, "Revoke the explicit permission.", scope="project:admin", token_scopes=("admin:project:bitbucket", "delete:permission:bitbucket")),
    ),
    notes="permissions-config endpoints do not support BBQL; filters are evaluated locally.",
)
