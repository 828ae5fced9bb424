"""Dependency caches of a repository's pipelines (``GET .../pipelines-config/caches``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef

TABLE = TableDef(
    name="pipeline_caches",
    description="Caches (pip, node, docker...) that pipelines of a repository saved, with their size.",
    path="/repositories/{workspace}/{repo_slug}/pipelines-config/caches",
    keys=REPOSITORY_KEYS,
    primary_key=("workspace", "repository", "uuid"),
    columns=(
        *repository_scope_columns(),
        col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the cache."),
        col("name", "VARCHAR", "name", "Name of the cache (as in bitbucket-pipelines.yml)."),
        col("path", "VARCHAR", "path", "Directory the cache holds."),
        col("key_hash", "VARCHAR", "key_hash", "Hash of the cache key of this version."),
        col("file_size_bytes", "BIGINT", "file_size_bytes", "Size of the cache archive in bytes."),
        col("pipeline_uuid", "VARCHAR", "pipeline_uuid", "UUID of the pipeline that saved the cache."),
        col("step_uuid", "VARCHAR", "step_uuid", "UUID of the step that saved the cache."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the cache was saved (UTC)."),
    ),
)
