"""``/src/{commit}/{path}``: a directory at a revision as a paged listing, as live Bitbucket answers.

The emulator keeps no file contents, only each commit's diffstat, so the tree at a revision is
replayed from the diffstats of the commits reachable from it (oldest first: added and modified
paths exist, removed ones do not, a rename moves one). A directory answers the list-style envelope
of ``commit_directory``/``commit_file`` entries (directories first, then files, by path, as
recorded); a file answers its ``format=meta`` form with ``?format=meta`` and a short plain-text
body otherwise; anything else is 404.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import PlainTextResponse, Response

from ..serializers.common import api, link
from ..store import RepoData
from .context import JSON, ApiError, Ctx
from .source import reachable, resolve

Route = tuple[str, Callable[[Ctx], Response]]

MIMETYPES = {".py": "text/x-python", ".md": "text/markdown", ".json": "application/json", ".yml": "text/yaml"}


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


def _entry(full_name: str, sha: str, path: str, *, directory: bool) -> JSON:
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
    suffix = path[path.rfind(".") :] if "." in path.rsplit("/", 1)[-1] else ""
    return {
        "type": "commit_file",
        "path": path,
        "commit": commit,
        "attributes": [],
        "size": 64 + len(path) * 16,
        "mimetype": MIMETYPES.get(suffix),
        "links": {
            "self": link(api(base)),
            "meta": link(api(base + "?format=meta")),
            "history": link(api(f"/repositories/{full_name}/filehistory/{sha}/{path}")),
        },
    }


def source(ctx: Ctx) -> Response:
    _, repo, data = ctx.repo_data()
    full_name = repo["full_name"]
    sha = resolve(data, ctx.params["commit"], full_name)
    wanted = ctx.params.get("path", "").strip("/")
    files = files_at(data, sha)
    if wanted in files:
        entry = _entry(full_name, sha, wanted, directory=False)
        if ctx.query.get("format") == "meta":
            return ctx.respond(entry)
        return PlainTextResponse(f"# {wanted} at {sha[:12]}\n")
    prefix = f"{wanted}/" if wanted else ""
    children: dict[str, bool] = {}
    for path in files:
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            name, _, deeper = rest.partition("/")
            children[prefix + name] = children.get(prefix + name, False) or bool(deeper)
    if not children:
        raise ApiError(404, f"No such file or directory: {wanted or '/'}")
    ordered = sorted(children, key=lambda path: (not children[path], path))
    # live directory listings carry ``page``/``pagelen`` but no ``size``
    return ctx.listing(
        [_entry(full_name, sha, path, directory=children[path]) for path in ordered], sized=False
    )


ROUTES: list[Route] = [
    # one trailing slash is dropped before routing (middleware/paths.py): ``/src/main/`` lands here
    ("/repositories/{workspace}/{repo_slug}/src/{commit}", source),
    ("/repositories/{workspace}/{repo_slug}/src/{commit}/{path:path}", source),
]
