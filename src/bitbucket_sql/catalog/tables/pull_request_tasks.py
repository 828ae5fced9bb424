"""Tasks on pull requests (``GET .../pullrequests/{pull_request_id}/tasks``, BBQL)."""

from ..columns import (
    PULL_REQUEST_KEY,
    REPOSITORY_KEYS,
    col,
    pull_request_id_column,
    repository_scope_columns,
    user_columns,
    with_bbql,
)
from ..model import TableDef, WriteField, delete, insert, update

_LIST = "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/tasks"
_ONE = _LIST + "/{id}"

TABLE = TableDef(
    name="pull_request_tasks",
    description="Tasks (to-do items) on pull requests.",
    path=_LIST,
    keys=(*REPOSITORY_KEYS, PULL_REQUEST_KEY),
    bbql=True,
    get_path=_ONE,
    get_key=("id",),
    primary_key=("workspace", "repository", "pull_request_id", "id"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            pull_request_id_column(),
            col("id", "BIGINT", "id", "Id of the task."),
            col("state", "VARCHAR", "state", "RESOLVED or UNRESOLVED."),
            col("content_raw", "VARCHAR", "content.raw", "Text of the task."),
            *user_columns("creator", "creator", "the task's creator"),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the task was created (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the task last changed (UTC)."),
            col("resolved_on", "TIMESTAMPTZ", "resolved_on", "When the task was resolved (UTC)."),
            *user_columns("resolved_by", "resolved_by", "the user who resolved the task"),
        ),
        not_sortable=("resolved_on",),
    ),
    writes=(
        insert(_LIST, "Create a task on a pull request (body: content.raw); 201.",
               WriteField("content_raw", required=True), scope="pullrequest"),
        update(_ONE, "Change a task's text or state (RESOLVED, UNRESOLVED).",
               WriteField("content_raw"), WriteField("state"), scope="pullrequest"),
        delete(_ONE, "Delete a task.", scope="pullrequest"),
    ),
)
