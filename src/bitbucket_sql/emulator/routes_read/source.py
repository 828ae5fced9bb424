"""Read routes for refs, commits, commit statuses and diffstats.

Commits follow ``git log``: ``/commits`` is every commit reachable from any branch or tag,
``/commits/{revision}`` those reachable from one revision; ``include``/``exclude``/``path`` are
repeatable; newest first; cursor paging; no BBQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from starlette.responses import Response

from ..serializers import objects as o
from ..store import RepoData
from . import schemas
from .context import JSON, ApiError, Ctx

Route = tuple[str, Callable[[Ctx], Response]]

# Default page lengths recorded from live Bitbucket (docs/emulator-api.md, "Recorded bodies").
COMMITS_PAGELEN = 30


def refs(ctx: Ctx) -> Response:
    _, _, data = ctx.repo_data()
    items = [data.branches[name] for name in sorted(data.branches)] + [
        data.tags[name] for name in sorted(data.tags)
    ]
    return ctx.listing(items, schemas.REF, natural=frozenset({"name"}))


def _ref_listing(ctx: Ctx, kind: str) -> Response:
    """Branches or tags (``kind``): lexical by default, natural order with ``sort=name``. Live tag
    listings carry no ``size``."""
    _, _, data = ctx.repo_data()
    refs: dict[str, JSON] = getattr(data, kind)
    return ctx.listing(
        [refs[name] for name in sorted(refs)], schemas.REF, natural=frozenset({"name"}), sized=kind != "tags"
    )


def _ref(ctx: Ctx, kind: str, label: str) -> Response:
    _, repo, data = ctx.repo_data()
    refs: dict[str, JSON] = getattr(data, kind)
    name = ctx.params["name"]
    return ctx.respond(ctx.found(refs.get(name), f"{label} {name} not found in {repo['full_name']}"))


def branches(ctx: Ctx) -> Response:
    return _ref_listing(ctx, "branches")


def branch(ctx: Ctx) -> Response:
    return _ref(ctx, "branches", "Branch")


def tags(ctx: Ctx) -> Response:
    return _ref_listing(ctx, "tags")


def tag(ctx: Ctx) -> Response:
    return _ref(ctx, "tags", "Tag")


# ----------------------------------------------------------------------------- commit graph


def resolve(data: RepoData, revision: str, full_name: str) -> str:
    """A branch, tag or (abbreviated) hash resolved to a full hash, or 404 naming it."""
    if revision in data.branches:
        return data.branches[revision]["target"]["hash"]
    if revision in data.tags:
        return data.tags[revision]["target"]["hash"]
    found = data.commit_by_prefix(revision)
    if found is None:
        raise ApiError(404, f"Commit not found: {revision!r} is not a branch, tag or commit of {full_name}")
    return found["hash"]


def reachable(data: RepoData, heads: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    pending = list(heads)
    while pending:
        sha = pending.pop()
        if sha in seen or sha not in data.commits:
            continue
        seen.add(sha)
        pending.extend(parent["hash"] for parent in data.commits[sha]["parents"])
    return seen


def _touches(data: RepoData, sha: str, paths: list[str]) -> bool:
    for entry in data.commit_diffstats.get(sha, []):
        for side in (entry["new"], entry["old"]):
            if side is None:
                continue
            if any(_under(side["path"], path) for path in paths):
                return True
    return False


def _commit_listing(ctx: Ctx, revision: str | None) -> Response:
    _, repo, data = ctx.repo_data()
    full_name = repo["full_name"]
    includes = [resolve(data, ref, full_name) for ref in ctx.query.getlist("include")]
    if revision is not None:
        includes.append(resolve(data, revision, full_name))
    if not includes:
        includes = [b["target"]["hash"] for b in data.branches.values()] + [
            t["target"]["hash"] for t in data.tags.values()
        ]
    wanted = reachable(data, includes)
    excludes = [resolve(data, ref, full_name) for ref in ctx.query.getlist("exclude")]
    if excludes:
        wanted -= reachable(data, excludes)
    paths = ctx.query.getlist("path")
    items = [
        data.commits[sha]
        for sha in data.commit_order
        if sha in wanted and (not paths or _touches(data, sha, paths))
    ]
    return ctx.listing(items, cursor="page", default_pagelen=COMMITS_PAGELEN)


def commits(ctx: Ctx) -> Response:
    return _commit_listing(ctx, None)


def commits_from(ctx: Ctx) -> Response:
    return _commit_listing(ctx, ctx.params["revision"])


def commit(ctx: Ctx) -> Response:
    _, repo, data = ctx.repo_data()
    found = data.commit_by_prefix(ctx.params["commit"])
    if found is None:
        raise ApiError(404, f"Commit {ctx.params['commit']} not found in {repo['full_name']}")
    # the single-commit form adds the commit's participants (none are generated; approvals add them)
    return ctx.respond({**found, "participants": data.commit_participants.get(found["hash"], [])})


def commit_statuses(ctx: Ctx) -> Response:
    _, repo, data = ctx.repo_data()
    found = data.commit_by_prefix(ctx.params["commit"])
    if found is None:
        raise ApiError(404, f"Commit {ctx.params['commit']} not found in {repo['full_name']}")
    items = sorted(
        data.commit_statuses.get(found["hash"], {}).values(), key=lambda status: status["created_on"]
    )
    refname = ctx.query.get("refname")
    if refname is not None:
        items = [status for status in items if status.get("refname") in (refname, None)]
    return ctx.listing(items, schemas.COMMIT_STATUS)


def commit_status(ctx: Ctx) -> Response:
    _, repo, data = ctx.repo_data()
    found = data.commit_by_prefix(ctx.params["commit"])
    status = None if found is None else data.commit_statuses.get(found["hash"], {}).get(ctx.params["key"])
    if status is None:
        raise ApiError(404, f"No build status {ctx.params['key']!r} on commit {ctx.params['commit']}")
    return ctx.respond(status)


def _merged(entries: Iterable[JSON]) -> list[JSON]:
    merged: dict[str, JSON] = {}
    for entry in entries:
        path = (entry["new"] or entry["old"])["path"]
        if path in merged:
            merged[path] = {
                **merged[path],
                "lines_added": merged[path]["lines_added"] + entry["lines_added"],
                "lines_removed": merged[path]["lines_removed"] + entry["lines_removed"],
            }
        else:
            merged[path] = entry
    return [merged[path] for path in sorted(merged)]


def diffstat(ctx: Ctx) -> Response:
    """``diffstat/{spec}``: one commit against its first parent, or ``A..B`` (also the PR form
    ``ws/repo:A%0DB``): the changes of commits reachable from A and not from B."""
    _, repo, data = ctx.repo_data()
    spec = ctx.params["spec"]
    if ":" in spec:
        spec = spec.split(":", 1)[1].replace("\r", "..").replace("%0D", "..").replace("%0d", "..")
    if ".." in spec:
        source, destination = spec.split("..", 1)
        wanted = reachable(data, [resolve(data, source, repo["full_name"])])
        wanted -= reachable(data, [resolve(data, destination, repo["full_name"])])
        entries = _merged(
            entry
            for sha in reversed(data.commit_order)
            if sha in wanted
            for entry in data.commit_diffstats.get(sha, [])
        )
    else:
        sha = resolve(data, spec, repo["full_name"])
        entries = data.commit_diffstats.get(sha, [])
        parents = data.commits[sha]["parents"]
        old_sha = parents[0]["hash"] if parents else None
        entries = [o.with_file_links(entry, repo["full_name"], old_sha, sha) for entry in entries]
    paths = ctx.query.getlist("path")
    if paths:
        entries = [entry for entry in entries if any(_under(_entry_path(entry), path) for path in paths)]
    return ctx.listing(entries, default_pagelen=500, max_pagelen=5000)


def _entry_path(entry: JSON) -> str:
    return (entry["new"] or entry["old"])["path"]


def _under(path: str, wanted: str) -> bool:
    """True when ``path`` is the file ``wanted`` or lies in the directory ``wanted``."""
    wanted = wanted.rstrip("/")
    return path == wanted or path.startswith(wanted + "/")


ROUTES: list[Route] = [
    ("/repositories/{workspace}/{repo_slug}/refs", refs),
    ("/repositories/{workspace}/{repo_slug}/refs/branches", branches),
    ("/repositories/{workspace}/{repo_slug}/refs/branches/{name:path}", branch),
    ("/repositories/{workspace}/{repo_slug}/refs/tags", tags),
    ("/repositories/{workspace}/{repo_slug}/refs/tags/{name:path}", tag),
    ("/repositories/{workspace}/{repo_slug}/commits", commits),
    ("/repositories/{workspace}/{repo_slug}/commits/{revision:path}", commits_from),
    ("/repositories/{workspace}/{repo_slug}/commit/{commit}", commit),
    ("/repositories/{workspace}/{repo_slug}/commit/{commit}/statuses", commit_statuses),
    ("/repositories/{workspace}/{repo_slug}/commit/{commit}/statuses/build/{key}", commit_status),
    ("/repositories/{workspace}/{repo_slug}/diffstat/{spec:path}", diffstat),
]
