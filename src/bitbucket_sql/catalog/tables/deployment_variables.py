"""Variables of deployment environments (``GET .../deployments_config/environments/{uuid}/variables``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import PathKey, TableDef
from ..shapes import pipeline_variable_columns

TABLE = TableDef(
    name="deployment_variables",
    description="Variables of each deployment environment (secured values are never returned).",
    path="/repositories/{workspace}/{repo_slug}/deployments_config/environments/{environment_uuid}/variables",
    keys=(
        *REPOSITORY_KEYS,
        PathKey("environment_uuid", "environment_uuid", source_table="environments", source_column="uuid"),
    ),
    primary_key=("workspace", "repository", "environment_uuid", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("environment_uuid", "VARCHAR", None, "UUID of the environment (see environments)."),
        *pipeline_variable_columns(),
    ),
    notes="Bitbucket never returns the value of a secured variable: `value` is null when `secured`.",
)
