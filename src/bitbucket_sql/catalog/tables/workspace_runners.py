"""Self-hosted pipeline runners of a workspace (``GET /workspaces/{workspace}/pipelines-config/runners``)."""

from ..columns import WORKSPACE_KEY, workspace_column
from ..model import TableDef
from ..shapes import runner_columns

TABLE = TableDef(
    name="workspace_runners",
    description="Self-hosted runners shared by every repository of the workspace: state, labels, last seen.",
    path="/workspaces/{workspace}/pipelines-config/runners",
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    primary_key=("workspace", "uuid"),
    columns=(workspace_column(), *runner_columns()),
    notes="`WHERE state_status = 'OFFLINE'` answers \"which runners are offline\" (filtered locally).",
)
