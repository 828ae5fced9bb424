"""Files and directories of each repository at a branch or tag (``GET .../src/{commit}/?max_depth=...``).

One listing per (repository, ref) returns the whole tree: the root directory is listed recursively
(``max_depth``), in pages, so a repository of a few hundred files costs a few requests.
"""

from ..columns import REPOSITORY_KEYS, col, path_depth, repository_scope_columns, with_bbql
from ..model import Column, PathKey, TableDef

#: How deep the recursive listing goes (Bitbucket lists directories below it as entries).
MAX_DEPTH = "20"

#: a ref the query names that does not exist is an error (checked on a 404 by listing one commit from it)
REF_KEY = PathKey(
    "commit", "ref", source_table="refs", source_column="name",
    probe_path="/repositories/{workspace}/{repo_slug}/commits/{commit}?pagelen=1",
)

TABLE = TableDef(
    name="files",
    description="Every file and directory of a repository at a branch, tag or commit (the tree, recursively).",
    path="/repositories/{workspace}/{repo_slug}/src/{commit}/",
    keys=(*REPOSITORY_KEYS, REF_KEY),
    fixed_params=(("max_depth", (MAX_DEPTH,)),),
    bbql=True,
    primary_key=("workspace", "repository", "ref", "path"),
    columns=with_bbql((
        *repository_scope_columns(),
        col(
            "ref",
            "VARCHAR",
            None,
            "Branch, tag or commit hash the tree is read at (may contain `/`); without a filter every branch "
            "and tag is listed.",
        ),
        col("path", "VARCHAR", "path", "Path of the file or directory from the repository root."),
        col("type", "VARCHAR", "type", "`commit_file` or `commit_directory`."),
        Column(
            name="depth",
            type="BIGINT",
            path="path",
            description="Level below the root: 1 for top-level entries, 2 inside a top-level directory...",
            derive=path_depth,
            bound_param="max_depth",
        ),
        col("size", "BIGINT", "size", "Size of a file in bytes (null for directories)."),
        col("mimetype", "VARCHAR", "mimetype", "Content type Bitbucket derives from the file name."),
        col("attributes", "JSON", "attributes", "File modifiers: binary, executable, link, lfs, subrepository."),
        col("commit_hash", "VARCHAR", "commit.hash", "Full hash of the commit the ref pointed at."),
    )),
    notes="Read the tree at one ref: `WHERE repository = 'api' AND ref = 'main'`, or join `repositories` on "
    "`f.repository = r.slug AND f.ref = r.mainbranch_name` for every main branch. Without a `ref` filter "
    "every branch and tag of the repository is listed (bounded by MaxFanout). The listing goes 20 levels "
    "deep; `depth <= n` (or `depth = n`) asks for only n levels (`max_depth=n`). `type`, `path` (LIKE as a "
    "fragment), `size` and `mimetype` filters go into BBQL `q`, so a search for one file name across "
    "repositories reads one short page per repository. `commit_hash` is the commit the ref resolved to (the same "
    "for every entry, as the API answers); the last commit that changed a file is the newest row of `file_history` "
    "(`WHERE path = ... ORDER BY commit_date DESC LIMIT 1`, one request). A `ref` the query names that is no "
    "branch, tag or commit of the repository is an error naming it (list them from `refs`).",
)
