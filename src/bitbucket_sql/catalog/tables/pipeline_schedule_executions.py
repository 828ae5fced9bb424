"""Runs of pipeline schedules (``GET .../pipelines_config/schedules/{schedule_uuid}/executions``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import PathKey, TableDef

TABLE = TableDef(
    name="pipeline_schedule_executions",
    description="Each time a schedule fired: the pipeline it started, or the error that stopped it.",
    path="/repositories/{workspace}/{repo_slug}/pipelines_config/schedules/{schedule_uuid}/executions",
    keys=(
        *REPOSITORY_KEYS,
        PathKey("schedule_uuid", "schedule_uuid", source_table="pipeline_schedules", source_column="uuid"),
    ),
    primary_key=(),
    columns=(
        *repository_scope_columns(),
        col("schedule_uuid", "VARCHAR", None, "UUID of the schedule (see pipeline_schedules)."),
        col(
            "type",
            "VARCHAR",
            "type",
            "`pipeline_schedule_execution_executed` (a pipeline ran) or `..._errored` (it could not start).",
        ),
        col("pipeline_uuid", "VARCHAR", "pipeline.uuid", "UUID of the pipeline started (see pipelines)."),
        col("pipeline_build_number", "BIGINT", "pipeline.build_number", "Build number of the pipeline started."),
        col("pipeline_created_on", "TIMESTAMPTZ", "pipeline.created_on", "When the pipeline was started (UTC)."),
        col("error_key", "VARCHAR", "error.key", "Key of the error of an execution that failed to start."),
        col("error_message", "VARCHAR", "error.message", "Message of the error."),
    ),
    notes="Executions have no id, so the table has no primary key. Newest first.",
)
