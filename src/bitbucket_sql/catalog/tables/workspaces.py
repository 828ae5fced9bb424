"""Workspaces the caller can access (``GET /user/workspaces``, the non-deprecated listing)."""

from ..columns import PARAM_OPS, col
from ..model import TableDef

TABLE = TableDef(
    name="workspaces",
    description="Workspaces the credentials can access, with the caller's admin flag.",
    path="/user/workspaces",
    scope="global",
    get_path=None,
    primary_key=("slug",),
    columns=(
        col("slug", "VARCHAR", "workspace.slug", "Slug of the workspace (its SQL schema name)."),
        col(
            "workspace",
            "VARCHAR",
            "workspace.slug",
            "Same as `slug`; named like the `workspace` column of every other table for joins.",
        ),
        col("uuid", "VARCHAR", "workspace.uuid", "UUID (with braces) of the workspace."),
        col(
            "administrator",
            "BOOLEAN",
            "administrator",
            "True when the caller administers the workspace.",
            param="administrator",
            filter_ops=PARAM_OPS,
        ),
    ),
    notes="Lists `workspace_access` items of `/user/workspaces` (the deprecated `/workspaces` is not used). "
    "Names and other details live at `/workspaces/{workspace}`; the engine may add them. "
    "The API sorts by slug only in its own collation, so ORDER BY is done locally.",
)
