"""Deploy (access) keys of a repository (``GET .../deploy-keys``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns, user_columns
from ..model import TableDef, WriteField, delete, insert, update

_LIST = "/repositories/{workspace}/{repo_slug}/deploy-keys"
_ONE = _LIST + "/{id}"

TABLE = TableDef(
    name="deploy_keys",
    description="SSH keys with read-only access to a repository.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("id",),
    primary_key=("workspace", "repository", "id"),
    columns=(
        *repository_scope_columns(),
        col("id", "BIGINT", "id", "Id of the key."),
        col("label", "VARCHAR", "label", "Label given to the key."),
        col("key", "VARCHAR", "key", "Public key (`ssh-ed25519 AAAA...`)."),
        col("comment", "VARCHAR", "comment", "Comment part of the public key."),
        col("added_on", "TIMESTAMPTZ", "added_on", "When the key was added (UTC)."),
        col("last_used", "TIMESTAMPTZ", "last_used", "When the key was last used (UTC)."),
        *user_columns("owner", "owner", "the user who added the key"),
    ),
    writes=(
        insert(_LIST, "Add an SSH key with read access (body: key, label).",
               WriteField("key", required=True, secret=True), WriteField("label"), scope="repository:admin", token_scopes=("admin:repository:bitbucket", "write:ssh-key:bitbucket")),
        update(_ONE, "Change a key's label.", WriteField("label", required=True), scope="repository:admin", token_scopes=("admin:repository:bitbucket", "write:ssh-key:bitbucket")),
        delete(_ONE, "Delete a key.", scope="repository:admin", token_scopes=("admin:repository:bitbucket", "delete:ssh-key:bitbucket")),
    ),
)
