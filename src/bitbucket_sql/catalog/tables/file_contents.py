"""The text of one file at a branch, tag or commit (``GET .../src/{commit}/{path}``, raw bytes)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import PathKey, TableDef
from .files import REF_KEY

TABLE = TableDef(
    name="file_contents",
    description="The content of files at a branch, tag or commit: text decoded as UTF-8, binaries flagged.",
    path="/repositories/{workspace}/{repo_slug}/src/{commit}/{path}",
    keys=(
        *REPOSITORY_KEYS,
        REF_KEY,
        PathKey("path", "path", source_table="files", source_column="path", source_where=("type", "commit_file")),
    ),
    paging="raw",
    primary_key=("workspace", "repository", "ref", "path"),
    columns=(
        *repository_scope_columns(),
        col("ref", "VARCHAR", None, "Branch, tag or commit hash the file is read at (may contain `/`)."),
        col("path", "VARCHAR", None, "Path of the file from the repository root (may contain `/`)."),
        col("size", "BIGINT", "size", "Size of the file in bytes."),
        col(
            "is_binary",
            "BOOLEAN",
            "is_binary",
            "True when the bytes are not UTF-8 text (NUL bytes or invalid UTF-8): `text` is then null.",
        ),
        col("content_type", "VARCHAR", "content_type", "Content type of the answer (from the file name)."),
        col("text", "VARCHAR", "text", "The file's content as text (null for binary files)."),
    ),
    notes="One request per file. Name the file: `WHERE path = 'bitbucket-pipelines.yml'`, and the ref, or join "
    "`repositories` (`ON c.repository = r.slug AND c.ref = r.mainbranch_name`) to read it on every main "
    "branch; a repository without the file gives no row. Without a `path` filter every file of the tree is "
    "read (the paths come from `files`). Files above 1 MiB fail the query with an error naming them (no more "
    "than 1 MiB of such a file is downloaded, however large it is): read `size` from `files` and join on "
    "`path` with `f.size < 1000000` to skip them. Files stored in Git LFS are not read. A `ref` the query names "
    "that does not exist is an error naming it; a `path` missing at an existing ref is no row.",
)
