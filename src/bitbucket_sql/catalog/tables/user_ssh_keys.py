"""SSH keys of a user (``GET /users/{selected_user}/ssh-keys``)."""

from ..columns import col, user_columns
from ..model import PathKey, TableDef
from ..shapes import ssh_key_columns

TABLE = TableDef(
    name="user_ssh_keys",
    description="SSH public keys a user added to their account (the caller's unless the query names users).",
    path="/users/{selected_user}/ssh-keys",
    scope="global",
    keys=(PathKey("selected_user", "user_uuid", source_table="current_user", source_column="uuid"),),
    primary_key=("user_uuid", "uuid"),
    columns=(
        col("user_uuid", "VARCHAR", None, "UUID (or account id) of the user as named in the query."),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the key."),
        *ssh_key_columns(),
        col("fingerprint", "VARCHAR", "fingerprint", "SHA-256 fingerprint of the key."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the key was added (UTC)."),
        col("expires_on", "TIMESTAMPTZ", "expires_on", "When the key expires (UTC; null: never)."),
        *user_columns("owner", "owner", "the key's owner"),
    ),
    notes="Without a filter the caller's keys are listed. For everyone in a workspace join `workspace_members` "
    "(`ON k.user_uuid = m.user_uuid`); Bitbucket may refuse other users' keys (403) unless you administer them.",
)
