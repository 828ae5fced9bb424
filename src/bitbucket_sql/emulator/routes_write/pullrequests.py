"""Pull requests: create, update, approve/unapprove, request changes, merge and decline.

Every change updates the PR's ``updated_on``, its participants and its activity log, as the
real API does, so incremental sync (``q=updated_on > ...``) sees it. Merging creates a merge
commit on the destination branch (or fast-forwards it); merging a PR that is no longer open is
a 409 (the merge operation's only documented client error), updating, reviewing or declining one
is a 400. Merges may be asynchronous (202 + task status, see :mod:`.merge_tasks`).
"""

from __future__ import annotations

import hashlib
from collections import deque

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON, rendered
from ..store import RepoData, Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route
from .merge_tasks import MergeFailed, MergeTasks

SCOPE = "pullrequest:write"


# ----------------------------------------------------------------------------- lookups


def open_pull_request(ctx: WriteCtx, level: str = "read") -> tuple[str, JSON, RepoData, JSON]:
    """(workspace, repository, repo data, pull request) for the path; 404 when absent."""
    ws, repo = ctx.writable_repository(level)
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    pr_id = ctx.int_param("pull_request_id")
    pr = data.pullrequests.get(pr_id)
    if pr is None:
        raise ApiError(404, f"Pull request {pr_id} not found in {repo['full_name']}")
    return ws, repo, data, pr


def _require_open(pr: JSON, action: str) -> None:
    """400 for a change to a PR that is no longer open (the spec lists 400, not 409, for these)."""
    if pr["state"] != "OPEN":
        raise ApiError(
            400,
            "Bad request",
            f"Pull request {pr['id']} is {pr['state']}; only open pull requests can be {action}.",
        )


def _user_by_reference(ctx: WriteCtx, reference: object) -> JSON:
    ident = None
    if isinstance(reference, dict):
        ident = reference.get("uuid") or reference.get("account_id")
    user = ctx.store.user(ident) if isinstance(ident, str) else None
    if user is None:
        raise ValidationError({"reviewers": [f"No user {ident!r}; give reviewers as {{'uuid': ...}}."]})
    return user


def _branch(data: RepoData, name: object, field: str) -> JSON:
    if not isinstance(name, str) or name not in data.branches:
        detail = (
            "You must specify a valid source branch when creating a pull request."
            if field == "source"
            else f"Destination branch {name!r} does not exist."
        )
        raise ValidationError({field: [f"Branch {name!r} not found."]}, detail)
    return data.branches[name]


def _branch_name(body: JSON, field: str) -> object:
    side = body.get(field)
    branch = side.get("branch") if isinstance(side, dict) else None
    return branch.get("name") if isinstance(branch, dict) else None


def _ancestors(data: RepoData, head: str) -> set[str]:
    seen: set[str] = set()
    pending = deque([head])
    while pending:
        sha = pending.popleft()
        if sha in seen or sha not in data.commits:
            continue
        seen.add(sha)
        pending.extend(parent["hash"] for parent in data.commits[sha]["parents"])
    return seen


def _pr_commits(data: RepoData, source_sha: str, destination_sha: str) -> list[str]:
    """Commits on the source branch that the destination lacks, newest first."""
    behind = _ancestors(data, destination_sha)
    ahead = _ancestors(data, source_sha) - behind
    return [sha for sha in data.commit_order if sha in ahead]


def _touch(ctx: WriteCtx, pr: JSON) -> str:
    return ctx.store.touch(pr)


def participant_entry(pr: JSON, user: JSON) -> JSON:
    """The user's participant entry, added as PARTICIPANT when absent."""
    for entry in pr["participants"]:
        if entry["user"]["uuid"] == user["uuid"]:
            return entry
    entry = o.participant(user, "PARTICIPANT", False, None, None)
    pr["participants"].append(entry)
    return entry


# ----------------------------------------------------------------------------- create / update


