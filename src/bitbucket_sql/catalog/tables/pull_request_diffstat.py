"""Files changed by pull requests (``GET .../pullrequests/{pull_request_id}/diffstat``)."""

from ..columns import PULL_REQUEST_KEY, REPOSITORY_KEYS, pull_request_id_column, repository_scope_columns
from ..model import TableDef
from ..shapes import diffstat_columns

TABLE = TableDef(
    name="pull_request_diffstat",
    description="Files changed by each pull request (three-dot diff), with line counts.",
    path="/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/diffstat",
    keys=(*REPOSITORY_KEYS, PULL_REQUEST_KEY),
    primary_key=("workspace", "repository", "pull_request_id", "old_path", "new_path"),
    max_pagelen=5000,
    columns=(*repository_scope_columns(), pull_request_id_column(), *diffstat_columns()),
    notes="The endpoint answers with a redirect to the repository diffstat of the pull request's commits; "
    "clients follow it.",
)
