"""Deploy keys of a project (``GET /workspaces/{workspace}/projects/{project_key}/deploy-keys``)."""

from ..columns import PROJECT_KEY, WORKSPACE_KEY, col, project_key_column, user_columns, workspace_column
from ..model import TableDef
from ..shapes import ssh_key_columns

_LIST = "/workspaces/{workspace}/projects/{project_key}/deploy-keys"

TABLE = TableDef(
    name="project_deploy_keys",
    description="SSH keys with read access to every repository of a project.",
    path=_LIST,
    scope="workspace",
    keys=(WORKSPACE_KEY, PROJECT_KEY),
    get_path=_LIST + "/{id}",
    get_key=("id",),
    primary_key=("workspace", "project_key", "id"),
    columns=(
        workspace_column(),
        project_key_column(),
        col("id", "BIGINT", "id", "Id of the key."),
        *ssh_key_columns(),
        col("added_on", "TIMESTAMPTZ", "added_on", "When the key was added (UTC)."),
        *user_columns("created_by", "created_by", "the user who added the key"),
    ),
)
