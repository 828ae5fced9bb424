"""Read routes for pull requests and everything under them (comments, tasks, activity, ...).

State rules (digest section 5.9): without ``q``, ``state`` (repeatable) selects states and OPEN is
the default. With ``q`` the ``state`` parameter is ignored, as reported for Bitbucket; if ``q``
itself does not mention ``state`` the OPEN default still applies (our documented choice for an
unconfirmed case).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from starlette.responses import RedirectResponse, Response

from ..bbql import fields_in, parse
from ..serializers.render import api_base
from . import schemas
from .context import JSON, ApiError, Ctx

Route = tuple[str, Callable[[Ctx], Response]]

PR_STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
PR_LIST_OMITTED = ("values.reviewers", "values.participants", "values.rendered")
PR_COMMITS_OMITTED = ("values.rendered",)
MAX_PR_PAGELEN = 50
STATUSES_PAGELEN = 30  # recorded live default (docs/emulator-api.md)


def _state_filter(ctx: Ctx) -> set[str] | None:
    """The states the list keeps before ``q`` runs, or None for "whatever q says"."""
    q = ctx.query.get("q")
    if q:
        return None if "state" in fields_in(parse(q)) else {"OPEN"}
    states = [value.upper() for value in ctx.query.getlist("state")]
    for state in states:
        if state not in PR_STATES:
            raise ApiError(400, "Bad request", f"state must be one of {', '.join(PR_STATES)}; got {state!r}")
    return set(states) if states else {"OPEN"}


def pull_request_listing(ctx: Ctx, items: list[JSON]) -> Response:
    """PRs filtered by the state rules, q and sort; reviewers/participants hidden by default."""
    states = _state_filter(ctx)
    if states is not None:
        items = [pr for pr in items if pr["state"] in states]
    return ctx.listing(items, schemas.PULLREQUEST, max_pagelen=MAX_PR_PAGELEN, omitted=PR_LIST_OMITTED)


def list_pull_requests(ctx: Ctx) -> Response:
    _, _, data = ctx.repo_data()
    items = [data.pullrequests[pr_id] for pr_id in sorted(data.pullrequests, reverse=True)]
    return pull_request_listing(ctx, items)


def _pull_request(ctx: Ctx) -> tuple[str, JSON, JSON]:
    ws, repo, data = ctx.repo_data()
    pr_id = ctx.int_param("pull_request_id")
    pr = data.pullrequests.get(pr_id)
    if pr is None:
        raise ApiError(404, f"Pull request {pr_id} not found in {repo['full_name']}")
    return ws, repo, pr


def get_pull_request(ctx: Ctx) -> Response:
    return ctx.respond(_pull_request(ctx)[2])


def comments(ctx: Ctx) -> Response:
    ws, repo, pr = _pull_request(ctx)
    found = ctx.store.repo_data(ws, repo["slug"]).pr_comments.get(pr["id"], {})
    return ctx.listing([found[cid] for cid in sorted(found)], schemas.COMMENT)


def _pr_item(ctx: Ctx, attribute: str, param: str, label: str) -> Response:
    """One comment or task (``attribute`` of the repository data) of the pull request in the path."""
    ws, repo, pr = _pull_request(ctx)
    item_id = ctx.int_param(param)
    found = getattr(ctx.store.repo_data(ws, repo["slug"]), attribute).get(pr["id"], {}).get(item_id)
    return ctx.respond(ctx.found(found, f"{label} {item_id} not found on pull request {pr['id']}"))


def comment(ctx: Ctx) -> Response:
    return _pr_item(ctx, "pr_comments", "comment_id", "Comment")


def tasks(ctx: Ctx) -> Response:
    ws, repo, pr = _pull_request(ctx)
    found = ctx.store.repo_data(ws, repo["slug"]).pr_tasks.get(pr["id"], {})
    items = sorted(found.values(), key=lambda task: (task["created_on"], task["id"]))
    return ctx.listing(items, schemas.TASK)


def task(ctx: Ctx) -> Response:
    return _pr_item(ctx, "pr_tasks", "task_id", "Task")


def _activity_date(entry: JSON) -> str:
    for kind in ("update", "approval", "changes_requested"):
        if kind in entry:
            return entry[kind]["date"]
    return entry["comment"]["created_on"]


def _newest_first(entries: list[JSON]) -> list[JSON]:
    return sorted(entries, key=lambda entry: datetime.fromisoformat(_activity_date(entry)), reverse=True)


def activity(ctx: Ctx) -> Response:
    ws, repo, pr = _pull_request(ctx)
    entries = ctx.store.repo_data(ws, repo["slug"]).pr_activity.get(pr["id"], [])
    return ctx.listing(_newest_first(entries), cursor="ctx", max_pagelen=MAX_PR_PAGELEN)


def repository_activity(ctx: Ctx) -> Response:
    _, _, data = ctx.repo_data()
    entries = [entry for per_pr in data.pr_activity.values() for entry in per_pr]
    return ctx.listing(_newest_first(entries), cursor="ctx", max_pagelen=MAX_PR_PAGELEN)


def pr_commits(ctx: Ctx) -> Response:
    ws, repo, pr = _pull_request(ctx)
    data = ctx.store.repo_data(ws, repo["slug"])
    hashes = data.pr_commits.get(pr["id"], [])
    if (
        pr["state"] != "MERGED"
        and pr["source"]["branch"]["name"] not in data.branches
        and pr["state"] != "OPEN"
    ):
        hashes = []
    # live: ``page`` but no ``size``, and commits without ``rendered``
    return ctx.listing(
        [data.commits[sha] for sha in hashes if sha in data.commits], sized=False, omitted=PR_COMMITS_OMITTED
    )


def pr_statuses(ctx: Ctx) -> Response:
    ws, repo, pr = _pull_request(ctx)
    data = ctx.store.repo_data(ws, repo["slug"])
    source = pr["source"]["commit"]["hash"]
    head = next((sha for sha in data.pr_commits.get(pr["id"], []) if sha.startswith(source)), None)
    items = list(data.commit_statuses.get(head, {}).values()) if head else []
    items.sort(key=lambda status: status["created_on"])
    return ctx.listing(items, schemas.COMMIT_STATUS, default_pagelen=STATUSES_PAGELEN)


def pr_diffstat(ctx: Ctx) -> Response:
    """Bitbucket answers 302 to the repository-level diffstat of source..destination."""
    _, repo, pr = _pull_request(ctx)
    spec = f"{repo['full_name']}:{pr['source']['commit']['hash']}%0D{pr['destination']['commit']['hash']}"
    location = f"{api_base(ctx.request)}/repositories/{repo['full_name']}/diffstat/{spec}?from_pullrequest_id={pr['id']}&topic=true"
    return RedirectResponse(location, status_code=302)


ROUTES: list[Route] = [
    ("/repositories/{workspace}/{repo_slug}/pullrequests", list_pull_requests),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/activity", repository_activity),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}", get_pull_request),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/activity", activity),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments", comments),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments/{comment_id}", comment),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/commits", pr_commits),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/tasks", tasks),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/tasks/{task_id}", task),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/statuses", pr_statuses),
    ("/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/diffstat", pr_diffstat),
]
