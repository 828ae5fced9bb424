"""Webhooks of a workspace (``GET /workspaces/{workspace}/hooks``)."""

from ..columns import WORKSPACE_KEY, workspace_column
from ..model import TableDef, delete, insert, update
from ..shapes import webhook_columns, webhook_write_fields

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
        insert(_LIST, "Create a webhook (body: url, description, active, events, secret); 201.",
               *webhook_write_fields(required=True), scope="webhook"),
        update(_ONE, "Change a webhook (only the columns SET are sent).", *webhook_write_fields(), scope="webhook"),
        delete(_ONE, "Delete a webhook.", scope="webhook", token_scopes=("delete:webhook:bitbucket",)),
    ),
    notes="Needs the `webhook` scope and workspace admin rights.",
)
