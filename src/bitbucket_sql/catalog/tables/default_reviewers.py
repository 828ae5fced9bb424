"""Default reviewers of a repository (``GET .../default-reviewers``)."""

from ..columns import REPOSITORY_KEYS, repository_scope_columns
from ..model import TableDef, delete, insert
from ..shapes import account_columns

_LIST = "/repositories/{workspace}/{repo_slug}/default-reviewers"
_ONE = _LIST + "/{uuid}"

TABLE = TableDef(
    name="default_reviewers",
    description="Users added as reviewers to every new pull request of the repository (repository level).",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    get_path=_ONE,
    get_key=("uuid",),
    primary_key=("workspace", "repository", "uuid"),
    columns=(*repository_scope_columns(), *account_columns("the reviewer")),
    writes=(
        insert(_LIST + "/{uuid}", "Add a default reviewer by user UUID (a PUT without body).", method="PUT",
               scope="repository:admin"),
        delete(_LIST + "/{uuid}", "Remove a default reviewer.", scope="repository:admin"),
    ),
    notes="Project-level default reviewers are in `project_default_reviewers`.",
)
