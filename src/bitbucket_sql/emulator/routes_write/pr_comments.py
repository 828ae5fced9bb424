"""Pull-request comments and tasks: create (201 + Location), update (200), delete (204).

Creating or deleting either changes the PR's ``comment_count``/``task_count`` and ``updated_on``;
a deleted comment stays listed with ``deleted: true``, as on Bitbucket.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from ..routes_read.context import ApiError
from ..serializers import objects as o
from ..serializers.common import JSON, rendered
from ..store import Store
from .base import ValidationError, WriteCtx, no_content, now_iso, route
from .pullrequests import open_pull_request, participant_entry

TASK_STATES = ("RESOLVED", "UNRESOLVED")


def _raw_content(ctx: WriteCtx, body: JSON, required: bool = True) -> str | None:
    content = body.get("content")
    raw = content.get("raw") if isinstance(content, dict) else None
    if raw is None and not required:
        return None
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError({"content": ['Give the text as {"content": {"raw": "..."}}.']})
    return raw


# ----------------------------------------------------------------------------- comments


def create_comment(ctx: WriteCtx) -> Response:
    ws, repo, data, pr = open_pull_request(ctx)
    body = ctx.object_body()
    raw = _raw_content(ctx, body)
    comments = data.pr_comments.setdefault(pr["id"], {})
    parent = body.get("parent")
    parent_id = parent.get("id") if isinstance(parent, dict) else None
    if parent is not None and parent_id not in comments:
        raise ValidationError({"parent": [f"No comment {parent_id!r} on pull request {pr['id']}."]})
    inline = body.get("inline")
    if inline is not None and not (isinstance(inline, dict) and isinstance(inline.get("path"), str)):
        raise ValidationError({"inline": ['Inline comments need {"path": ..., "to": <line>}.']})
    user = ctx.acting_user()
    stamp = now_iso()
    comment_id = ctx.store.next_id(ws, repo["slug"], "comment")
    comment = o.pr_comment(pr, comment_id, user, str(raw), stamp, parent_id=parent_id, inline=inline)
    comments[comment_id] = comment
    pr["comment_count"] = pr.get("comment_count", 0) + 1
    pr["updated_on"] = stamp
    entry = participant_entry(pr, user)
    entry["participated_on"] = stamp
    data.pr_activity.setdefault(pr["id"], []).append(o.activity_comment(pr, comment))
    return ctx.created(comment)


def _comment(ctx: WriteCtx) -> tuple[JSON, JSON]:
    ws, repo, data, pr = open_pull_request(ctx)
    comment_id = ctx.int_param("comment_id")
    comment = data.pr_comments.get(pr["id"], {}).get(comment_id)
    if comment is None or comment.get("deleted"):
        raise ApiError(404, f"Comment {comment_id} not found on pull request {pr['id']}")
    return pr, comment


def update_comment(ctx: WriteCtx) -> Response:
    pr, comment = _comment(ctx)
    raw = _raw_content(ctx, ctx.object_body())
    comment["content"] = rendered(str(raw))
    stamp = ctx.store.touch(comment)
    pr["updated_on"] = stamp
    return ctx.ok(comment)


def delete_comment(ctx: WriteCtx) -> Response:
    pr, comment = _comment(ctx)
    comment["deleted"] = True
    comment["content"] = rendered("")
    stamp = ctx.store.touch(comment)
    pr["comment_count"] = max(0, pr.get("comment_count", 1) - 1)
    pr["updated_on"] = stamp
    return no_content()


def resolve_comment(ctx: WriteCtx) -> Response:
    pr, comment = _comment(ctx)
    if "resolution" in comment:
        raise ApiError(409, "Conflict", f"Comment {comment['id']} is already resolved.")
    stamp = now_iso()
    comment["resolution"] = {
        "type": "comment_resolution",
        "user": o.user_summary(ctx.acting_user()),
        "created_on": stamp,
    }
    pr["updated_on"] = stamp
    return ctx.ok(comment["resolution"])


def reopen_comment(ctx: WriteCtx) -> Response:
    pr, comment = _comment(ctx)
    if comment.pop("resolution", None) is None:
        raise ApiError(404, f"Comment {comment['id']} is not resolved.")
    pr["updated_on"] = now_iso()
    return no_content()


# ----------------------------------------------------------------------------- tasks


def create_task(ctx: WriteCtx) -> Response:
    ws, repo, data, pr = open_pull_request(ctx)
    body = ctx.object_body()
    raw = _raw_content(ctx, body)
    attached = None
    reference = body.get("comment")
    if reference is not None:
        comment_id = reference.get("id") if isinstance(reference, dict) else None
        if isinstance(comment_id, int):
            attached = data.pr_comments.get(pr["id"], {}).get(comment_id)
        if attached is None:
            raise ValidationError({"comment": [f"No comment {comment_id!r} on pull request {pr['id']}."]})
    stamp = now_iso()
    task_id = ctx.store.next_id(ws, repo["slug"], "task")
    task = o.pr_task(pr, task_id, ctx.acting_user(), str(raw), stamp, comment=attached)
    data.pr_tasks.setdefault(pr["id"], {})[task_id] = task
    pr["task_count"] = pr.get("task_count", 0) + 1
    pr["updated_on"] = stamp
    return ctx.created(task)


def _task(ctx: WriteCtx) -> tuple[JSON, dict[int, JSON], int]:
    ws, repo, data, pr = open_pull_request(ctx)
    task_id = ctx.int_param("task_id")
    tasks = data.pr_tasks.get(pr["id"], {})
    if task_id not in tasks:
        raise ApiError(404, f"Task {task_id} not found on pull request {pr['id']}")
    return pr, tasks, task_id


def update_task(ctx: WriteCtx) -> Response:
    pr, tasks, task_id = _task(ctx)
    task = tasks[task_id]
    body = ctx.object_body()
    raw = _raw_content(ctx, body, required=False)
    state = body.get("state", task["state"])
    if state not in TASK_STATES:
        raise ValidationError({"state": [f"Must be one of {', '.join(TASK_STATES)}."]})
    stamp = now_iso()
    if raw is not None:
        task["content"] = rendered(raw)
    if state != task["state"]:
        task["state"] = state
        resolved = state == "RESOLVED"
        task["resolved_on"] = stamp if resolved else None
        task["resolved_by"] = o.user_summary(ctx.acting_user()) if resolved else None
    task["updated_on"] = stamp
    pr["updated_on"] = stamp
    return ctx.ok(task)


def delete_task(ctx: WriteCtx) -> Response:
    pr, tasks, task_id = _task(ctx)
    del tasks[task_id]
    pr["task_count"] = max(0, pr.get("task_count", 1) - 1)
    pr["updated_on"] = now_iso()
    return no_content()


def pr_comment_routes(store: Store) -> list[Route]:
    one = "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}"
    return [
        route(store, f"{one}/comments", "POST", create_comment, "pullrequest"),
        route(store, f"{one}/comments/{{comment_id}}", "PUT", update_comment, "pullrequest"),
        route(store, f"{one}/comments/{{comment_id}}", "DELETE", delete_comment, "pullrequest"),
        route(store, f"{one}/comments/{{comment_id}}/resolve", "POST", resolve_comment, "pullrequest"),
        route(store, f"{one}/comments/{{comment_id}}/resolve", "DELETE", reopen_comment, "pullrequest"),
        route(store, f"{one}/tasks", "POST", create_task, "pullrequest"),
        route(store, f"{one}/tasks/{{task_id}}", "PUT", update_task, "pullrequest"),
        route(store, f"{one}/tasks/{{task_id}}", "DELETE", delete_task, "pullrequest"),
    ]
