"""Activity of pull requests: updates, approvals, change requests and comments (``.../activity``)."""

from ..columns import (
    PULL_REQUEST_KEY,
    REPOSITORY_KEYS,
    col,
    pull_request_id_column,
    repository_scope_columns,
    user_columns,
)
from ..model import TableDef

_REPO = "/repositories/{workspace}/{repo_slug}/pullrequests"

TABLE = TableDef(
    name="pull_request_activity",
    description="Timeline of pull requests: one row per update, approval, change request or comment.",
    path=_REPO + "/{pull_request_id}/activity",
    wide_path=_REPO + "/activity",
    keys=(*REPOSITORY_KEYS, PULL_REQUEST_KEY),
    paging="cursor",
    max_pagelen=50,
    primary_key=(),
    columns=(
        *repository_scope_columns(),
        pull_request_id_column("pull_request.id"),
        col("pull_request_title", "VARCHAR", "pull_request.title", "Title of the pull request."),
        col(
            "update_date",
            "TIMESTAMPTZ",
            "update.date",
            "Update entries: when the pull request changed (UTC).",
        ),
        col("update_state", "VARCHAR", "update.state", "Update entries: state after the change."),
        col("update_title", "VARCHAR", "update.title", "Update entries: title after the change."),
        col(
            "update_description",
            "VARCHAR",
            "update.description",
            "Update entries: description after the change.",
        ),
        col("update_reason", "VARCHAR", "update.reason", "Update entries: decline reason."),
        *user_columns("update_author", "update.author", "the user who made the change"),
        col(
            "update_source_commit_hash",
            "VARCHAR",
            "update.source.commit.hash",
            "Update entries: short hash of the source head after the change.",
        ),
        col(
            "approval_date", "TIMESTAMPTZ", "approval.date", "Approval entries: when the user approved (UTC)."
        ),
        *user_columns("approval_user", "approval.user", "the approver"),
        col(
            "changes_requested_date",
            "TIMESTAMPTZ",
            "changes_requested.date",
            "Change-request entries: when changes were requested (UTC).",
        ),
        *user_columns("changes_requested_user", "changes_requested.user", "the user who requested changes"),
        col(
            "comment_id",
            "BIGINT",
            "comment.id",
            "Comment entries: id of the comment (see pull_request_comments).",
        ),
        col("comment_content_raw", "VARCHAR", "comment.content.raw", "Comment entries: text of the comment."),
        col(
            "comment_created_on",
            "TIMESTAMPTZ",
            "comment.created_on",
            "Comment entries: when it was written (UTC).",
        ),
        *user_columns("comment_user", "comment.user", "the commenter"),
    ),
    notes="Each entry has exactly one of update, approval, changes_requested or comment; the columns of "
    "the other kinds are null (tell kinds apart with e.g. `approval_date IS NOT NULL`). Entries have no "
    "id, so the table has no primary key. Newest first. Without `pull_request_id = ...` the repository-"
    "wide activity endpoint is read once instead of one request per pull request; its entries carry "
    "`pull_request.id`.",
)
