"""Steps of pipeline runs (``GET .../pipelines/{pipeline_uuid}/steps``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import PathKey, TableDef

_LIST = "/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}/steps"

TABLE = TableDef(
    name="pipeline_steps",
    description="Steps of pipeline runs with their state and timing.",
    path=_LIST,
    keys=(
        *REPOSITORY_KEYS,
        PathKey("pipeline_uuid", "pipeline_uuid", source_table="pipelines", source_column="uuid"),
    ),
    get_path=_LIST + "/{uuid}",
    get_key=("uuid",),
    primary_key=("workspace", "repository", "pipeline_uuid", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("pipeline_uuid", "VARCHAR", None, "UUID of the pipeline run the step belongs to."),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the step."),
        col("name", "VARCHAR", "name", "Name of the step from bitbucket-pipelines.yml."),
        col("run_number", "BIGINT", "run_number", "Attempt number of the step (re-runs count up)."),
        col("trigger_type", "VARCHAR", "trigger.type", "How the step started (automatic or manual)."),
        col("state_name", "VARCHAR", "state.name", "PENDING, READY, IN_PROGRESS or COMPLETED."),
        col(
            "state_result_name",
            "VARCHAR",
            "state.result.name",
            "When completed: SUCCESSFUL, FAILED, ERROR, STOPPED, NOT_RUN or EXPIRED.",
        ),
        col("started_on", "TIMESTAMPTZ", "started_on", "When the step started (UTC)."),
        col("completed_on", "TIMESTAMPTZ", "completed_on", "When the step completed (UTC)."),
        col("duration_in_seconds", "BIGINT", "duration_in_seconds", "Run time of the step in seconds."),
        col("image_name", "VARCHAR", "image.name", "Docker image the step ran in."),
        col(
            "setup_commands",
            "JSON",
            "setup_commands",
            "Commands run before the script (list of name/command).",
        ),
        col("script_commands", "JSON", "script_commands", "Script commands (list of name/command)."),
    ),
    notes="`name` and `duration_in_seconds` are in real payloads but not in the spec's definition.",
)
