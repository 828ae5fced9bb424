"""The webhook event types (``GET /hook_events/{subject_type}``): what a webhook can subscribe to."""

from ..columns import col
from ..model import PathKey, TableDef

TABLE = TableDef(
    name="hook_events",
    description="Event types webhooks can subscribe to, for repository and workspace webhooks.",
    path="/hook_events/{subject_type}",
    scope="global",
    keys=(PathKey("subject_type", "subject_type", values=("repository", "workspace")),),
    primary_key=("subject_type", "event"),
    columns=(
        col("subject_type", "VARCHAR", None, "`repository` or `workspace`: the kind of webhook."),
        col("event", "VARCHAR", "event", "Event key to subscribe to (`repo:push`, `pullrequest:created`...)."),
        col("category", "VARCHAR", "category", "Group of the event (Repository, Pull Request...)."),
        col("label", "VARCHAR", "label", "Short name of the event."),
        col("description", "VARCHAR", "description", "What the event reports."),
    ),
    notes="Public metadata: two requests, no credentials needed.",
)
