"""Files changed by a commit (``GET .../diffstat/{spec}``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import PathKey, TableDef
from ..shapes import diffstat_columns

TABLE = TableDef(
    name="commit_diffstat",
    description="Files changed by a commit (against its first parent), with line counts.",
    path="/repositories/{workspace}/{repo_slug}/diffstat/{spec}",
    keys=(*REPOSITORY_KEYS, PathKey("spec", "commit_hash", source_table="commits", source_column="hash")),
    primary_key=("workspace", "repository", "commit_hash", "old_path", "new_path"),
    max_pagelen=5000,
    columns=(
        *repository_scope_columns(),
        col("commit_hash", "VARCHAR", None, "Hash of the commit."),
        *diffstat_columns(),
    ),
    notes="Pages hold up to 5000 entries (spec: `paginated_diffstats`). A range `a..b` is also "
    "accepted as `commit_hash` (diff between two commits).",
)
