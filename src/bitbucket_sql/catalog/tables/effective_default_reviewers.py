"""Default reviewers that apply to a repository, from the repository and its project
(``GET .../effective-default-reviewers``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns, user_columns
from ..model import TableDef

TABLE = TableDef(
    name="effective_default_reviewers",
    description="Everyone added as a reviewer to new pull requests of a repository, set on it or on its project.",
    path="/repositories/{workspace}/{repo_slug}/effective-default-reviewers",
    keys=REPOSITORY_KEYS,
    primary_key=("workspace", "repository", "user_uuid"),
    columns=(
        *repository_scope_columns(),
        col("reviewer_type", "VARCHAR", "reviewer_type", "Where the reviewer is set: `repository` or `project`."),
        *user_columns("user", "user", "the reviewer"),
    ),
    notes="`default_reviewers` lists only those set on the repository itself.",
)
