"""Column sets of API objects that more than one table lists.

Commits appear in ``commits`` and ``pull_request_commits``, commit statuses in
``commit_statuses`` and ``pull_request_statuses``, diffstat entries in two tables, webhooks
and pipeline variables at workspace and repository level. Defining each shape once keeps
the twin tables identical.
"""

from __future__ import annotations

from .columns import ISSUE_TRACKER_REMOVED, REPOSITORY_KEYS, col, html_url_column, repository_scope_columns
from .model import Column, TableDef, WriteField


def commit_columns() -> tuple[Column, ...]:
    """Columns of a ``commit`` object."""
    return (
        col("hash", "VARCHAR", "hash", "Full 40-character commit hash."),
        col("date", "TIMESTAMPTZ", "date", "Author date of the commit (UTC)."),
        col("message", "VARCHAR", "message", "Full commit message."),
        col("summary_raw", "VARCHAR", "summary.raw", "Commit message as rendered-text source."),
        col("author_raw", "VARCHAR", "author.raw", "Author as recorded by git: `Name <email>`."),
        col(
            "author_user_uuid",
            "VARCHAR",
            "author.user.uuid",
            "UUID of the Bitbucket user matched to the author (null when unmatched).",
        ),
        col(
            "author_user_account_id",
            "VARCHAR",
            "author.user.account_id",
            "Atlassian account id of the Bitbucket user matched to the author.",
        ),
        col(
            "author_user_display_name",
            "VARCHAR",
            "author.user.display_name",
            "Display name of the Bitbucket user matched to the author.",
        ),
        col("parents", "JSON", "parents", "Parent commits (list of objects with `hash`)."),
        html_url_column("the commit"),
    )


