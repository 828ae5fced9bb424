"""Watchers of a repository (``GET .../watchers``)."""

from ..columns import REPOSITORY_KEYS, repository_scope_columns
from ..model import TableDef
from ..shapes import account_columns

TABLE = TableDef(
    name="watchers",
    description="Users watching a repository.",
    path="/repositories/{workspace}/{repo_slug}/watchers",
    keys=REPOSITORY_KEYS,
    primary_key=("workspace", "repository", "uuid"),
    columns=(*repository_scope_columns(), *account_columns("the watcher")),
)
