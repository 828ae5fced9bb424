"""Repositories of a workspace (``GET /repositories/{workspace}``, BBQL)."""

from ..columns import WORKSPACE_KEY, col, html_url_column, user_columns, with_bbql, workspace_column
from ..model import TableDef, WriteField, delete, insert, update

_ONE = "/repositories/{workspace}/{slug}"
#: what a create and an update both take (the spec's repository body)
_SETTABLE = (
    WriteField("name"), WriteField("description"), WriteField("is_private"), WriteField("fork_policy"),
    WriteField("language"), WriteField("website"), WriteField("project_key"),
)

TABLE = TableDef(
    name="repositories",
    description="Repositories of the workspace that the credentials can see.",
    path="/repositories/{workspace}",
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    bbql=True,
    get_path=_ONE,
    get_key=("slug",),
    primary_key=("workspace", "slug"),
    columns=with_bbql(
        (
            workspace_column(),
            col("slug", "VARCHAR", "slug", "URL-friendly name of the repository, unique in the workspace."),
            col("uuid", "VARCHAR", "uuid", "UUID (with braces) of the repository."),
            col("name", "VARCHAR", "name", "Display name of the repository."),
            col("full_name", "VARCHAR", "full_name", "Workspace slug and repository slug: `workspace/slug`."),
            col("description", "VARCHAR", "description", "Free-text description."),
            col("is_private", "BOOLEAN", "is_private", "True when only members can see the repository."),
            col("scm", "VARCHAR", "scm", "Version control system (always `git`)."),
            col(
                "fork_policy",
                "VARCHAR",
                "fork_policy",
                "Who may fork: allow_forks, no_public_forks, no_forks.",
            ),
            col("language", "VARCHAR", "language", "Main programming language as set by the owner."),
            col("size", "BIGINT", "size", "Size of the repository in bytes."),
            col(
                "has_issues", "BOOLEAN", "has_issues", "Whether the (now removed) issue tracker was enabled."
            ),
            col("has_wiki", "BOOLEAN", "has_wiki", "Whether the (now removed) wiki was enabled."),
            col("created_on", "TIMESTAMPTZ", "created_on", "When the repository was created (UTC)."),
            col("updated_on", "TIMESTAMPTZ", "updated_on", "When the repository was last updated (UTC)."),
            col("mainbranch_name", "VARCHAR", "mainbranch.name", "Name of the main (default) branch."),
            col("project_key", "VARCHAR", "project.key", "Key of the project the repository belongs to."),
            col("project_uuid", "VARCHAR", "project.uuid", "UUID of the project the repository belongs to."),
            col("project_name", "VARCHAR", "project.name", "Name of the project the repository belongs to."),
            *user_columns("owner", "owner", "the owner (workspace or user)", account_id=False),
            col(
                "parent_full_name",
                "VARCHAR",
                "parent.full_name",
                "For forks: full name of the forked repository.",
            ),
            col("parent_uuid", "VARCHAR", "parent.uuid", "For forks: UUID of the forked repository."),
            col("website", "VARCHAR", "website", "Website URL set by the owner."),
            html_url_column("the repository"),
        ),
        not_filterable=("html_url",),
    ),
    writes=(
        insert(_ONE, "Create a repository named by its slug (body: scm, name, project.key, is_private, ...); 200.",
               *_SETTABLE, WriteField("scm"), scope="repository:admin"),
        update(_ONE, "Change a repository's settings (only the columns SET are sent); a new slug renames it.",
               *_SETTABLE, WriteField("mainbranch_name"), scope="repository:admin"),
        delete(_ONE, "Delete a repository (and everything in it).", scope="repository:delete"),
    ),
    notes="`sort` works on created_on, updated_on and size; names sort in the API's own collation, "
    "so they are sorted locally.",
)
