"""Projects of a workspace (``GET /workspaces/{workspace}/projects``)."""

from ..columns import WORKSPACE_KEY, col, html_url_column, with_bbql, workspace_column
from ..model import TableDef, WriteField, delete, insert, update

_LIST = "/workspaces/{workspace}/projects"
_ONE = _LIST + "/{key}"

TABLE = TableDef(
    name="projects",
    description="Projects of the workspace (groups of repositories).",
    path=_LIST,
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    bbql=True,
    get_path=_ONE,
    get_key=("key",),
    primary_key=("workspace", "key"),
    columns=with_bbql(
        (
            workspace_column(),
            col("key", "VARCHAR", "key", "Project key (upper case, unique in the workspace)."),
            col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the project."),
            col("name", "VARCHAR", "name", "Name of the project."),
            col("description", "VARCHAR", "description", "Free-text description."),
            col("is_private", "BOOLEAN", "is_private", "True when the project is private."),
            col(
                "has_publicly_visible_repos",
                "BOOLEAN",
                "has_publicly_visible_repos",
                "True when the project holds at least one public repository.",
            ),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the project was created (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the project was last updated (UTC)."),
            html_url_column("the project"),
        ),
        not_filterable=("html_url",),
        not_sortable=("created_on", "updated_on"),
    ),
    writes=(
        insert(_LIST, "Create a project (body: key, name, description, is_private); 201 with the project.",
               WriteField("key", required=True), WriteField("name", required=True), WriteField("description"),
               WriteField("is_private"), scope="project:admin"),
        update(_ONE, "Change a project; a new key renames it (the body carries key and name, as the API requires).",
               WriteField("key", required=True), WriteField("name", required=True), WriteField("description"),
               WriteField("is_private"), full_body=True, scope="project:admin"),
        delete(_ONE, "Delete an empty project.", scope="project:admin"),
    ),
    notes="The spec does not declare `q`/`sort` here; filters are pushed as a superset (the query is "
    "re-checked locally), ORDER BY is done locally.",
)
