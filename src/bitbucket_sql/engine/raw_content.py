"""Raw file bodies (``paging="raw"`` tables such as ``file_contents``) -> the one object a row reads.

The API answers a file with its bytes and a Content-Type derived from the file name, never with a
character set, so the text is decided here: bytes that hold a NUL in their first 8 KiB or are not
valid UTF-8 are *binary* (``is_binary`` true, ``text`` null; no guessing of legacy encodings,
which would turn binaries into garbage text). A body above the table's ``max_content_bytes`` is
an error naming the file and the way around it, never a silently truncated text; the client
reads no more of it than the cap (:func:`raw_request_options`, ``api/raw_stream.py``), so a
500 MB file fails without 500 MB of memory.
"""

from __future__ import annotations

import json
from typing import Any

from bitbucket_sql.catalog.model import TableDef

from .errors import EngineError

#: How much of a body is searched for NUL bytes (what git's own binary check looks at).
BINARY_PROBE_BYTES = 8192


class FileTooLargeError(EngineError):
    """A file read by a raw table is larger than the table's ``max_content_bytes``."""


def is_directory_listing(content: bytes, content_type: str) -> bool:
    """Whether the body is the API's listing of a directory (its answer when the path names one).

    A ``.json`` file is served as ``application/json`` too, so the shape decides: the paged
    envelope whose every entry is a ``commit_file`` or ``commit_directory``.
    """
    if not content_type.startswith("application/json") or not content.lstrip().startswith(b"{"):
        return False
    try:
        body = json.loads(content)
    except ValueError:
        return False
    entries = body.get("values") if isinstance(body, dict) else None
    return (
        isinstance(entries, list) and "pagelen" in body
        and all(isinstance(e, dict) and e.get("type") in ("commit_file", "commit_directory") for e in entries)
    )


def raw_request_options(table: TableDef) -> dict[str, Any]:
    """Extra keyword arguments of the fetch of ``table``'s GETs: for a raw table, the cap
    ``client.get_raw_many`` reads up to (none for the JSON GETs of other tables)."""
    return {"max_bytes": table.max_content_bytes} if table.paging == "raw" else {}


def file_object(
    table: TableDef, scope: dict[str, Any], content: bytes, content_type: str, *,
    over_limit: bool = False, size: int | None = None,
) -> dict[str, Any] | None:
    """``{"size", "is_binary", "content_type", "text"}`` for one file body (see the module doc);
    None when the path names a directory (no file, so no row). ``over_limit`` and ``size`` are
    the client's (``api.raw_stream.RawBody``): it stopped reading at the cap; the size the answer
    announced, if any."""
    if over_limit:
        raise too_large(table, scope, size)
    if is_directory_listing(content, content_type):
        return None
    if len(content) > table.max_content_bytes:  # read whole by a client that was given no cap
        raise too_large(table, scope, len(content))
    text: str | None = None
    if b"\x00" not in content[:BINARY_PROBE_BYTES]:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    media = content_type.split(";", 1)[0].strip() or None
    return {"size": len(content), "is_binary": text is None, "content_type": media, "text": text}


def too_large(table: TableDef, scope: dict[str, Any], size: int | None) -> FileTooLargeError:
    """The error for a file above the cap: which file, how large (or "more than" the cap when the
    answer did not say and reading stopped there), and how to leave it out."""
    where = ", ".join(f"{name} {scope[name]!r}" for name in ("repository", "ref", "path") if name in scope)
    limit = table.max_content_bytes
    how_large = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes (reading stopped there)"
    return FileTooLargeError(
        f"{table.name}: the file at {where} is {how_large}, above the limit of {limit:,} bytes. Filter the "
        f"files by size first: join files (ON c.repository = f.repository AND c.ref = f.ref AND c.path = "
        f"f.path) with f.size < {limit}, or name the paths you need."
    )
