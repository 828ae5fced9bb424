"""Explicit group permissions on a repository (``GET .../permissions-config/groups``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef, WriteField, delete, insert, update

_LIST = "/repositories/{workspace}/{repo_slug}/permissions-config/groups"
_ONE = _LIST + "/{group_slug}"

TABLE = TableDef(
    name="repository_group_permissions",
    description="Groups granted a permission on a repository explicitly.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("group_slug",),
    primary_key=("workspace", "repository", "group_slug"),
    columns=(
        *repository_scope_columns(),
        col("permission", "VARCHAR", "permission", "read, write or admin."),
        col("group_slug", "VARCHAR", "group.slug", "Slug of the group."),
        col("group_name", "VARCHAR", "group.name", "Name of the group."),
        col("group_full_slug", "VARCHAR", "group.full_slug", "Workspace and group slug: `workspace:group`."),
    ),
    writes=(
        insert(_ONE, "Grant a permission (read, write, admin); 402 at the plan's user limit.", WriteField(
            "permission", required=True), method="PUT", scope="repository:admin", token_scopes=("admin:repository:bitbucket", "write:permission:bitbucket")),
        update(_ONE, "Change the permission.", WriteField("permission", required=True), scope="repository:admin", token_scopes=("admin:repository:bitbucket", "write:permission:bitbucket")),
        delete(_ONE, "Revoke the explicit permission.", scope="repository:admin", token_scopes=("admin:repository:bitbucket", "delete:permission:bitbucket")),
    ),
    notes="permissions-config endpoints do not support BBQL; filters are evaluated locally.",
)
