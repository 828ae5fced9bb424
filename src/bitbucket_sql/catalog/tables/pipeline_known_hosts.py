"""SSH known hosts of a repository's pipelines (``GET .../pipelines_config/ssh/known_hosts``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef

_LIST = "/repositories/{workspace}/{repo_slug}/pipelines_config/ssh/known_hosts"

TABLE = TableDef(
    name="pipeline_known_hosts",
    description="Hosts whose SSH keys pipelines of a repository trust.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_LIST + "/{uuid}",
    get_key=("uuid",),
    primary_key=("workspace", "repository", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the known host."),
        col("hostname", "VARCHAR", "hostname", "Host name (optionally `[host]:port`)."),
        col("key_type", "VARCHAR", "public_key.key_type", "Type of the host key (`ssh-ed25519`, `ssh-rsa`...)."),
        col("public_key", "VARCHAR", "public_key.key", "The host's public key (base64)."),
        col("md5_fingerprint", "VARCHAR", "public_key.md5_fingerprint", "MD5 fingerprint of the key."),
        col("sha256_fingerprint", "VARCHAR", "public_key.sha256_fingerprint", "SHA-256 fingerprint of the key."),
    ),
)
