"""Commits of pull requests (``GET .../pullrequests/{pull_request_id}/commits``, cursor paging)."""

from ..columns import PULL_REQUEST_KEY, REPOSITORY_KEYS, pull_request_id_column, repository_scope_columns
from ..model import TableDef
from ..shapes import commit_columns

TABLE = TableDef(
    name="pull_request_commits",
    description="Commits on the source branch of each pull request that are not on the destination.",
    path="/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/commits",
    keys=(*REPOSITORY_KEYS, PULL_REQUEST_KEY),
    paging="cursor",
    primary_key=("workspace", "repository", "pull_request_id", "hash"),
    columns=(*repository_scope_columns(), pull_request_id_column(), *commit_columns()),
    notes="Empty once the source branch is deleted.",
)
