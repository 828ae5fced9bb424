"""Deployments of a repository (``GET .../deployments``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns, user_columns
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
        col("state_start_date", "TIMESTAMPTZ", "state.start_date", "When the deployment started (UTC)."),
        col(
            "state_completion_date",
            "TIMESTAMPTZ",
            "state.completion_date",
            "When the deployment finished (UTC).",
        ),
        col("state_url", "VARCHAR", "state.url", "Link to the pipeline that deployed."),
        *user_columns("state_deployer", "state.deployer", "the user who deployed"),
        col("environment_uuid", "VARCHAR", "environment.uuid", "UUID of the target environment."),
        col("environment_name", "VARCHAR", "environment.name", "Name of the target environment."),
        col("release_uuid", "VARCHAR", "release.uuid", "UUID of the release deployed."),
        col("release_name", "VARCHAR", "release.name", "Name of the release deployed."),
        col("release_url", "VARCHAR", "release.url", "Link to the release's pipeline."),
        col("release_commit_hash", "VARCHAR", "release.commit.hash", "Commit deployed."),
        col("release_created_on", "TIMESTAMPTZ", "release.created_on", "When the release was created (UTC)."),
    ),
    notes="The endpoint documents no filters or sorting.",
)
