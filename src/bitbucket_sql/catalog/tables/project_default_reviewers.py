"""Default reviewers of a project (``.../projects/{project_key}/default-reviewers``)."""

from ..columns import PROJECT_KEY, WORKSPACE_KEY, col, project_key_column, user_columns, workspace_column
from ..model import TableDef, delete, insert

_LIST = "/workspaces/{workspace}/projects/{project_key}/default-reviewers"
_ONE = _LIST + "/{user_uuid}"

TABLE = TableDef(
    name="project_default_reviewers",
    description="Users added as reviewers to every new pull request in the project's repositories.",
    path=_LIST,
    scope="workspace",
    keys=(WORKSPACE_KEY, PROJECT_KEY),
    primary_key=("workspace", "project_key", "user_uuid"),
    columns=(
        workspace_column(),
        project_key_column(),
        col("reviewer_type", "VARCHAR", "reviewer_type", "Level the reviewer is set at: `project`."),
        *user_columns("user", "user", "the reviewer"),
    ),
    notes="`GET .../default-reviewers/{user}` answers with the bare user, not this row shape, so "
    "lookups by user filter the list instead.",
    writes=(
        insert(_ONE, "Add a default reviewer by user UUID (a PUT without body).", method="PUT", scope="project:admin"),
        delete(_ONE, "Remove a default reviewer.", scope="project:admin"),
    ),
)
