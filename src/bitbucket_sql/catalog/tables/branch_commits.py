"""The history of each branch, newest first (``GET .../commits/{revision}``, the branch name as revision, cursor paging, no BBQL).

``commits`` lists every commit of a repository and cannot say which branch a commit is on;
this table is one row per (branch, commit reachable from it), with ``position`` giving the
commit's place in the API's listing (0 = the branch head). Position *is* the API's order, so
``WHERE repository = 'x' AND branch = 'main' ORDER BY position LIMIT 20`` reads one page.
"""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import PathKey, TableDef
from ..shapes import commit_columns

TABLE = TableDef(
    name="branch_commits",
    description="Commits reachable from each branch, in the API's order (newest first, 0 = head).",
    path="/repositories/{workspace}/{repo_slug}/commits/{revision}",
    keys=(
        *REPOSITORY_KEYS,
        PathKey("revision", "branch", source_table="branches", source_column="name"),
    ),
    paging="cursor",
    primary_key=("workspace", "repository", "branch", "hash"),
    columns=(
        *repository_scope_columns(),
        col(
            "branch",
            "VARCHAR",
            None,
            "Name of the branch whose history the row belongs to (may contain `/`).",
        ),
        col(
            "position",
            "BIGINT",
            None,
            "Place of the commit in the branch's history as the API lists it: 0 is the branch head, "
            "then newest first in topological order (a parent never comes before its child).",
            listing_order=True,
        ),
        *commit_columns(),
    ),
    notes="No server-side filters. Fix `branch` (and `repository`) to read one branch; without them "
    "every branch of every repository is listed. `ORDER BY position LIMIT n` and `position < n` stop "
    "after n commits per branch. A commit on several branches appears once per branch.",
)
