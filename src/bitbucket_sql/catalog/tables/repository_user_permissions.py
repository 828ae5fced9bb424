"""Explicit user permissions on a repository (``GET .../permissions-config/users``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns, user_columns
from ..model import TableDef, WriteField, delete, insert, update

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
        insert(_ONE, "Grant a permission (read, write, admin); 402 at the plan's user limit.", WriteField(
            "permission", required=True), method="PUT", scope="repository:admin", token_scopes=("admin:repository:bitbucket", "write:permission:bitbucket")),
        update(_ONE, "Change the permission.", WriteField("permission", required=True), scope="repository:admin", token_scopes=("admin:repository:bitbucket", "write:permission:bitbucket")),
        delete(_ONE, "Revoke the explicit permission.", scope="repository:admin", token_scopes=("admin:repository:bitbucket", "delete:permission:bitbucket")),
    ),
    notes="permissions-config endpoints do not support BBQL; filters are evaluated locally.",
)
