"""``/filehistory/{commit}/{path}``: the commits that changed a file, newest first, as cursor pages.

Replayed from the diffstats like the tree (:mod:`.source_tree`): an entry per commit reachable from
the revision whose diffstat adds, modifies or renames the path (following a rename back to the old
name, as Bitbucket does unless ``renames=false``). Each entry is a ``commit_file`` whose ``path`` is
the name at that commit; ``q``/``sort`` filter and order them.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..file_contents import is_binary, mimetype, size
from ..serializers.common import api, link
from .context import JSON, ApiError, Ctx
from .schemas import D, N, S
from .source import reachable, resolve
from .source_tree import split_revision

Route = tuple[str, Callable[[Ctx], Response]]

HISTORY_ENTRY = {"path": S, "type": S, "size": N, "commit": {"hash": S, "date": D, "message": S}}


def file_history(ctx: Ctx) -> Response:
    _, repo, data = ctx.repo_data()
    full_name = repo["full_name"]
    revision, path = split_revision(data, ctx.params["commit"], ctx.params["path"])
    sha = resolve(data, revision, full_name)
    follow = ctx.query.get("renames", "true").lower() != "false"
    wanted = reachable(data, [sha])
    items: list[JSON] = []
    current = path
    for commit_sha in data.commit_order:
        if commit_sha not in wanted:
            continue
        for entry in data.commit_diffstats.get(commit_sha, []):
            new = entry["new"]
            if new is None or new["path"] != current:
                continue
            items.append(_history_entry(repo, data.commits[commit_sha], current))
            if follow and entry["status"] == "renamed" and entry["old"] is not None:
                current = entry["old"]["path"]
            break
    if not items:
        raise ApiError(404, f"No such file: {path} at {ctx.params['commit']} in {full_name}")
    return ctx.listing(items, HISTORY_ENTRY, cursor="page", default_pagelen=50)


def _history_entry(repo: JSON, commit: JSON, path: str) -> JSON:
    full_name = repo["full_name"]
    sha = commit["hash"]
    base = f"/repositories/{full_name}/src/{sha}/{path}"
    return {
        "type": "commit_file",
        "path": path,
        "attributes": ["binary"] if is_binary(path) else [],
        "size": size(repo, path),
        "mimetype": mimetype(path),
        "commit": {key: commit[key] for key in ("type", "hash", "date", "author", "message", "links")},
        "links": {
            "self": link(api(base)),
            "meta": link(api(base + "?format=meta")),
            "history": link(api(f"/repositories/{full_name}/filehistory/{sha}/{path}")),
        },
    }


ROUTES: list[Route] = [
    ("/repositories/{workspace}/{repo_slug}/filehistory/{commit}/{path:path}", file_history),
]
