"""Every user's permission on every repository (``GET /workspaces/{workspace}/permissions/repositories``)."""

from ..columns import (
    PERMISSION_OPS,
    WORKSPACE_KEY,
    col,
    repository_slug_column,
    user_columns,
    with_bbql,
    workspace_column,
)
from ..model import TableDef

TABLE = TableDef(
    name="repository_permissions",
    description="Effective permission of each user on each repository of the workspace (admins only).",
    path="/workspaces/{workspace}/permissions/repositories",
    scope="workspace",
    keys=(WORKSPACE_KEY,),
    bbql=True,
    primary_key=("workspace", "repository_uuid", "user_uuid"),
    columns=with_bbql(
        (
            workspace_column(),
            col(
                "permission",
                "VARCHAR",
                "permission",
                "read, write or admin.",
                filter_ops=PERMISSION_OPS,
            ),
            repository_slug_column(),
            col("repository_full_name", "VARCHAR", "repository.full_name", "Full name `workspace/slug`."),
            col("repository_name", "VARCHAR", "repository.name", "Name of the repository."),
            col("repository_uuid", "VARCHAR", "repository.uuid", "UUID of the repository."),
            *user_columns("user", "user", "the user"),
        )
    ),
    notes="Needs workspace admin rights (403 otherwise); access tokens cannot read it. `repository` "
    "is the slug, taken from the condensed repository's full name.",
)
