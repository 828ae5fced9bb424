"""Branching model of a repository (``GET .../branching-model``): one row per repository."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef

TABLE = TableDef(
    name="branching_model",
    description="Development and production branches and branch-type prefixes of a repository.",
    path="/repositories/{workspace}/{repo_slug}/branching-model",
    keys=REPOSITORY_KEYS,
    paging="single",
    primary_key=("workspace", "repository"),
    columns=(
        *repository_scope_columns(),
        col("development_name", "VARCHAR", "development.name", "Name of the development branch."),
        col(
            "development_use_mainbranch",
            "BOOLEAN",
            "development.use_mainbranch",
            "Whether development follows the main branch.",
        ),
        col(
            "development_branch_target_hash",
            "VARCHAR",
            "development.branch.target.hash",
            "Head commit of the development branch.",
        ),
        col("production_name", "VARCHAR", "production.name", "Name of the production branch (null if none)."),
        col(
            "production_use_mainbranch",
            "BOOLEAN",
            "production.use_mainbranch",
            "Whether production follows the main branch.",
        ),
        col(
            "production_branch_target_hash",
            "VARCHAR",
            "production.branch.target.hash",
            "Head commit of the production branch.",
        ),
        col(
            "branch_types",
            "JSON",
            "branch_types",
            "Branch types and their prefixes (feature/, bugfix/, ...).",
        ),
    ),
)