def create_pull_request(ctx: WriteCtx) -> Response:
    ws, repo = ctx.writable_repository("read")
    data = ctx.store.repo_data_for_write(ws, repo["slug"])
    body = ctx.object_body()
    title = ctx.required_text(body, "title")
    source = _branch(data, _branch_name(body, "source"), "source")
    destination_name = _branch_name(body, "destination") or repo["mainbranch"]["name"]
    destination = _branch(data, destination_name, "destination")
    if source["name"] == destination["name"]:
        raise ValidationError(
            {"destination": ["The source and destination branches must differ."]},
            "Source and destination branches are the same.",
        )
    author = ctx.acting_user()
    reviewers = [_user_by_reference(ctx, ref) for ref in body.get("reviewers") or []]
    if any(user["uuid"] == author["uuid"] for user in reviewers):
        raise ValidationError(
            {"reviewers": [f"{author['display_name']} is the author and cannot be included as a reviewer."]}
        )
    stamp = now_iso()
    pr_id = ctx.store.next_id(ws, repo["slug"], "pullrequest")
    source_sha = source["target"]["hash"]
    destination_sha = destination["target"]["hash"]
    pr = o.pullrequest(
        repo,
        pr_id,
        title,
        ctx.optional_text(body, "description", ""),
        "OPEN",
        author,
        o.pr_endpoint(repo, source["name"], source_sha),
        o.pr_endpoint(repo, destination["name"], destination_sha),
        stamp,
        stamp,
        draft=ctx.optional_bool(body, "draft", False),
        close_source_branch=ctx.optional_bool(body, "close_source_branch", False),
        reviewers=reviewers,
    )
    pr["participants"] = [o.participant(user, "REVIEWER", False, None, None) for user in reviewers]
    data.pullrequests[pr_id] = pr
    data.pr_comments[pr_id] = {}
    data.pr_tasks[pr_id] = {}
    data.pr_activity[pr_id] = [o.activity_update(pr, "OPEN", author, stamp)]
    commits = _pr_commits(data, source_sha, destination_sha)
    data.pr_commits[pr_id] = commits
    data.pr_diffstats[pr_id] = [entry for sha in commits for entry in data.commit_diffstats.get(sha, [])]
    return ctx.created(pr)


def update_pull_request(ctx: WriteCtx) -> Response:
    """PUT: every field is validated before any is applied, so a 400 changes nothing."""
    ws, repo, data, pr = open_pull_request(ctx)
    _require_open(pr, "updated")
    body = ctx.object_body()
    changes: JSON = {}
    if "title" in body:
        changes["title"] = ctx.required_text(body, "title")
    if "description" in body:
        changes["description"] = ctx.optional_text(body, "description")
    if "draft" in body:
        changes["draft"] = ctx.optional_bool(body, "draft", pr["draft"])
    if "close_source_branch" in body:
        changes["close_source_branch"] = ctx.optional_bool(
            body, "close_source_branch", pr["close_source_branch"]
        )
    destination_name = _branch_name(body, "destination")
    destination = _branch(data, destination_name, "destination") if destination_name is not None else None
    reviewers = None
    if "reviewers" in body:
        reviewers = [_user_by_reference(ctx, ref) for ref in body.get("reviewers") or []]
        if any(user["uuid"] == pr["author"]["uuid"] for user in reviewers):
            author = pr["author"]["display_name"]
            raise ValidationError(
                {"reviewers": [f"{author} is the author and cannot be included as a reviewer."]}
            )

    pr.update(changes)
    if "title" in changes:
        pr["rendered"]["title"] = rendered(pr["title"])
    if "description" in changes:
        pr["rendered"]["description"] = rendered(pr["description"])
        pr["summary"] = rendered(pr["description"])
    if destination is not None:
        pr["destination"] = o.pr_endpoint(repo, destination["name"], destination["target"]["hash"])
    if reviewers is not None:
        _set_reviewers(pr, reviewers)
    stamp = _touch(ctx, pr)
    data.pr_activity[pr["id"]].append(o.activity_update(pr, pr["state"], ctx.acting_user(), stamp))
    return ctx.ok(pr)


def _set_reviewers(pr: JSON, reviewers: list[JSON]) -> None:
    """Reviewers become exactly ``reviewers``; participants keep their history, roles follow."""
    pr["reviewers"] = [o.user_summary(user) for user in reviewers]
    wanted = {user["uuid"] for user in reviewers}
    kept = [p for p in pr["participants"] if p["role"] != "REVIEWER" or p["user"]["uuid"] in wanted]
    present = {p["user"]["uuid"] for p in kept}
    for user in reviewers:
        if user["uuid"] in present:
            for entry in kept:
                if entry["user"]["uuid"] == user["uuid"]:
                    entry["role"] = "REVIEWER"
        else:
            kept.append(o.participant(user, "REVIEWER", False, None, None))
    pr["participants"] = kept


