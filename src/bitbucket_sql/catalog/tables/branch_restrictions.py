"""Branch permissions and merge checks (``GET .../branch-restrictions``; `kind`/`pattern` params)."""

from ..columns import PARAM_OPS, REPOSITORY_KEYS, col, repository_scope_columns
from ..model import TableDef, WriteField, delete, insert, update

_LIST = "/repositories/{workspace}/{repo_slug}/branch-restrictions"
_ONE = _LIST + "/{id}"
#: what a create and an update take (users and groups as JSON lists of {"uuid": ...} / {"slug": ...})
_FIELDS = (
    WriteField("kind", required=True), WriteField("branch_match_kind"), WriteField("pattern"),
    WriteField("branch_type"), WriteField("value"), WriteField("users"), WriteField("groups"),
)

TABLE = TableDef(
    name="branch_restrictions",
    description="Branch permissions and merge checks of a repository.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("id",),
    primary_key=("workspace", "repository", "id"),
    columns=(
        *repository_scope_columns(),
        col("id", "BIGINT", "id", "Id of the restriction."),
        col(
            "kind",
            "VARCHAR",
            "kind",
            "What is restricted or required: push, delete, force, require_approvals_to_merge, ...",
            param="kind",
            filter_ops=PARAM_OPS,
        ),
        col(
            "branch_match_kind",
            "VARCHAR",
            "branch_match_kind",
            "glob (by pattern) or branching_model (by type).",
        ),
        col(
            "pattern",
            "VARCHAR",
            "pattern",
            "Glob of the branches covered (branch_match_kind = glob).",
            param="pattern",
            filter_ops=PARAM_OPS,
        ),
        col(
            "branch_type",
            "VARCHAR",
            "branch_type",
            "Branch type covered (branch_match_kind = branching_model): feature, release, ...",
        ),
        col("value", "BIGINT", "value", "Number for counted checks (e.g. approvals required)."),
        col("users", "JSON", "users", "Users exempted (push, restrict_merges)."),
        col("groups", "JSON", "groups", "Groups exempted (push, restrict_merges)."),
    ),
    writes=(
        insert(_LIST, "Create a restriction (body: kind, branch_match_kind, pattern or branch_type, ...); 201.",
               *_FIELDS, scope="repository:admin"),
        update(_ONE, "Change a restriction.", *_FIELDS, scope="repository:admin"),
        delete(_ONE, "Delete a restriction.", scope="repository:admin"),
    ),
    notes="No BBQL; `kind` and `pattern` equality go into the dedicated parameters.",
)
