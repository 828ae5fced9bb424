"""Files in a repository's Downloads section (``GET .../downloads``)."""

from ..columns import REPOSITORY_KEYS, col, repository_scope_columns, user_columns
from ..model import TableDef, WriteOp

_LIST = "/repositories/{workspace}/{repo_slug}/downloads"

TABLE = TableDef(
    name="downloads",
    description="Files uploaded to the Downloads section of a repository.",
    path=_LIST,
    keys=REPOSITORY_KEYS,
    primary_key=("workspace", "repository", "name"),
    columns=(
        *repository_scope_columns(),
        col("name", "VARCHAR", "name", "File name."),
        col("size", "BIGINT", "size", "Size in bytes."),
        col("downloads", "BIGINT", "downloads", "How often the file was downloaded."),
        col("created_on", "TIMESTAMPTZ", "created_on", "When the file was uploaded (UTC)."),
        *user_columns("user", "user", "the uploader"),
        col(
            "download_url",
            "VARCHAR",
            "links.self.href",
            "API address of the file (redirects to the content).",
        ),
    ),
    writes=(
        WriteOp("POST", _LIST, "Upload a file (multipart `files`); a file of the same name is replaced."),
        WriteOp("DELETE", _LIST + "/{name}", "Delete a file."),
    ),
    notes="The spec does not define the item shape; columns follow real payloads.",
)
