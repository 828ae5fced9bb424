"""Branches and tags of a repository in one listing (``GET .../refs``, BBQL)."""

from ..columns import REPOSITORY_KEYS, col, html_url_column, repository_scope_columns, with_bbql
from ..model import TableDef

TABLE = TableDef(
    name="refs",
    description="Branches and tags of a repository together, with the commit each points at.",
    path="/repositories/{workspace}/{repo_slug}/refs",
    keys=REPOSITORY_KEYS,
    bbql=True,
    primary_key=("workspace", "repository", "ref_type", "name"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("ref_type", "VARCHAR", "type", "`branch` or `tag` (the object's `type`)."),
            col("name", "VARCHAR", "name", "Branch or tag name."),
            col("target_hash", "VARCHAR", "target.hash", "Hash of the commit the ref points at."),
            col("target_date", "TIMESTAMPTZ", "target.date", "Date of that commit (UTC)."),
            html_url_column("the ref"),
        ),
        not_filterable=("html_url",),
        not_sortable=("target_date",),
    ),
    notes="`sort=name` is natural ordering (v9 < v10), so ORDER BY is always done locally. Use "
    "`branches` or `tags` for the kind-specific fields.",
)
