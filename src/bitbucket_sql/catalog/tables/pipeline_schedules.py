"""Scheduled pipelines of a repository (``GET .../pipelines_config/schedules``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef, WriteField, delete, insert, update

_LIST = "/repositories/{workspace}/{repo_slug}/pipelines_config/schedules"
_ONE = _LIST + "/{uuid}"

TABLE = TableDef(
    name="pipeline_schedules",
    description="Schedules that run a pipeline on a branch periodically.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("uuid",),
    primary_key=("workspace", "repository", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the schedule."),
        col("enabled", "BOOLEAN", "enabled", "Whether the schedule is active."),
        col("cron_pattern", "VARCHAR", "cron_pattern", "When to run, as a cron expression (UTC)."),
        col("target_ref_type", "VARCHAR", "target.ref_type", "Kind of ref to build (branch)."),
        col("target_ref_name", "VARCHAR", "target.ref_name", "Branch to build."),
        col("target_selector_type", "VARCHAR", "target.selector.type", "Kind of pipeline definition to run."),
        col(
            "target_selector_pattern",
            "VARCHAR",
            "target.selector.pattern",
            "Name of the pipeline definition to run.",
        ),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the schedule was created (UTC)."),
        col("updated_on", "TIMESTAMPTZ", "updated_on", "When the schedule last changed (UTC)."),
    ),
    writes=(
        insert(_LIST, "Schedule a pipeline on a branch (body: target, cron_pattern, enabled); 201.",
               WriteField("target_ref_name", required=True), WriteField("target_selector_type", required=True),
               WriteField("target_selector_pattern"), WriteField("cron_pattern", required=True),
               WriteField("enabled"), fixed_body=(("target.type", "pipeline_ref_target"), ("target.ref_type", "branch")),
               scope="pipeline:write"),
        update(_ONE, "Enable or disable a schedule (the only change the API allows).",
               WriteField("enabled", required=True), scope="pipeline:write"),
        delete(_ONE, "Delete a schedule.", scope="pipeline:write", token_scopes=("write:pipeline:bitbucket",)),
    ),
)
