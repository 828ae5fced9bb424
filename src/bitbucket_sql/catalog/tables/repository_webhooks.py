"""Webhooks of a repository (``GET .../hooks``)."""

from ..columns import REPOSITORY_KEYS, repository_scope_columns
from ..model import TableDef, WriteOp
from ..shapes import webhook_columns

_LIST = "/repositories/{workspace}/{repo_slug}/hooks"
_ONE = _LIST + "/{uuid}"

TABLE = TableDef(
    name="repository_webhooks",
    description="Webhooks that fire for events in a repository.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("uuid",),
    primary_key=("workspace", "repository", "uuid"),
    columns=(*repository_scope_columns(), *webhook_columns()),
    writes=(
        WriteOp("POST", _LIST, "Create a webhook (body: url, description, active, events, secret)."),
        WriteOp("PUT", _ONE, "Update a webhook."),
        WriteOp("DELETE", _ONE, "Delete a webhook."),
    ),
    notes="Needs the `webhook` scope and repository admin rights.",
)
