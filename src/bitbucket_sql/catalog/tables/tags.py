"""Tags of a repository (``GET .../refs/tags``, BBQL)."""

from ..columns import REPOSITORY_KEYS, col, html_url_column, repository_scope_columns, with_bbql
from ..model import TableDef, WriteField, delete, insert

_LIST = "/repositories/{workspace}/{repo_slug}/refs/tags"

TABLE = TableDef(
    name="tags",
    description="Tags of a repository with the commit they point at.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    bbql=True,
    get_path=_LIST + "/{name}",
    get_key=("name",),
    primary_key=("workspace", "repository", "name"),
    columns=with_bbql(
        (
            *repository_scope_columns(),
            col("name", "VARCHAR", "name", "Tag name."),
            col("target_hash", "VARCHAR", "target.hash", "Hash of the tagged commit."),
            col("target_date", "TIMESTAMPTZ", "target.date", "Date of the tagged commit (UTC)."),
            col("message", "VARCHAR", "message", "Message of an annotated tag."),
            col("date", "TIMESTAMPTZ", "date", "When an annotated tag was created (UTC)."),
            col("tagger_raw", "VARCHAR", "tagger.raw", "Who created an annotated tag: `Name <email>`."),
            col(
                "tagger_user_uuid",
                "VARCHAR",
                "tagger.user.uuid",
                "UUID of the Bitbucket user who created the tag.",
            ),
            html_url_column("the tag"),
        ),
        not_filterable=("html_url",),
        not_sortable=("target_date", "date"),
    ),
    writes=(
        insert(_LIST, "Create a tag at a commit (body: name, target.hash, optional message); 201 with the tag.",
               WriteField("name", required=True), WriteField("target_hash", required=True), WriteField("message"),
               scope="repository:write"),
        delete(_LIST + "/{name}", "Delete a tag.", scope="repository:write", token_scopes=("write:repository:bitbucket",)),
    ),
    notes="`sort=name` is natural ordering (v9 < v10), so ORDER BY is always done locally.",
)
