"""Pipeline runs of a repository (``GET .../pipelines``; dedicated query parameters, no BBQL)."""

from ..bodies import pipeline_trigger
from ..columns import PARAM_OPS, REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef, WriteField, WriteOp, insert

_LIST = "/repositories/{workspace}/{repo_slug}/pipelines"
_ONE = _LIST + "/{uuid}"

TABLE = TableDef(
    name="pipelines",
    description="Pipeline runs (builds) of a repository.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    sort_param="sort",
    get_path=_ONE,
    get_key=("uuid",),
    primary_key=("workspace", "repository", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the pipeline run."),
        col("build_number", "BIGINT", "build_number", "Build number, increasing per repository."),
        col(
            "creator_uuid",
            "VARCHAR",
            "creator.uuid",
            "UUID of the user who started the run.",
            param="creator.uuid",
            filter_ops=PARAM_OPS,
        ),
        col(
            "creator_account_id",
            "VARCHAR",
            "creator.account_id",
            "Atlassian account id of the user who started the run.",
        ),
        col(
            "creator_display_name",
            "VARCHAR",
            "creator.display_name",
            "Display name of the user who started the run.",
        ),
        col(
            "target_type",
            "VARCHAR",
            "target.type",
            "pipeline_ref_target, pipeline_commit_target or pipeline_pullrequest_target.",
        ),
        col("target_ref_type", "VARCHAR", "target.ref_type", "Kind of ref built: branch, tag, ..."),
        col(
            "target_ref_name",
            "VARCHAR",
            "target.ref_name",
            "Name of the branch or tag built.",
            param="target.ref_name",
            filter_ops=PARAM_OPS,
        ),
        col(
            "target_commit_hash",
            "VARCHAR",
            "target.commit.hash",
            "Hash of the commit built.",
            param="target.commit.hash",
            filter_ops=PARAM_OPS,
        ),
        col(
            "target_selector_type",
            "VARCHAR",
            "target.selector.type",
            "Which pipeline definition ran: branches, tags, default, custom, ...",
        ),
        col(
            "target_selector_pattern",
            "VARCHAR",
            "target.selector.pattern",
            "Pattern of the pipeline definition that ran (e.g. a branch glob or custom name).",
            param="target.selector.pattern",
            filter_ops=PARAM_OPS,
        ),
        col(
            "trigger_type",
            "VARCHAR",
            "trigger.type",
            "How the run started: pipeline_trigger_push, pipeline_trigger_manual, ...",
        ),
        col("trigger_name", "VARCHAR", "trigger.name", "How the run started: PUSH, MANUAL, SCHEDULE, ..."),
        col("state_name", "VARCHAR", "state.name", "PENDING, IN_PROGRESS or COMPLETED."),
        col("state_stage_name", "VARCHAR", "state.stage.name", "While in progress: RUNNING or PAUSED."),
        col(
            "state_result_name",
            "VARCHAR",
            "state.result.name",
            "When completed: SUCCESSFUL, FAILED, ERROR, STOPPED or EXPIRED.",
        ),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the run was created (UTC).", sortable=True),
        col("completed_on", "TIMESTAMPTZ", "completed_on", "When the run completed (UTC)."),
        col("build_seconds_used", "BIGINT", "build_seconds_used", "Build minutes used, in seconds."),
        col("has_variables", "BOOLEAN", "has_variables", "Whether the run was started with variables."),
        col("expired", "BOOLEAN", "expired", "Whether the run's logs and artifacts have expired."),
        col("first_successful", "BOOLEAN", "first_successful", "Whether this is the first successful run."),
        col("run_number", "BIGINT", "run_number", "Attempt number (re-runs count up)."),
    ),
    writes=(
        insert(_LIST, "Run a pipeline: on a branch or tag (target_ref_name), on a commit (target_commit_hash), "
               "a custom pipeline (target_selector_pattern), with variables; 201 with the new run.",
               WriteField("target_ref_name"), WriteField("target_ref_type"), WriteField("target_commit_hash"),
               WriteField("target_selector_type"), WriteField("target_selector_pattern"),
               WriteField("variables", type="JSON", secret=True,
                          description='Variables of the run: [{"key": "X", "value": "1", "secured": false}] '
                                      "(masked in EXPLAIN and errors)"),
               scope="pipeline", shape_body=pipeline_trigger),
        WriteOp("POST", _LIST + "/{uuid}/stopPipeline", "Stop a running pipeline."),
    ),
    notes="Filters go into dedicated parameters (`target.ref_name`, `creator.uuid`, `target.commit.hash`, "
    "`target.selector.pattern`). `status=` is reported to be silently ignored and `trigger_type=` takes "
    "values that differ from the object's, so state and trigger filters are evaluated locally. "
    "`sort=created_on`/`-created_on` orders the runs.",
)
