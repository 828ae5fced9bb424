"""BBQL field schemas per resource: which dotted paths ``q``/``sort`` accept, and their types.

Leaves are type names understood by :mod:`..bbql`; inner dicts are embedded objects (arrays need
no marker). Kept separate from the handlers so the list of queryable fields is easy to review.
"""

from __future__ import annotations

from typing import Any

S, N, B, D, P = "string", "number", "boolean", "datetime", "permission"

Schema = dict[str, Any]

USER: Schema = {"uuid": S, "account_id": S, "display_name": S, "nickname": S, "type": S}
WORKSPACE: Schema = {"uuid": S, "slug": S, "name": S, "type": S}
PROJECT: Schema = {"uuid": S, "key": S, "name": S, "type": S}
REPO_REF: Schema = {"uuid": S, "full_name": S, "name": S, "type": S}
COMMIT_REF: Schema = {"hash": S, "type": S}
RENDERED: Schema = {"raw": S, "markup": S, "html": S}
OWNER: Schema = {**USER, "username": S}  # a user, or a workspace in the "team" form

REPOSITORY: Schema = {
    "uuid": S,
    "full_name": S,
    "name": S,
    "slug": S,
    "description": S,
    "scm": S,
    "website": S,
    "is_private": B,
    "fork_policy": S,
    "created_on": D,
    "updated_on": D,
    "size": N,
    "language": S,
    "has_issues": B,
    "has_wiki": B,
    "type": S,
    "owner": OWNER,
    "workspace": WORKSPACE,
    "project": PROJECT,
    "mainbranch": {"name": S, "type": S},
    "parent": REPO_REF,
}

WORKSPACE_FULL: Schema = {
    "uuid": S,
    "slug": S,
    "name": S,
    "is_private": B,
    "is_personal": B,
    "is_privacy_enforced": B,
    "forking_mode": S,
    "created_on": D,
    "updated_on": D,
    "type": S,
}

WORKSPACE_ACCESS: Schema = {"slug": S, "administrator": B, "workspace": WORKSPACE}

PROJECT_FULL: Schema = {
    "uuid": S,
    "key": S,
    "name": S,
    "description": S,
    "is_private": B,
    "created_on": D,
    "updated_on": D,
    "has_publicly_visible_repos": B,
    "type": S,
    "owner": OWNER,
}

MEMBERSHIP: Schema = {
    "permission": P,
    "user": {**USER, "email": S},
    "workspace": WORKSPACE,
    "added_on": D,
    "last_accessed": D,
}

REPO_PERMISSION: Schema = {"permission": P, "user": USER, "repository": REPO_REF, "type": S}

COMMIT: Schema = {
    "hash": S,
    "date": D,
    "message": S,
    "type": S,
    "author": {"raw": S, "user": USER},
    "summary": RENDERED,
}

REF: Schema = {
    "name": S,
    "type": S,
    "target": COMMIT,
    "message": S,
    "date": D,
    "tagger": {"raw": S, "user": USER},
    "default_merge_strategy": S,
}

ENDPOINT: Schema = {"branch": {"name": S}, "commit": COMMIT_REF, "repository": REPO_REF}

PULLREQUEST: Schema = {
    "id": N,
    "title": S,
    "description": S,
    "state": S,
    "draft": B,
    "author": USER,
    "source": ENDPOINT,
    "destination": ENDPOINT,
    "merge_commit": COMMIT_REF,
    "comment_count": N,
    "task_count": N,
    "close_source_branch": B,
    "closed_by": USER,
    "reason": S,
    "created_on": D,
    "updated_on": D,
    "reviewers": USER,
    "participants": {"user": USER, "role": S, "approved": B, "state": S, "participated_on": D},
    "summary": RENDERED,
    "type": S,
}

COMMENT: Schema = {
    "id": N,
    "created_on": D,
    "updated_on": D,
    "content": RENDERED,
    "user": USER,
    "deleted": B,
    "parent": {"id": N},
    "inline": {"path": S, "from": N, "to": N},
    "resolution": {"user": USER, "created_on": D},
    "pullrequest": {"id": N, "title": S},
    "type": S,
}

TASK: Schema = {
    "id": N,
    "created_on": D,
    "updated_on": D,
    "state": S,
    "content": RENDERED,
    "creator": USER,
    "resolved_on": D,
    "resolved_by": USER,
}

COMMIT_STATUS: Schema = {
    "key": S,
    "state": S,
    "name": S,
    "description": S,
    "url": S,
    "refname": S,
    "created_on": D,
    "updated_on": D,
    "type": S,
    "commit": COMMIT_REF,
}
