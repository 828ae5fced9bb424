"""Build statuses of commits (``GET .../commit/{commit}/statuses``, BBQL)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns, with_bbql
from ..model import PathKey, TableDef, WriteField, insert, update
from ..shapes import commit_status_columns

_BASE = "/repositories/{workspace}/{repo_slug}/commit/{commit}"

TABLE = TableDef(
    name="commit_statuses",
    description="Build statuses (CI results) reported for commits.",
    path=_BASE + "/statuses",
    keys=(*REPOSITORY_KEYS, PathKey("commit", "commit_hash", source_table="commits", source_column="hash")),
    bbql=True,
    get_path=_BASE + "/statuses/build/{key}",
    get_key=("key",),
    primary_key=("workspace", "repository", "commit_hash", "key"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("commit_hash", "VARCHAR", None, "Hash of the commit the status is reported for."),
            *commit_status_columns(),
        )
    ),
    writes=(
        insert(_BASE + "/statuses/build", "Report a build status on a commit (body: key, state, name, url, ...); 201.",
               WriteField("key", required=True), WriteField("state", required=True), WriteField("url", required=True),
               WriteField("name"), WriteField("description"), WriteField("refname"), scope="repository"),
        update(_BASE + "/statuses/build/{key}", "Change a build status (its key cannot change).",
               WriteField("state"), WriteField("url"), WriteField("name"), WriteField("description"),
               WriteField("refname"), scope="repository"),
    ),
    notes="Without `commit_hash = ...` every commit of the repository is visited: always fix the commit "
    "or join from a filtered `commits` query.",
)
