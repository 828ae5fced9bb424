"""Workspace-level pipeline variables (``GET /workspaces/{workspace}/pipelines-config/variables``)."""

from ..columns import WORKSPACE_KEY, workspace_column
from ..model import TableDef, WriteField, delete, insert, update
from ..shapes import pipeline_variable_columns

_LIST = "/workspaces/{workspace}/pipelines-config/variables"
_ONE = _LIST + "/{uuid}"

TABLE = TableDef(
    name="workspace_pipeline_variables",
    description="Pipeline variables shared by every repository of the workspace.",
    path=_LIST,
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    get_path=_ONE,
    get_key=("uuid",),
    primary_key=("workspace", "uuid"),
    columns=(workspace_column(), *pipeline_variable_columns()),
    writes=(
        insert(_LIST, "Create a variable (body: key, value, secured); 409 if the key exists.",
               WriteField("key", required=True), WriteField("value", secret=True), WriteField("secured"),
               scope="pipeline:variable"),
        update(_ONE, "Change a variable's key, value or secured flag.",
               WriteField("key"), WriteField("value", secret=True), WriteField("secured"), scope="pipeline:variable"),
        delete(_ONE, "Delete a variable.", scope="pipeline:variable"),
    ),
)
