"""Pull requests of a repository, in every state (``GET .../pullrequests``, BBQL)."""

from ..columns import (
    NEVER_NULL_SUPERSET_OPS,
    REPOSITORY_KEYS,
    col,
    html_url_column,
    repository_scope_columns,
    user_columns,
    with_bbql,
)
from ..model import TableDef, UserListing, WriteField, WriteOp, insert, update

_LIST = "/repositories/{workspace}/{repo_slug}/pullrequests"
_ONE = _LIST + "/{id}"

TABLE = TableDef(
    name="pull_requests",
    description="Pull requests of a repository in every state (OPEN, MERGED, DECLINED, SUPERSEDED).",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    bbql=True,
    max_pagelen=50,
    get_path=_ONE,
    get_key=("id",),
    fixed_params=(("state", ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")),),
    user_listing=UserListing(
        path="/workspaces/{workspace}/pullrequests/{selected_user}",
        placeholder="selected_user",
        columns=("author_uuid", "author_account_id"),
        member_columns=("user_uuid", "user_account_id"),
        repository_path="destination.repository.full_name",
    ),
    primary_key=("workspace", "repository", "id"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("id", "BIGINT", "id", "Number of the pull request, unique in the repository."),
            col("title", "VARCHAR", "title", "Title."),
            col("description", "VARCHAR", "description", "Description as written (markdown)."),
            col("state", "VARCHAR", "state", "OPEN, MERGED, DECLINED or SUPERSEDED.",
                superset_ops=NEVER_NULL_SUPERSET_OPS),
            col("draft", "BOOLEAN", "draft", "True while the pull request is a draft."),
            *user_columns("author", "author", "the author"),
            col("source_branch_name", "VARCHAR", "source.branch.name", "Branch the changes come from."),
            col(
                "source_commit_hash", "VARCHAR", "source.commit.hash", "Short hash of the source branch head."
            ),
            col(
                "source_repository_full_name",
                "VARCHAR",
                "source.repository.full_name",
                "Full name of the source repository (differs from the destination for forks).",
            ),
            col(
                "source_repository_uuid",
                "VARCHAR",
                "source.repository.uuid",
                "UUID of the source repository.",
            ),
            col(
                "destination_branch_name", "VARCHAR", "destination.branch.name", "Branch the changes go into."
            ),
            col(
                "destination_commit_hash",
                "VARCHAR",
                "destination.commit.hash",
                "Short hash of the destination branch head when the pull request was last updated.",
            ),
            col(
                "destination_repository_full_name",
                "VARCHAR",
                "destination.repository.full_name",
                "Full name of the destination repository.",
            ),
            col(
                "merge_commit_hash",
                "VARCHAR",
                "merge_commit.hash",
                "Short hash of the merge commit (merged only).",
            ),
            col(
                "close_source_branch",
                "BOOLEAN",
                "close_source_branch",
                "Whether the source branch is deleted on merge.",
            ),
            *user_columns("closed_by", "closed_by", "the user who merged or declined the pull request"),
            col("reason", "VARCHAR", "reason", "Reason given when the pull request was declined."),
            col("comment_count", "BIGINT", "comment_count", "Number of comments."),
            col("task_count", "BIGINT", "task_count", "Number of tasks."),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the pull request was opened (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the pull request last changed (UTC)."),
            html_url_column("the pull request"),
            col(
                "reviewers",
                "JSON",
                "reviewers",
                "Reviewers (list of users); fetched with `fields=+values.reviewers` only when selected.",
                default_field=False,
            ),
            col(
                "participants",
                "JSON",
                "participants",
                "Participants with role, approval and state; fetched only when selected.",
                default_field=False,
            ),
        ),
        not_filterable=("html_url",),
    ),
    writes=(
        insert(_LIST, "Open a pull request (body: title, source.branch.name, destination.branch.name, ...); 201.",
               WriteField("title", required=True), WriteField("source_branch_name", required=True),
               WriteField("destination_branch_name"), WriteField("description"), WriteField("draft"),
               WriteField("close_source_branch"), WriteField("reviewers"), scope="pullrequest:write"),
        update(_ONE, "Change an open pull request (title, description, destination, reviewers, draft).",
               WriteField("title"), WriteField("description"), WriteField("destination_branch_name"),
               WriteField("draft"), WriteField("close_source_branch"), WriteField("reviewers"),
               scope="pullrequest:write"),
        WriteOp("POST", _ONE + "/approve", "Approve as the caller."),
        WriteOp("DELETE", _ONE + "/approve", "Withdraw the caller's approval."),
        WriteOp("POST", _ONE + "/request-changes", "Request changes as the caller."),
        WriteOp("POST", _ONE + "/decline", "Decline."),
        WriteOp("POST", _ONE + "/merge", "Merge (body: merge_strategy, message, close_source_branch)."),
    ),
    notes="All states are requested with repeated `state` parameters; because the API ignores `state` "
    "once `q` is present, the engine puts a state predicate into `q`. Commit hashes are 12-character "
    "short hashes: join to commits with `starts_with(commits.hash, source_commit_hash)`. "
    "`author_uuid = '{...}'` (or `author_account_id`, up to 5 values) with no repository reads "
    "`/workspaces/{workspace}/pullrequests/{selected_user}`: one listing per author instead of one per "
    "repository, after checking that the authors are members of the workspace (that endpoint misses the "
    "pull requests of people who have left; for them every repository is read).",
)
