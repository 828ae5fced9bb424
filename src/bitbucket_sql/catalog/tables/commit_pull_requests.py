"""Pull requests that contain a commit (``GET .../commit/{commit}/pullrequests``)."""

from ..columns import REPOSITORY_KEYS, col, html_url_column, repository_scope_columns, user_columns
from ..model import PathKey, TableDef

TABLE = TableDef(
    name="commit_pull_requests",
    description="For each commit, the pull requests whose commits include it.",
    path="/repositories/{workspace}/{repo_slug}/commit/{commit}/pullrequests",
    keys=(*REPOSITORY_KEYS, PathKey("commit", "commit_hash", source_table="commits", source_column="hash")),
    primary_key=("workspace", "repository", "commit_hash", "id"),
    columns=(
        *repository_scope_columns(),
        col("commit_hash", "VARCHAR", None, "Hash of the commit (as named in the query)."),
        col("id", "BIGINT", "id", "Number of the pull request (see pull_requests)."),
        col("title", "VARCHAR", "title", "Title of the pull request."),
        col("state", "VARCHAR", "state", "OPEN, MERGED, DECLINED or SUPERSEDED."),
        *user_columns("author", "author", "the pull request's author"),
        col("source_branch_name", "VARCHAR", "source.branch.name", "Branch the changes come from."),
        col("destination_branch_name", "VARCHAR", "destination.branch.name", "Branch the changes go into."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the pull request was opened (UTC)."),
        col("updated_on", "TIMESTAMPTZ", "updated_on", "When the pull request last changed (UTC)."),
        html_url_column("the pull request"),
    ),
    notes="Bitbucket answers from its commit-to-pull-request index (the \"Pull Request Commit Links\" app must "
    "be installed; a repository still being indexed answers 202 and no rows). Fix `commit_hash`: without "
    "it every commit of the repository is visited.",
)
