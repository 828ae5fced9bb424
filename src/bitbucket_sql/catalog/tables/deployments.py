"""Deployments of a repository (``GET .../deployments``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef

_LIST = "/repositories/{workspace}/{repo_slug}/deployments"

TABLE = TableDef(
    name="deployments",
    description="Deployments of releases to environments.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_LIST + "/{uuid}",
    get_key=("uuid",),
    primary_key=("workspace", "repository", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the deployment."),
        col("state_name", "VARCHAR", "state.name", "UNDEPLOYED, IN_PROGRESS or COMPLETED."),
        col(
            "state_status_name",
            "VARCHAR",
            "state.status.name",
            "When completed: SUCCESSFUL, FAILED or STOPPED.",
        ),
        col("state_started_on", "TIMESTAMPTZ", "state.started_on", "When the deployment started (UTC)."),
        col("state_completed_on", "TIMESTAMPTZ", "state.completed_on", "When the deployment finished (UTC)."),
        col("state_url", "VARCHAR", "state.url", "Link to the pipeline step that deployed."),
        col("key", "VARCHAR", "key", "Key of the deployment."),
        col("version", "BIGINT", "version", "Version of the deployment record."),
        col("last_update_time", "TIMESTAMPTZ", "last_update_time", "When the deployment last changed (UTC)."),
        col("step_uuid", "VARCHAR", "step.uuid", "UUID of the pipeline step that deployed."),
        col("commit_hash", "VARCHAR", "commit.hash", "Commit deployed."),
        col(
            "environment_uuid",
            "VARCHAR",
            "environment.uuid",
            "UUID of the target environment (join environments for its name).",
        ),
        col("release_uuid", "VARCHAR", "release.uuid", "UUID of the release deployed."),
        col("release_name", "VARCHAR", "release.name", "Name of the release deployed."),
        col("release_url", "VARCHAR", "release.url", "Link to the release's pipeline."),
        col("release_commit_hash", "VARCHAR", "release.commit.hash", "Commit deployed."),
        col("release_key", "VARCHAR", "release.key", "Key of the release deployed."),
        col(
            "release_pipeline_uuid",
            "VARCHAR",
            "release.pipeline.uuid",
            "UUID of the pipeline that built the release.",
        ),
        col(
            "deployable_created_on",
            "TIMESTAMPTZ",
            "deployable.created_on",
            "When the release was built (UTC).",
        ),
    ),
    notes="The endpoint documents no filters or sorting.",
)
