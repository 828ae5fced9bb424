"""The commits that changed a file (``GET .../filehistory/{commit}/{path}``, cursor paging, BBQL)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns, with_bbql
from ..model import PathKey, TableDef
from .files import REF_KEY

TABLE = TableDef(
    name="file_history",
    description="For each file, the commits that changed it, newest first (following renames).",
    path="/repositories/{workspace}/{repo_slug}/filehistory/{commit}/{path}",
    keys=(
        *REPOSITORY_KEYS,
        REF_KEY,
        PathKey("path", "path", source_table="files", source_column="path", source_where=("type", "commit_file")),
    ),
    paging="cursor",
    bbql=True,
    primary_key=("workspace", "repository", "ref", "path", "commit_hash"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("ref", "VARCHAR", None, "Branch, tag or commit hash whose history is read (may contain `/`)."),
            col("path", "VARCHAR", None, "Path of the file as named in the query (its name at the ref)."),
            col("file_path", "VARCHAR", "path", "Path of the file at that commit (differs before a rename)."),
            col("commit_hash", "VARCHAR", "commit.hash", "Full hash of the commit that changed the file."),
            col("commit_date", "TIMESTAMPTZ", "commit.date", "Author date of the commit (UTC)."),
            col("commit_message", "VARCHAR", "commit.message", "Message of the commit."),
            col("commit_author_raw", "VARCHAR", "commit.author.raw", "Author as recorded by git: `Name <email>`."),
            col("size", "BIGINT", "size", "Size of the file in bytes at that commit."),
        ),
        not_filterable=("commit_author_raw", "commit_message", "file_path"),
    ),
    notes="Name the file (`path = 'README.md'`) and the ref; without them every file of every branch is "
    "visited. `commit_date` and `commit_hash` filters and ORDER BY commit_date go to the API (BBQL). A `ref` the "
    "query names that does not exist is an error naming it; a `path` missing at an existing ref is no row.",
)
