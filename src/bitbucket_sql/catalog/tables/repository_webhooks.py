"""Webhooks of a repository (``GET .../hooks``)."""

from ..columns import REPOSITORY_KEYS, repository_scope_columns
from ..model import TableDef, delete, insert, update
from ..shapes import webhook_columns, webhook_write_fields

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
        insert(_LIST, "Create a webhook (body: url, description, active, events, secret); 201.",
               *webhook_write_fields(required=True), scope="webhook"),
        update(_ONE, "Change a webhook (only the columns SET are sent).", *webhook_write_fields(), scope="webhook"),
        delete(_ONE, "Delete a webhook.", scope="webhook", token_scopes=("delete:webhook:bitbucket",)),
    ),
    notes="Needs the `webhook` scope and repository admin rights.",
)
