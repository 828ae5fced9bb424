"""Issues of the removed issue tracker (``.../issues``); kept so old queries parse and explain."""

from ..columns import (
    ISSUE_TRACKER_REMOVED,
    REPOSITORY_KEYS,
    col,
    html_url_column,
    repository_scope_columns,
    user_columns,
    with_bbql,
)
from ..model import TableDef

_LIST = "/repositories/{workspace}/{repo_slug}/issues"

TABLE = TableDef(
    name="issues",
    description="Issues of the repository issue tracker (removed from Bitbucket Cloud on 2026-08-20).",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    bbql=True,
    get_path=_LIST + "/{id}",
    get_key=("id",),
    removed=ISSUE_TRACKER_REMOVED,
    primary_key=("workspace", "repository", "id"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("id", "BIGINT", "id", "Number of the issue."),
            col("title", "VARCHAR", "title", "Title."),
            col("content_raw", "VARCHAR", "content.raw", "Description as written."),
            col(
                "state",
                "VARCHAR",
                "state",
                "new, open, resolved, on hold, invalid, duplicate, wontfix, closed.",
            ),
            col("kind", "VARCHAR", "kind", "bug, enhancement, proposal or task."),
            col("priority", "VARCHAR", "priority", "trivial, minor, major, critical or blocker."),
            *user_columns("reporter", "reporter", "the reporter"),
            *user_columns("assignee", "assignee", "the assignee"),
            col("component_name", "VARCHAR", "component.name", "Component."),
            col("milestone_name", "VARCHAR", "milestone.name", "Milestone."),
            col("version_name", "VARCHAR", "version.name", "Version."),
            col("votes", "BIGINT", "votes", "Number of votes."),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the issue was reported (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the issue last changed (UTC)."),
            col("edited_on", "TIMESTAMPTZ", "edited_on", "When the description was last edited (UTC)."),
            html_url_column("the issue"),
        ),
        not_filterable=("html_url",),
        not_sortable=("edited_on",),
    ),
)
