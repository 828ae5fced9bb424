"""Build statuses of pull requests (``GET .../pullrequests/{pull_request_id}/statuses``, BBQL)."""

from ..columns import (
    PULL_REQUEST_KEY,
    REPOSITORY_KEYS,
    pull_request_id_column,
    repository_scope_columns,
    with_bbql,
)
from ..model import TableDef
from ..shapes import commit_status_columns

TABLE = TableDef(
    name="pull_request_statuses",
    description="Build statuses reported for the source commits of pull requests.",
    path="/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/statuses",
    keys=(*REPOSITORY_KEYS, PULL_REQUEST_KEY),
    bbql=True,
    primary_key=("workspace", "repository", "pull_request_id", "key"),
    columns=with_bbql((*repository_scope_columns(), pull_request_id_column(), *commit_status_columns())),
)
