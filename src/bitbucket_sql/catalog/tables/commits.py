"""Commits of a repository, newest first (``GET .../commits``, cursor paging, no BBQL)."""

from ..columns import REPOSITORY_KEYS, repository_scope_columns
from ..model import TableDef
from ..shapes import commit_columns

TABLE = TableDef(
    name="commits",
    description="Commits reachable from any branch or tag of a repository, newest first.",
    path="/repositories/{workspace}/{repo_slug}/commits",
    keys=REPOSITORY_KEYS,
    paging="cursor",
    get_path="/repositories/{workspace}/{repo_slug}/commit/{hash}",
    get_key=("hash",),
    primary_key=("workspace", "repository", "hash"),
    columns=(*repository_scope_columns(), *commit_columns()),
    notes="No server-side filters: `hash = '...'` is one GET of `/commit/{hash}`; everything else is "
    "evaluated locally over the fetched pages.",
)
