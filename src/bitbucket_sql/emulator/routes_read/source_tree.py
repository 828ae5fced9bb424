"""``/src/{commit}/{path}``: a directory at a revision as a paged listing, as live Bitbucket answers.

The emulator keeps no file contents, only each commit's diffstat, so the tree at a revision is
replayed from the diffstats of the commits reachable from it (oldest first: added and modified
paths exist, removed ones do not, a rename moves one). A directory answers the list-style envelope
of ``commit_directory``/``commit_file`` entries (directories first, then files, by path, as
recorded); a file answers its ``format=meta`` form with ``?format=meta`` and its raw bytes
otherwise (contents and mimetypes: :mod:`..file_contents`; a huge file is streamed in chunks
without a Content-Length); anything else is 404. ``max_depth=n`` lists the directory recursively,
n levels deep (directories and files, in path order); ``q`` and ``sort`` filter and order the
entries.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response, StreamingResponse

from ..file_contents import chunks, content, is_binary, is_streamed, mimetype, size
from ..paging import PagingError
from ..serializers.common import api, link
from ..store import RepoData
from .context import JSON, ApiError, Ctx
from .schemas import N, S
from .source import reachable, resolve

Route = tuple[str, Callable[[Ctx], Response]]

TREE_ENTRY = {"path": S, "type": S, "size": N, "mimetype": S, "commit": {"hash": S}}


def files_at(data: RepoData, sha: str) -> set[str]:
    """Every file path that exists at commit ``sha``."""
    wanted = reachable(data, [sha])
    present: set[str] = set()
    for commit_sha in reversed(data.commit_order):
        if commit_sha not in wanted:
            continue
        for entry in data.commit_diffstats.get(commit_sha, []):
            if entry["old"] is not None and entry["status"] in ("removed", "renamed"):
                present.discard(entry["old"]["path"])
            if entry["new"] is not None:
                present.add(entry["new"]["path"])
    return present


def _entry(repo: JSON, sha: str, path: str, *, directory: bool) -> JSON:
    full_name = repo["full_name"]
    base = f"/repositories/{full_name}/src/{sha}/{path}"
    commit = {
        "type": "commit",
        "hash": sha,
        "links": {
            "self": link(api(f"/repositories/{full_name}/commit/{sha}")),
            "html": link(api(f"/repositories/{full_name}/commits/{sha}")),
        },
    }
    if directory:
        return {
            "type": "commit_directory",
            "path": path,
            "commit": commit,
            "links": {"self": link(api(base + "/")), "meta": link(api(base + "/?format=meta"))},
        }
    return {
        "type": "commit_file",
        "path": path,
        "commit": commit,
        "attributes": ["binary"] if is_binary(path) else [],
        "size": size(repo, path),
        "mimetype": mimetype(path),
        "links": {
            "self": link(api(base)),
            "meta": link(api(base + "?format=meta")),
            "history": link(api(f"/repositories/{full_name}/filehistory/{sha}/{path}")),
        },
    }


def source(ctx: Ctx) -> Response:
    _, repo, data = ctx.repo_data()
    full_name = repo["full_name"]
    revision, wanted = split_revision(data, ctx.params["commit"], ctx.params.get("path", ""))
    sha = resolve(data, revision, full_name)
    files = files_at(data, sha)
    if wanted in files:
        entry = _entry(repo, sha, wanted, directory=False)
        if ctx.query.get("format") == "meta":
            return ctx.respond(entry)
        media = mimetype(wanted) or ("application/octet-stream" if is_binary(wanted) else "text/plain")
        if is_streamed(wanted):  # generated as it is sent, without a Content-Length (chunked)
            return StreamingResponse(chunks(repo, wanted), media_type=media,
                                     headers={"Content-Disposition": "attachment"})
        return Response(content(repo, wanted), media_type=media, headers={"Content-Disposition": "attachment"})
    prefix = f"{wanted}/" if wanted else ""
    depth = _max_depth(ctx)
    children: dict[str, bool] = {}
    for path in files:
        if path.startswith(prefix):
            parts = path[len(prefix) :].split("/")
            for level in range(1, min(depth, len(parts)) + 1):
                child = prefix + "/".join(parts[:level])
                children[child] = children.get(child, False) or level < len(parts)
    if not children:
        raise ApiError(404, f"No such file or directory: {wanted or '/'}")
    if depth == 1:
        ordered = sorted(children, key=lambda path: (not children[path], path))
    else:
        ordered = sorted(children, key=lambda path: path.split("/"))
    # live directory listings carry ``page``/``pagelen`` but no ``size``
    return ctx.listing(
        [_entry(repo, sha, path, directory=children[path]) for path in ordered], TREE_ENTRY, sized=False
    )


def split_revision(data: RepoData, head: str, rest: str) -> tuple[str, str]:
    """``(revision, path)`` of ``/src/{head}/{rest}`` when a branch or tag name holds ``/``.

    The server decodes ``%2F`` before routing, so ``/src/feature%2Fx/README.md`` arrives as
    ``feature`` + ``x/README.md``: the longest ref name the segments spell wins, as Bitbucket
    resolves it; otherwise the first segment is the revision.
    """
    parts = [part for part in rest.strip("/").split("/") if part]
    for cut in range(len(parts), 0, -1):
        candidate = "/".join([head, *parts[:cut]])
        if candidate in data.branches or candidate in data.tags:
            return candidate, "/".join(parts[cut:])
    return head, "/".join(parts)


def _max_depth(ctx: Ctx) -> int:
    raw = ctx.query.get("max_depth", "1")
    try:
        depth = int(raw)
    except ValueError:
        raise PagingError("Invalid max_depth", f"max_depth must be a positive integer, got {raw!r}.") from None
    if depth < 1:
        raise PagingError("Invalid max_depth", f"max_depth must be a positive integer, got {raw!r}.")
    return depth


ROUTES: list[Route] = [
    # one trailing slash is dropped before routing (middleware/paths.py): ``/src/main/`` lands here
    ("/repositories/{workspace}/{repo_slug}/src/{commit}", source),
    ("/repositories/{workspace}/{repo_slug}/src/{commit}/{path:path}", source),
]
