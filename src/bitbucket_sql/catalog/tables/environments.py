"""Deployment environments of a repository (``GET .../environments``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef, WriteField, WriteOp, delete, insert

_LIST = "/repositories/{workspace}/{repo_slug}/environments"
_ONE = _LIST + "/{uuid}"

TABLE = TableDef(
    name="environments",
    description="Deployment environments (Test, Staging, Production) of a repository.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("uuid",),
    primary_key=("workspace", "repository", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the environment."),
        col("name", "VARCHAR", "name", "Name of the environment."),
        col("slug", "VARCHAR", "slug", "URL-friendly name of the environment."),
        col("environment_type_name", "VARCHAR", "environment_type.name", "Test, Staging or Production."),
        col("rank", "BIGINT", "rank", "Position in the deployment dashboard."),
        col("hidden", "BOOLEAN", "hidden", "Whether the environment is hidden from the dashboard."),
        col("lock_name", "VARCHAR", "lock.name", "OPEN, or LOCKED while a deployment runs."),
        col("restrictions", "JSON", "restrictions", "Who may deploy (e.g. admin_only)."),
        col(
            "category_name",
            "VARCHAR",
            "category.name",
            "Category of the environment (Test, Staging, Production).",
        ),
        col(
            "environment_lock_enabled",
            "BOOLEAN",
            "environment_lock_enabled",
            "Whether deployments lock the environment.",
        ),
        col(
            "deployment_gate_enabled",
            "BOOLEAN",
            "deployment_gate_enabled",
            "Whether deployments wait for a gate.",
        ),
    ),
    writes=(
        insert(_LIST, "Create an environment (body: name, environment_type); 409 on a duplicate name.",
               WriteField("name", required=True), WriteField("environment_type_name", required=True),
               scope="pipeline", token_scopes=("admin:pipeline:bitbucket",)),
        delete(_LIST + "/{uuid}", "Delete an environment.", scope="pipeline", token_scopes=("admin:pipeline:bitbucket",)),
        WriteOp("POST", _LIST + "/{uuid}/changes", "Change an environment (202, applied asynchronously)."),
    ),
    notes="Only `uuid` and `name` are in the spec's definition; the other fields are in real payloads.",
)
