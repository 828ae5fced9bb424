"""Annotations of Code Insights reports (``GET .../reports/{reportId}/annotations``): the findings."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import PathKey, TableDef

TABLE = TableDef(
    name="commit_report_annotations",
    description="Findings (vulnerabilities, code smells, bugs) of Code Insights reports, per file and line.",
    path="/repositories/{workspace}/{repo_slug}/commit/{commit}/reports/{reportId}/annotations",
    keys=(
        *REPOSITORY_KEYS,
        PathKey("commit", "commit_hash", source_table="commits", source_column="hash"),
        PathKey("reportId", "report_uuid", source_table="commit_reports", source_column="uuid"),
    ),
    primary_key=("workspace", "repository", "commit_hash", "report_uuid", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("commit_hash", "VARCHAR", None, "Hash of the commit the report belongs to."),
        col("report_uuid", "VARCHAR", None, "UUID of the report the annotation belongs to (see commit_reports)."),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the annotation."),
        col("external_id", "VARCHAR", "external_id", "Id the reporting tool gave the annotation."),
        col("annotation_type", "VARCHAR", "annotation_type", "VULNERABILITY, CODE_SMELL or BUG."),
        col("path", "VARCHAR", "path", "File the annotation is about (null: the whole commit)."),
        col("line", "BIGINT", "line", "Line of the file (null: the whole file)."),
        col("summary", "VARCHAR", "summary", "Message shown to users."),
        col("details", "VARCHAR", "details", "Details shown when the annotation is opened."),
        col("result", "VARCHAR", "result", "PASSED, FAILED, SKIPPED or IGNORED."),
        col("severity", "VARCHAR", "severity", "CRITICAL, HIGH, MEDIUM or LOW."),
        col("link", "VARCHAR", "link", "Address of the finding in the external tool."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the annotation was created (UTC)."),
        col("updated_on", "TIMESTAMPTZ", "updated_on", "When the annotation last changed (UTC)."),
    ),
    notes="No server-side filters. Fix `commit_hash` (and `report_uuid`), or join from `commit_reports` "
    "(`ON a.report_uuid = r.uuid AND a.commit_hash = r.commit_hash AND a.repository = r.repository`), so "
    "only reports that exist are visited.",
)
