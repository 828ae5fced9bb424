"""GPG keys of a user (``GET /users/{selected_user}/gpg-keys``)."""

from ..columns import col, user_columns
from ..model import PathKey, TableDef

TABLE = TableDef(
    name="user_gpg_keys",
    description="GPG keys a user added to sign commits (the caller's unless the query names users).",
    path="/users/{selected_user}/gpg-keys",
    scope="global",
    keys=(PathKey("selected_user", "user_uuid", source_table="current_user", source_column="uuid"),),
    primary_key=("user_uuid", "fingerprint"),
    columns=(
        col("user_uuid", "VARCHAR", None, "UUID (or account id) of the user as named in the query."),
        col("fingerprint", "VARCHAR", "fingerprint", "Fingerprint of the key."),
        col("key_id", "VARCHAR", "key_id", "Key id (the fingerprint's last 16 hex digits)."),
        col("name", "VARCHAR", "name", "Label (usually `Name <email>`)."),
        col("key", "VARCHAR", "key", "The public key, ASCII-armoured."),
        col("parent_fingerprint", "VARCHAR", "parent_fingerprint", "Fingerprint of the primary key of a subkey."),
        col("subkeys", "JSON", "subkeys", "Subkeys of the key."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the key was created (UTC)."),
        col("added_on", "TIMESTAMPTZ", "added_on", "When the key was added to Bitbucket (UTC)."),
        col("expires_on", "TIMESTAMPTZ", "expires_on", "When the key expires (UTC; null: never)."),
        col("last_used", "TIMESTAMPTZ", "last_used", "When a commit signed with it was last pushed (UTC)."),
        *user_columns("owner", "owner", "the key's owner"),
    ),
    notes="Like `user_ssh_keys`: the caller's keys without a filter; join `workspace_members` for others.",
)
