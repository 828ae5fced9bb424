"""Webhooks of a workspace (``GET /workspaces/{workspace}/hooks``)."""

from ..columns import WORKSPACE_KEY, workspace_column
from ..model import TableDef, WriteOp
from ..shapes import webhook_columns

_LIST = "/workspaces/{workspace}/hooks"
_ONE = _LIST + "/{uuid}"

TABLE = TableDef(
    name="workspace_webhooks",
    description="Webhooks that fire for events anywhere in the workspace.",
    path=_LIST,
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    get_path=_ONE,
    get_key=("uuid",),
    primary_key=("workspace", "uuid"),
    columns=(workspace_column(), *webhook_columns()),
    writes=(
        WriteOp("POST", _LIST, "Create a webhook (body: url, description, active, events, secret)."),
        WriteOp("PUT", _ONE, "Update a webhook."),
        WriteOp("DELETE", _ONE, "Delete a webhook."),
    ),
    notes="Needs the `webhook` scope and workspace admin rights.",
)