# ----------------------------------------------------------------------------- reviews


def _review(ctx: WriteCtx, approved: bool | None, state: str | None) -> tuple[JSON, JSON, RepoData, JSON]:
    ws, repo, data, pr = open_pull_request(ctx)
    _require_open(pr, "reviewed")
    user = ctx.acting_user()
    entry = participant_entry(pr, user)
    stamp = _touch(ctx, pr)
    entry["approved"] = bool(approved)
    entry["state"] = state
    entry["participated_on"] = stamp
    return entry, pr, data, user


def approve(ctx: WriteCtx) -> Response:
    entry, pr, data, user = _review(ctx, True, "approved")
    data.pr_activity[pr["id"]].append(o.activity_approval(pr, user, pr["updated_on"]))
    return ctx.ok(entry)


def unapprove(ctx: WriteCtx) -> Response:
    _review(ctx, False, None)
    return no_content()


def request_changes(ctx: WriteCtx) -> Response:
    entry, pr, data, user = _review(ctx, False, "changes_requested")
    data.pr_activity[pr["id"]].append(o.activity_changes_requested(pr, user, pr["updated_on"]))
    return ctx.ok(entry)


def withdraw_request_changes(ctx: WriteCtx) -> Response:
    _review(ctx, False, None)
    return no_content()


# ----------------------------------------------------------------------------- merge / decline


def _merge_sha(repo: JSON, pr: JSON, stamp: str) -> str:
    return hashlib.sha1(f"{repo['uuid']}:{pr['id']}:{stamp}".encode()).hexdigest()


FAST_FORWARD = ("fast_forward", "rebase_fast_forward", "squash_fast_forward")


def apply_merge(
    store: Store,
    ws: str,
    repo: JSON,
    pr: JSON,
    user: JSON,
    strategy: str,
    message: str | None,
    close_source: bool,
) -> JSON:
    """Merge ``pr`` now: the merge commit (or fast-forward) on the destination branch, the PR
    MERGED with ``merge_commit`` and ``closed_by``, an activity entry, the source branch deleted
    when asked. Raises :class:`MergeFailed` when the PR can no longer be merged."""
    data = store.repo_data_for_write(ws, repo["slug"])
    if pr["state"] != "OPEN":
        raise MergeFailed(
            409,
            "Conflict",
            f"Pull request {pr['id']} is {pr['state']}; only open pull requests can be merged.",
        )
    destination_name = pr["destination"]["branch"]["name"]
    source_name = pr["source"]["branch"]["name"]
    if destination_name not in data.branches:
        raise MergeFailed(409, "Conflict", f"The destination branch {destination_name} no longer exists.")
    if source_name not in data.branches:
        raise MergeFailed(409, "Conflict", f"The source branch {source_name} no longer exists.")
    stamp = now_iso()
    destination_head = data.branches[destination_name]["target"]["hash"]
    source_head = data.branches[source_name]["target"]["hash"]
    text = message or f"Merged in {source_name} (pull request #{pr['id']})\n\n{pr['title']}"
    if strategy == "fast_forward":
        if destination_head not in _ancestors(data, source_head):
            raise MergeFailed(
                400,
                "Bad request",
                f"{destination_name} has commits that {source_name} lacks; a fast-forward merge is not possible.",
            )
        sha = source_head
    else:
        sha = _merge_sha(repo, pr, stamp)
        parents = [destination_head] + ([source_head] if strategy in ("merge_commit", "rebase_merge") else [])
        commit_author = o.author(user, user["display_name"], f"{user['nickname']}@example.com")
        data.commits[sha] = o.commit(repo, sha, stamp, commit_author, text, parents)
        data.commit_diffstats[sha] = list(data.pr_diffstats.get(pr["id"], []))
        data.commit_order.insert(0, sha)
    data.branches[destination_name] = o.branch(repo, destination_name, data.commits[sha])
    if close_source and source_name != repo["mainbranch"]["name"]:
        data.branches.pop(source_name, None)
    pr.update(
        state="MERGED",
        merge_commit=o.merge_commit_ref(sha),
        closed_by=o.user_summary(user),
        close_source_branch=close_source,
    )
    pr["updated_on"] = stamp
    data.pr_activity[pr["id"]].append(o.activity_update(pr, "MERGED", user, stamp))
    store.touch(repo)
    return pr


