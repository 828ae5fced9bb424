"""Explicit group permissions on a repository (``GET .../permissions-config/groups``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef, WriteOp

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
        WriteOp("PUT", _ONE, "Grant or change a group's permission (body: permission)."),
        WriteOp("DELETE", _ONE, "Revoke a group's explicit permission."),
    ),
    notes="permissions-config endpoints do not support BBQL; filters are evaluated locally.",
)
