"""Self-hosted pipeline runners of a repository (``GET .../pipelines-config/runners``)."""

from ..columns import REPOSITORY_KEYS, repository_scope_columns
from ..model import TableDef
from ..shapes import runner_columns

TABLE = TableDef(
    name="repository_runners",
    description="Self-hosted runners registered for one repository: state, labels, last seen.",
    path="/repositories/{workspace}/{repo_slug}/pipelines-config/runners",
    keys=REPOSITORY_KEYS,
    primary_key=("workspace", "repository", "uuid"),
    columns=(*repository_scope_columns(), *runner_columns()),
    notes="Runners of the whole workspace are in `workspace_runners`.",
)
