"""Read routes of Code Insights (commit reports and their annotations), commit comments and the
pull requests that contain a commit. The data comes from :mod:`..extras`.

Reports and annotations are list-style pages without ``q``/``sort`` (the spec documents none);
commit comments take BBQL ``q`` and ``sort`` (oldest first by default).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from ..extras import RepoExtras, repo_extras
from ..serializers.common import braced
from ..store import RepoData
from .context import JSON, ApiError, Ctx
from .schemas import COMMIT_REF, RENDERED, USER, B, D, N, S

Route = tuple[str, Callable[[Ctx], Response]]

COMMIT_COMMENT = {
    "id": N, "created_on": D, "updated_on": D, "content": RENDERED, "user": USER, "deleted": B,
    "parent": {"id": N}, "inline": {"path": S, "from": N, "to": N}, "commit": COMMIT_REF, "type": S,
}


def _commit(ctx: Ctx) -> tuple[JSON, RepoData, str, RepoExtras]:
    ws, repo, data = ctx.repo_data()
    found = data.commit_by_prefix(ctx.params["commit"])
    if found is None:
        raise ApiError(404, f"Commit {ctx.params['commit']} not found in {repo['full_name']}")
    return repo, data, found["hash"], repo_extras(ctx.store, ws, repo["slug"])


def _report(ctx: Ctx) -> tuple[RepoExtras, JSON]:
    repo, _, sha, extras = _commit(ctx)
    ident = ctx.params["reportId"]
    reports = extras.reports.get(sha, {})
    found = reports.get(braced(ident)) or next((r for r in reports.values() if r["external_id"] == ident), None)
    if found is None:
        raise ApiError(404, f"Report {ident} not found on commit {sha[:12]} of {repo['full_name']}")
    return extras, found


def reports(ctx: Ctx) -> Response:
    _, _, sha, extras = _commit(ctx)
    return ctx.listing(list(extras.reports.get(sha, {}).values()))


def report(ctx: Ctx) -> Response:
    return ctx.respond(_report(ctx)[1])


def report_annotations(ctx: Ctx) -> Response:
    extras, found = _report(ctx)
    return ctx.listing(list(extras.annotations.get(found["uuid"], {}).values()))


def report_annotation(ctx: Ctx) -> Response:
    extras, found = _report(ctx)
    ident = ctx.params["annotationId"]
    items = extras.annotations.get(found["uuid"], {})
    value = items.get(braced(ident)) or next((a for a in items.values() if a["external_id"] == ident), None)
    return ctx.respond(ctx.found(value, f"Annotation {ident} not found in report {found['uuid']}"))


def commit_comments(ctx: Ctx) -> Response:
    _, _, sha, extras = _commit(ctx)
    return ctx.listing(list(extras.commit_comments.get(sha, {}).values()), COMMIT_COMMENT)


def commit_comment(ctx: Ctx) -> Response:
    repo, _, sha, extras = _commit(ctx)
    comment_id = ctx.int_param("comment_id")
    found = extras.commit_comments.get(sha, {}).get(comment_id)
    return ctx.respond(ctx.found(found, f"Comment {comment_id} not found on commit {sha[:12]} of {repo['full_name']}"))


def commit_pull_requests(ctx: Ctx) -> Response:
    """Pull requests whose commits include this one (the "Pull Request Commit Links" index)."""
    _, data, sha, _ = _commit(ctx)
    items = [data.pullrequests[pr_id] for pr_id in sorted(data.pr_commits) if sha in data.pr_commits[pr_id]
             and pr_id in data.pullrequests]
    merged = [pr for pr in data.pullrequests.values()
              if (pr.get("merge_commit") or {}).get("hash") and sha.startswith(pr["merge_commit"]["hash"])]
    items += [pr for pr in merged if pr not in items]
    return ctx.listing(items, q=False, sort=False)


BASE = "/repositories/{workspace}/{repo_slug}/commit/{commit}"

ROUTES: list[Route] = [
    (f"{BASE}/reports", reports),
    (f"{BASE}/reports/{{reportId}}", report),
    (f"{BASE}/reports/{{reportId}}/annotations", report_annotations),
    (f"{BASE}/reports/{{reportId}}/annotations/{{annotationId}}", report_annotation),
    (f"{BASE}/comments", commit_comments),
    (f"{BASE}/comments/{{comment_id}}", commit_comment),
    (f"{BASE}/pullrequests", commit_pull_requests),
]
