"""Code Insights reports of commits (``GET .../commit/{commit}/reports``): security scans, coverage,
test results that tools attach to a commit."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import PathKey, TableDef

_LIST = "/repositories/{workspace}/{repo_slug}/commit/{commit}/reports"

TABLE = TableDef(
    name="commit_reports",
    description="Code Insights reports (security scan, coverage, tests, bugs) attached to commits.",
    path=_LIST,
    keys=(*REPOSITORY_KEYS, PathKey("commit", "commit_hash", source_table="commits", source_column="hash")),
    get_path=_LIST + "/{uuid}",
    get_key=("uuid",),
    primary_key=("workspace", "repository", "commit_hash", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("commit_hash", "VARCHAR", None, "Hash of the commit the report belongs to (as named in the query)."),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the report."),
        col("external_id", "VARCHAR", "external_id", "Id the reporting tool gave the report (unique per commit)."),
        col("title", "VARCHAR", "title", "Title of the report."),
        col("details", "VARCHAR", "details", "What the report is about."),
        col("report_type", "VARCHAR", "report_type", "SECURITY, COVERAGE, TEST or BUG."),
        col("result", "VARCHAR", "result", "PASSED, FAILED or PENDING."),
        col("reporter", "VARCHAR", "reporter", "Tool or company that created the report."),
        col("link", "VARCHAR", "link", "Address of the report in the external tool."),
        col("logo_url", "VARCHAR", "logo_url", "Address of the report's logo."),
        col(
            "remote_link_enabled",
            "BOOLEAN",
            "remote_link_enabled",
            "Whether a remote link is created in Jira for the commit's work item.",
        ),
        col("data", "JSON", "data", "Up to 10 data fields shown with the report (type, title, value)."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the report was created (UTC)."),
        col("updated_on", "TIMESTAMPTZ", "updated_on", "When the report last changed (UTC)."),
    ),
    notes="No server-side filters. Without `commit_hash = ...` every commit of the repository is visited: "
    "fix the commit, or join from a filtered `commits` query (`ON r.commit_hash = c.hash AND r.repository = "
    "c.repository`).",
)