def commit_status_columns() -> tuple[Column, ...]:
    """Columns of a ``commitstatus`` (build status) object."""
    return (
        col("key", "VARCHAR", "key", "Key of the status, unique per commit (e.g. the CI job id)."),
        col("state", "VARCHAR", "state", "SUCCESSFUL, FAILED, INPROGRESS or STOPPED."),
        col("name", "VARCHAR", "name", "Name shown for the status."),
        col("description", "VARCHAR", "description", "Description shown for the status."),
        col("url", "VARCHAR", "url", "Link to the build (may be a URI template)."),
        col("refname", "VARCHAR", "refname", "Branch the status belongs to (ties it to pull requests)."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the status was first reported (UTC)."),
        col("updated_on", "TIMESTAMPTZ", "updated_on", "When the status last changed (UTC)."),
    )


def diffstat_columns() -> tuple[Column, ...]:
    """Columns of a ``diffstat`` entry (one changed file)."""
    return (
        col("status", "VARCHAR", "status", "added, removed, modified or renamed."),
        col("lines_added", "BIGINT", "lines_added", "Lines added to the file."),
        col("lines_removed", "BIGINT", "lines_removed", "Lines removed from the file."),
        col("old_path", "VARCHAR", "old.path", "Path before the change (null for added files)."),
        col("new_path", "VARCHAR", "new.path", "Path after the change (null for removed files)."),
    )


def webhook_columns() -> tuple[Column, ...]:
    """Columns of a ``webhook_subscription``."""
    return (
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the webhook."),
        col("url", "VARCHAR", "url", "Address the events are posted to."),
        col("description", "VARCHAR", "description", "Description of the webhook."),
        col("active", "BOOLEAN", "active", "Whether events are delivered."),
        col("created_at", "TIMESTAMPTZ", "created_at", "When the webhook was created (UTC)."),
        col("events", "JSON", "events", "Event keys the webhook subscribes to (e.g. `repo:push`)."),
        col("secret_set", "BOOLEAN", "secret_set", "Whether deliveries are signed with a secret."),
        col("read_only", "BOOLEAN", "read_only", "Whether the webhook is managed by an app (not editable)."),
        col(
            "skip_cert_verification",
            "BOOLEAN",
            "skip_cert_verification",
            "Whether TLS certificates are not verified.",
        ),
        col("history_enabled", "BOOLEAN", "history_enabled", "Whether request history is kept."),
    )


def webhook_write_fields(*, required: bool = False) -> tuple[WriteField, ...]:
    """What a webhook create (``required``: url and events must be given) or update sends; the
    ``secret`` signs deliveries and is write-only (the API answers only ``secret_set``)."""
    return (
        WriteField("url", required=required), WriteField("events", required=required), WriteField("description"),
        WriteField("active"), WriteField("skip_cert_verification"),
        WriteField("secret", type="VARCHAR", secret=True,
                   description="Secret that signs deliveries (write-only: reads show secret_set; NULL removes it)"),
    )


def pipeline_variable_columns() -> tuple[Column, ...]:
    """Columns of a ``pipeline_variable`` (secured values are never returned)."""
    return (
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the variable."),
        col("key", "VARCHAR", "key", "Name of the variable."),
        col("value", "VARCHAR", "value", "Value (null for secured variables)."),
        col("secured", "BOOLEAN", "secured", "Whether the value is secret."),
    )


def account_columns(who: str) -> tuple[Column, ...]:
    """Columns of an ``account`` listed as a row (watchers, default reviewers)."""
    return (
        col("uuid", "VARCHAR", "uuid", f"UUID (with braces) of {who}."),
        col("account_id", "VARCHAR", "account_id", f"Atlassian account id of {who}."),
        col("display_name", "VARCHAR", "display_name", f"Display name of {who}."),
        col("nickname", "VARCHAR", "nickname", f"Nickname of {who}."),
    )


def issue_tracker_named_list(name: str, noun: str) -> TableDef:
    """A removed issue-tracker list of named objects (``components``, ``milestones``, ``versions``).

    The three had the same shape (id and name per repository) and the same removal; one builder
    keeps them identical, while each keeps its own module so old queries still find the table.
    """
    path = f"/repositories/{{workspace}}/{{repo_slug}}/{name}"
    return TableDef(
        name=name,
        description=f"Issue {name} of a repository (the issue tracker was removed on 2026-08-20).",
        path=path,
        keys=REPOSITORY_KEYS,
        get_path=path + "/{id}",
        get_key=("id",),
        removed=ISSUE_TRACKER_REMOVED,
        primary_key=("workspace", "repository", "id"),
        columns=(
            *repository_scope_columns(),
            col("id", "BIGINT", "id", f"Id of the {noun}."),
            col("name", "VARCHAR", "name", f"Name of the {noun}."),
        ),
    )


def runner_columns() -> tuple[Column, ...]:
    """Columns of a ``pipeline_runner`` (self-hosted runner), at repository or workspace level."""
    return (
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the runner."),
        col("name", "VARCHAR", "name", "Name of the runner."),
        col("labels", "JSON", "labels", "Labels steps select the runner with (`self.hosted`, `linux`...)."),
        col("state_status", "VARCHAR", "state.status", "ONLINE, OFFLINE, UNHEALTHY, DISABLED, ENABLED or UNREGISTERED."),
        col("state_cordoned", "BOOLEAN", "state.cordoned", "Whether the runner takes no new steps."),
        col("state_updated_on", "TIMESTAMPTZ", "state.updated_on", "When the runner last reported its state (UTC)."),
        col("version", "VARCHAR", "state.version.version", "Runner version installed."),
        col("current_version", "VARCHAR", "state.version.current", "Runner version Bitbucket recommends."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the runner was registered (UTC)."),
        col("updated_on", "TIMESTAMPTZ", "updated_on", "When the runner last changed (UTC)."),
    )


def ssh_key_columns() -> tuple[Column, ...]:
    """Columns shared by SSH public keys of users and projects."""
    return (
        col("key", "VARCHAR", "key", "Public key in OpenSSH format (`ssh-ed25519 AAAA...`)."),
        col("label", "VARCHAR", "label", "Label given to the key."),
        col("comment", "VARCHAR", "comment", "Comment part of the public key."),
        col("last_used", "TIMESTAMPTZ", "last_used", "When the key was last used (UTC; null if never)."),
    )