def merge(ctx: WriteCtx) -> Response:
    """200 with the merged PR, or 202 + ``Location`` of the task status for an async merge."""
    ws, repo, data, pr = open_pull_request(ctx, "write")
    body = ctx.object_body()
    strategy = ctx.optional_text(body, "merge_strategy", "merge_commit")
    if strategy not in o.MERGE_STRATEGIES:
        raise ValidationError({"merge_strategy": [f"Must be one of {', '.join(o.MERGE_STRATEGIES)}."]})
    message = ctx.optional_text(body, "message", "") or None
    close_source = ctx.optional_bool(body, "close_source_branch", pr["close_source_branch"])
    user = ctx.acting_user()
    tasks: MergeTasks = ctx.request.app.state.merge_tasks
    if tasks.pending_for(ws, repo["slug"], pr["id"]) is not None:
        raise ApiError(409, "Conflict", f"A merge of pull request {pr['id']} is already in progress.")
    requested = ctx.query.get("async", "false").lower() == "true"

    def run() -> JSON:
        return apply_merge(ctx.store, ws, repo, pr, user, strategy, message, close_source)

    if not tasks.is_async(requested):
        try:
            return ctx.ok(run())
        except MergeFailed as exc:
            raise ApiError(exc.status, exc.message, exc.detail) from None
    if pr["state"] != "OPEN":  # refused at once, as a synchronous merge would be
        raise ApiError(
            409,
            "Conflict",
            f"Pull request {pr['id']} is {pr['state']}; only open pull requests can be merged.",
        )
    task = tasks.queue(ws, repo["slug"], pr["id"], run)
    location = f"{ctx.location_of(pr)}/merge/task-status/{task.task_id}"
    return Response(status_code=202, headers={"Location": location})


def merge_task_status(ctx: WriteCtx) -> Response:
    """``GET .../merge/task-status/{task_id}``: PENDING, SUCCESS with ``merge_result``, or the error."""
    ws, repo, data, pr = open_pull_request(ctx)
    tasks: MergeTasks = ctx.request.app.state.merge_tasks
    task = tasks.tasks.get(ctx.params["task_id"])
    if task is None or (task.workspace, task.repo_slug, task.pr_id) != (ws, repo["slug"], pr["id"]):
        raise ApiError(
            400,
            "Bad request",
            f"Task {ctx.params['task_id']} is not a merge task of pull request {pr['id']}.",
        )
    tasks.poll(task)
    if task.error is not None:
        raise ApiError(task.error.status, task.error.message, task.error.detail)
    self_href = f"{ctx.location_of(pr)}/merge/task-status/{task.task_id}"
    body: JSON = {"task_status": task.status, "links": {"self": {"href": self_href}}}
    if task.result is not None:
        body["merge_result"] = task.result
    return ctx.ok(body)


def decline(ctx: WriteCtx) -> Response:
    ws, repo, data, pr = open_pull_request(ctx, "read")
    _require_open(pr, "declined")
    user = ctx.acting_user()
    body = ctx.object_body()
    stamp = _touch(ctx, pr)
    pr.update(state="DECLINED", closed_by=o.user_summary(user), reason=ctx.optional_text(body, "reason", ""))
    data.pr_activity[pr["id"]].append(o.activity_update(pr, "DECLINED", user, stamp))
    return ctx.ok(pr)


def pull_request_routes(store: Store) -> list[Route]:
    base = "/repositories/{workspace}/{repo_slug}/pullrequests"
    one = f"{base}/{{pull_request_id}}"
    return [
        route(store, base, "POST", create_pull_request, SCOPE),
        route(store, one, "PUT", update_pull_request, SCOPE),
        route(store, f"{one}/approve", "POST", approve, SCOPE),
        route(store, f"{one}/approve", "DELETE", unapprove, SCOPE),
        route(store, f"{one}/request-changes", "POST", request_changes, SCOPE),
        route(store, f"{one}/request-changes", "DELETE", withdraw_request_changes, SCOPE),
        route(store, f"{one}/merge", "POST", merge, SCOPE),
        route(store, f"{one}/merge/task-status/{{task_id}}", "GET", merge_task_status, "pullrequest"),
        route(store, f"{one}/decline", "POST", decline, SCOPE),
    ]
