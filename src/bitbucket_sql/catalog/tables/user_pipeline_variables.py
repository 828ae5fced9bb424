"""The caller's own pipeline variables (``GET /users/{selected_user}/pipelines_config/variables``)."""

from ..columns import col
from ..model import PathKey, TableDef
from ..shapes import pipeline_variable_columns

TABLE = TableDef(
    name="user_pipeline_variables",
    description="Pipeline variables of a user's personal account (secured values are never returned).",
    path="/users/{selected_user}/pipelines_config/variables",
    scope="global",
    keys=(PathKey("selected_user", "user_uuid", source_table="current_user", source_column="uuid"),),
    primary_key=("user_uuid", "uuid"),
    columns=(
        col("user_uuid", "VARCHAR", None, "UUID of the user (the caller unless the query names another)."),
        *pipeline_variable_columns(),
    ),
    notes="Lists the caller's variables; Bitbucket refuses (403) those of other users. The spec marks this "
    "endpoint deprecated; Bitbucket still answers it.",
)
