"""The authenticated user (``GET /user``): one row."""

from ..columns import col, html_url_column
from ..model import TableDef

TABLE = TableDef(
    name="current_user",
    description="The user the credentials act as (one row).",
    path="/user",
    scope="global",
    paging="single",
    primary_key=("uuid",),
    columns=(
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the user."),
        col("account_id", "VARCHAR", "account_id", "Atlassian account id of the user."),
        col("display_name", "VARCHAR", "display_name", "Display name."),
        col("nickname", "VARCHAR", "nickname", "Nickname (not unique; do not use to identify users)."),
        col("account_status", "VARCHAR", "account_status", "Account status, e.g. `active`."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the account was created (UTC)."),
        col("has_2fa_enabled", "BOOLEAN", "has_2fa_enabled", "Whether two-step verification is on."),
        col("is_staff", "BOOLEAN", "is_staff", "Whether the user is Atlassian staff."),
        html_url_column("the user's profile"),
    ),
    notes="Access tokens (repository/project/workspace) act as a pseudo-user named after the token.",
)
