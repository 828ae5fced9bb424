"""Explicit user permissions on a repository (``GET .../permissions-config/users``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns, user_columns
from ..model import TableDef, WriteOp

_LIST = "/repositories/{workspace}/{repo_slug}/permissions-config/users"
_ONE = _LIST + "/{user_uuid}"

TABLE = TableDef(
    name="repository_user_permissions",
    description="Users granted a permission on a repository explicitly.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("user_uuid",),
    primary_key=("workspace", "repository", "user_uuid"),
    columns=(
        *repository_scope_columns(),
        col("permission", "VARCHAR", "permission", "read, write or admin."),
        *user_columns("user", "user", "the user"),
    ),
    writes=(
        WriteOp(
            "PUT",
            _ONE,
            "Grant or change a user's permission (body: permission); 402 at the plan's user limit.",
        ),
        WriteOp("DELETE", _ONE, "Revoke a user's explicit permission."),
    ),
    notes="permissions-config endpoints do not support BBQL; filters are evaluated locally.",
)
