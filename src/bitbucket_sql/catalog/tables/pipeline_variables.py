"""Repository-level pipeline variables (``GET .../pipelines_config/variables``)."""

from ..columns import REPOSITORY_KEYS, repository_scope_columns
from ..model import TableDef, WriteField, delete, insert, update
from ..shapes import pipeline_variable_columns

_LIST = "/repositories/{workspace}/{repo_slug}/pipelines_config/variables"
_ONE = _LIST + "/{uuid}"

TABLE = TableDef(
    name="pipeline_variables",
    description="Pipeline variables defined on a repository.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("uuid",),
    primary_key=("workspace", "repository", "uuid"),
    columns=(*repository_scope_columns(), *pipeline_variable_columns()),
    writes=(
        insert(_LIST, "Create a variable (body: key, value, secured); 409 if the key exists.",
               WriteField("key", required=True), WriteField("value", secret=True), WriteField("secured"),
               scope="pipeline:variable"),
        update(_ONE, "Change a variable's key, value or secured flag.",
               WriteField("key"), WriteField("value", secret=True), WriteField("secured"), scope="pipeline:variable"),
        delete(_ONE, "Delete a variable.", scope="pipeline:variable"),
    ),
)
