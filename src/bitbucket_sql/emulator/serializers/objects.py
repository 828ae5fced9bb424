"""Builders for every object shape the emulator serves, in the spec's exact JSON forms.

The generator, the ``--data`` loader and the write routes all build objects here, so a shape is
defined once. "Full" builders make the form a ``self`` or collection endpoint returns;
``*_summary``/``*_condensed`` helpers make the embedded forms other objects carry.
"""

from __future__ import annotations

from collections.abc import Callable

from .common import JSON, api, avatar, braced, encoded, link, rendered, seconds_iso, web, zulu

MERGE_STRATEGIES = [
    "merge_commit",
    "squash",
    "fast_forward",
    "squash_fast_forward",
    "rebase_fast_forward",
    "rebase_merge",
]


# ----------------------------------------------------------------------------- users


def user(
    uuid: str, account_id: str, display_name: str, nickname: str, created_on: str, *, is_staff: bool = False
) -> JSON:
    """A full ``user`` (``account``) object as ``/user`` and ``/users/{u}`` return it."""
    initials = "".join(part[0] for part in display_name.split()[:2]).upper() or "U"
    ref = encoded(braced(uuid))
    return {
        "type": "user",
        "uuid": braced(uuid),
        "account_id": account_id,
        "display_name": display_name,
        "nickname": nickname,
        "account_status": "active",
        "created_on": created_on,
        "has_2fa_enabled": False,
        "is_staff": is_staff,
        "links": {
            "self": link(api(f"/users/{ref}")),
            "html": link(web(f"/{ref}/")),
            "avatar": link(avatar(initials)),
        },
    }


# Condensed forms are shared between the objects that embed them (thousands of commits carry the
# same author and repository), which keeps medium/large stores several times smaller. The caches
# are keyed by the values a condensed form is made of (never by object identity, so they keep no
# store object alive), and bounded. Writers replace embedded objects; they never edit them in place.
_CONDENSED: dict[tuple[object, ...], JSON] = {}
_CONDENSED_LIMIT = 50_000


def _shared(key: tuple[object, ...], build: Callable[[], JSON]) -> JSON:
    value = _CONDENSED.get(key)
    if value is None:
        if len(_CONDENSED) >= _CONDENSED_LIMIT:
            _CONDENSED.clear()
        value = _CONDENSED[key] = build()
    return value


def user_summary(full_user: JSON) -> JSON:
    """The condensed user embedded in other objects (shared; see above)."""
    key = (
        "user",
        full_user["uuid"],
        full_user["account_id"],
        full_user["display_name"],
        full_user["nickname"],
        full_user["links"]["self"]["href"],
        full_user["links"]["avatar"]["href"],
    )
    return _shared(
        key,
        lambda: {
            "type": "user",
            "uuid": full_user["uuid"],
            "account_id": full_user["account_id"],
            "display_name": full_user["display_name"],
            "nickname": full_user["nickname"],
            "links": dict(full_user["links"]),
        },
    )


def author(full_user: JSON | None, name: str, email: str) -> JSON:
    """A commit author: the raw ``Name <email>`` plus the matched account when there is one."""
    value: JSON = {"type": "author", "raw": f"{name} <{email}>"}
    if full_user is not None:
        value["user"] = user_summary(full_user)
    return value


# ----------------------------------------------------------------------------- workspaces


def _workspace_core_links(slug: str) -> JSON:
    """The ``self``, ``html`` and ``avatar`` links every form of a workspace carries."""
    return {
        "self": link(api(f"/workspaces/{slug}")),
        "html": link(web(f"/{slug}/")),
        "avatar": link(web(f"/workspaces/{slug}/avatar/?ts=0")),
    }


def workspace_links(slug: str) -> JSON:
    return {
        **_workspace_core_links(slug),
        "members": link(api(f"/workspaces/{slug}/members")),
        "owners": link(api(f"/workspaces/{slug}/members?q=permission%3D%22owner%22")),
        "projects": link(api(f"/workspaces/{slug}/projects")),
        "repositories": link(api(f"/repositories/{slug}")),
        "snippets": link(api(f"/snippets/{slug}")),
    }


def workspace(
    uuid: str,
    slug: str,
    name: str,
    created_on: str,
    *,
    is_private: bool = True,
    forking_mode: str = "allow_forks",
) -> JSON:
    """A full ``workspace``."""
    return {
        "type": "workspace",
        "uuid": braced(uuid),
        "name": name,
        "slug": slug,
        "is_private": is_private,
        "is_privacy_enforced": False,
        "is_personal": False,
        "forking_mode": forking_mode,
        "created_on": created_on,
        "updated_on": created_on,
        "links": workspace_links(slug),
    }


def workspace_condensed(full_workspace: JSON) -> JSON:
    slug = full_workspace["slug"]
    return {
        "type": "workspace",
        "uuid": full_workspace["uuid"],
        "name": full_workspace["name"],
        "slug": slug,
        "links": _workspace_core_links(slug),
    }


def workspace_base(full_workspace: JSON) -> JSON:
    """The ``workspace_base`` form inside ``workspace_access`` items."""
    slug = full_workspace["slug"]
    return {
        "type": "workspace_base",
        "uuid": full_workspace["uuid"],
        "slug": slug,
        "links": {
            name: value for name, value in _workspace_core_links(slug).items() if name in ("self", "html")
        },
    }


def workspace_owner(full_workspace: JSON) -> JSON:
    """A workspace in the ``team`` form used as repository and project ``owner``."""
    slug = full_workspace["slug"]
    return {
        "type": "team",
        "uuid": full_workspace["uuid"],
        "username": slug,
        "display_name": full_workspace["name"],
        "links": _workspace_core_links(slug),
    }


def workspace_membership(
    full_workspace: JSON, full_user: JSON, permission: str, added_on: str, last_accessed: str
) -> JSON:
    """A ``workspace_membership`` with the permission (the members list strips it)."""
    slug = full_workspace["slug"]
    ref = encoded(full_user["uuid"])
    return {
        "type": "workspace_membership",
        "permission": permission,
        "user": user_summary(full_user),
        "workspace": workspace_condensed(full_workspace),
        "added_on": added_on,
        "last_accessed": last_accessed,
        "links": {"self": link(api(f"/workspaces/{slug}/members/{ref}"))},
    }


def workspace_access(full_workspace: JSON, administrator: bool) -> JSON:
    return {
        "type": "workspace_access",
        "administrator": administrator,
        "workspace": workspace_base(full_workspace),
    }


def group(full_workspace: JSON, slug: str, name: str) -> JSON:
    ws = full_workspace["slug"]
    return {
        "type": "group",
        "name": name,
        "slug": slug,
        "full_slug": f"{ws}:{slug}",
        "links": {
            "self": link(api(f"/groups/{ws}/{slug}")),
            "html": link(web(f"/{ws}/workspace/settings/groups/{slug}")),
        },
    }


# ----------------------------------------------------------------------------- projects


def project(
    full_workspace: JSON,
    uuid: str,
    key: str,
    name: str,
    description: str,
    created_on: str,
    *,
    is_private: bool = True,
) -> JSON:
    slug = full_workspace["slug"]
    return {
        "type": "project",
        "uuid": braced(uuid),
        "key": key,
        "name": name,
        "description": description,
        "is_private": is_private,
        "has_publicly_visible_repos": False,
        "owner": workspace_owner(full_workspace),
        "workspace": workspace_condensed(full_workspace),
        "created_on": created_on,
        "updated_on": created_on,
        "links": {
            "self": link(api(f"/workspaces/{slug}/projects/{key}")),
            "html": link(web(f"/{slug}/workspace/projects/{key}")),
            "avatar": link(web(f"/{slug}/workspace/projects/{key}/avatar/32?ts=0")),
            "repositories": link(api(f"/repositories/{slug}?q=project.key%3D%22{key}%22")),
        },
    }


def project_condensed(full_project: JSON) -> JSON:
    links = full_project["links"]
    return {
        "type": "project",
        "key": full_project["key"],
        "uuid": full_project["uuid"],
        "name": full_project["name"],
        "links": {"self": links["self"], "html": links["html"], "avatar": links["avatar"]},
    }


def _explicit_permission(
    permission: str, grantee: tuple[str, JSON], target: tuple[str, JSON], config_path: str
) -> JSON:
    """A ``{project,repository}_{user,group}_permission``: an explicit grant of ``permission`` to a
    user or group on a project or repository, linked at ``{config_path}/{users|groups}/{id}``."""
    grantee_kind, grantee_form = grantee
    target_kind, target_form = target
    ident = grantee_form["slug"] if grantee_kind == "group" else encoded(grantee_form["uuid"])
    return {
        "type": f"{target_kind}_{grantee_kind}_permission",
        "permission": permission,
        grantee_kind: grantee_form,
        target_kind: target_form,
        "links": {"self": link(api(f"{config_path}/{grantee_kind}s/{ident}"))},
    }


def _project_config_path(full_project: JSON) -> str:
    ws = full_project["workspace"]["slug"]
    return f"/workspaces/{ws}/projects/{full_project['key']}/permissions-config"


def project_user_permission(full_project: JSON, full_user: JSON, permission: str) -> JSON:
    return _explicit_permission(
        permission,
        ("user", user_summary(full_user)),
        ("project", project_condensed(full_project)),
        _project_config_path(full_project),
    )


def project_group_permission(full_project: JSON, full_group: JSON, permission: str) -> JSON:
    return _explicit_permission(
        permission,
        ("group", full_group),
        ("project", project_condensed(full_project)),
        _project_config_path(full_project),
    )


def default_reviewer(full_user: JSON, reviewer_type: str) -> JSON:
    """A ``default_reviewer_and_type`` entry (project or repository level)."""
    return {
        "type": "default_reviewer_and_type",
        "reviewer_type": reviewer_type,
        "user": user_summary(full_user),
    }


# ----------------------------------------------------------------------------- repositories


def repository_links(ws: str, slug: str) -> JSON:
    base = f"/repositories/{ws}/{slug}"
    return {
        "self": link(api(base)),
        "html": link(web(f"/{ws}/{slug}")),
        "avatar": link(web(f"/{ws}/{slug}/avatar/32/?ts=0")),
        "pullrequests": link(api(f"{base}/pullrequests")),
        "commits": link(api(f"{base}/commits")),
        "forks": link(api(f"{base}/forks")),
        "watchers": link(api(f"{base}/watchers")),
        "branches": link(api(f"{base}/refs/branches")),
        "tags": link(api(f"{base}/refs/tags")),
        "downloads": link(api(f"{base}/downloads")),
        "source": link(api(f"{base}/src")),
        "clone": [
            {"name": "https", "href": f"https://bitbucket.org/{ws}/{slug}.git"},
            {"name": "ssh", "href": f"git@bitbucket.org:{ws}/{slug}.git"},
        ],
        "hooks": link(api(f"{base}/hooks")),
    }


def repository(
    full_workspace: JSON,
    full_project: JSON,
    uuid: str,
    slug: str,
    name: str,
    description: str,
    language: str,
    created_on: str,
    updated_on: str,
    *,
    is_private: bool = True,
    size: int = 0,
    mainbranch: str = "main",
    fork_policy: str = "allow_forks",
    parent: JSON | None = None,
    website: str = "",
) -> JSON:
    """A full ``repository``. ``parent`` is the condensed parent on forks and null otherwise (live
    bodies always carry the key, as they do ``enforced_signed_commits``)."""
    ws = full_workspace["slug"]
    value: JSON = {
        "type": "repository",
        "uuid": braced(uuid),
        "full_name": f"{ws}/{slug}",
        "name": name,
        "slug": slug,
        "description": description,
        "scm": "git",
        "website": website,
        "owner": workspace_owner(full_workspace),
        "workspace": workspace_condensed(full_workspace),
        "is_private": is_private,
        "project": project_condensed(full_project),
        "fork_policy": fork_policy,
        "created_on": created_on,
        "updated_on": updated_on,
        "size": size,
        "language": language,
        "has_issues": False,
        "has_wiki": False,
        "mainbranch": {"type": "branch", "name": mainbranch},
        "override_settings": {"default_merge_strategy": True, "branching_model": True},
        "enforced_signed_commits": None,
        "parent": parent,
        "links": repository_links(ws, slug),
    }
    return value


def repository_condensed(full_repository: JSON) -> JSON:
    """The condensed repository embedded in other objects (shared; see ``user_summary``)."""
    links = full_repository["links"]
    key = ("repository", full_repository["uuid"], full_repository["full_name"], full_repository["name"])
    return _shared(
        key,
        lambda: {
            "type": "repository",
            "full_name": full_repository["full_name"],
            "name": full_repository["name"],
            "uuid": full_repository["uuid"],
            "links": {"self": links["self"], "html": links["html"], "avatar": links["avatar"]},
        },
    )


def repository_user_permission(full_repository: JSON, full_user: JSON, permission: str) -> JSON:
    return _explicit_permission(
        permission,
        ("user", user_summary(full_user)),
        ("repository", repository_condensed(full_repository)),
        f"/repositories/{full_repository['full_name']}/permissions-config",
    )


def repository_group_permission(full_repository: JSON, full_group: JSON, permission: str) -> JSON:
    return _explicit_permission(
        permission,
        ("group", full_group),
        ("repository", repository_condensed(full_repository)),
        f"/repositories/{full_repository['full_name']}/permissions-config",
    )


def repository_permission(full_repository: JSON, full_user: JSON, permission: str) -> JSON:
    """The ``repository_permission`` form of the workspace/user permission listings."""
    return {
        "type": "repository_permission",
        "permission": permission,
        "user": user_summary(full_user),
        "repository": repository_condensed(full_repository),
    }


# ----------------------------------------------------------------------------- commits and refs


def commit_links(full_name: str, sha: str) -> JSON:
    base = f"/repositories/{full_name}"
    return {
        "self": link(api(f"{base}/commit/{sha}")),
        "html": link(web(f"/{full_name}/commits/{sha}")),
        "diff": link(api(f"{base}/diff/{sha}")),
        "patch": link(api(f"{base}/patch/{sha}")),
        "comments": link(api(f"{base}/commit/{sha}/comments")),
        "approve": link(api(f"{base}/commit/{sha}/approve")),
        "statuses": link(api(f"{base}/commit/{sha}/statuses")),
    }


def commit_ref(full_name: str, sha: str) -> JSON:
    """A parent/target reference: hash, type and the two basic links."""
    return {
        "type": "commit",
        "hash": sha,
        "links": {
            "self": link(api(f"/repositories/{full_name}/commit/{sha}")),
            "html": link(web(f"/{full_name}/commits/{sha}")),
        },
    }


def commit(
    full_repository: JSON,
    sha: str,
    date: str,
    commit_author: JSON,
    message: str,
    parents: list[str],
) -> JSON:
    """A full ``commit``; its ``date`` has no fraction, as in every live body."""
    full_name = full_repository["full_name"]
    summary = rendered(message)
    return {
        "type": "commit",
        "hash": sha,
        "date": seconds_iso(date),
        "author": commit_author,
        "message": message,
        "summary": summary,
        "rendered": {"message": summary},
        "parents": [commit_ref(full_name, parent) for parent in parents],
        "repository": repository_condensed(full_repository),
        "links": commit_links(full_name, sha),
    }


REF_TARGET_OMITS = frozenset({"summary", "rendered"})


def ref_target(full_commit: JSON) -> JSON:
    """A branch or tag ``target``: the commit without ``summary``/``rendered`` (live bodies omit them)."""
    return {key: value for key, value in full_commit.items() if key not in REF_TARGET_OMITS}


def branch(full_repository: JSON, name: str, target: JSON) -> JSON:
    full_name = full_repository["full_name"]
    return {
        "type": "branch",
        "name": name,
        "target": ref_target(target),
        "merge_strategies": list(MERGE_STRATEGIES),
        "default_merge_strategy": "merge_commit",
        "links": {
            "self": link(api(f"/repositories/{full_name}/refs/branches/{name}")),
            "commits": link(api(f"/repositories/{full_name}/commits/{name}")),
            "html": link(web(f"/{full_name}/branch/{name}")),
        },
    }


def tag(full_repository: JSON, name: str, target: JSON, message: str, date: str, tagger: JSON) -> JSON:
    full_name = full_repository["full_name"]
    return {
        "type": "tag",
        "name": name,
        "target": ref_target(target),
        "message": message,
        "date": seconds_iso(date),
        "tagger": tagger,
        "links": {
            "self": link(api(f"/repositories/{full_name}/refs/tags/{name}")),
            "commits": link(api(f"/repositories/{full_name}/commits/{name}")),
            "html": link(web(f"/{full_name}/commits/tag/{name}")),
        },
    }


def diffstat_entry(
    path: str, status: str, lines_added: int, lines_removed: int, old_path: str | None = None
) -> JSON:
    """One ``diffstat`` entry; ``old``/``new`` are null for added/removed files, as on Bitbucket.
    The sides' ``links.self`` (``/src/{commit}/{path}``) are added when served (see ``with_file_links``)."""

    def side(file_path: str) -> JSON:
        return {"type": "commit_file", "path": file_path, "escaped_path": file_path}

    return {
        "type": "diffstat",
        "status": status,
        "lines_added": lines_added,
        "lines_removed": lines_removed,
        "old": None if status == "added" else side(old_path or path),
        "new": None if status == "removed" else side(path),
    }


def with_file_links(entry: JSON, full_name: str, old_sha: str | None, new_sha: str | None) -> JSON:
    """A diffstat entry with ``links.self`` on each side, pointing at the file at that side's commit."""
    served = dict(entry)
    for side, sha in (("old", old_sha), ("new", new_sha)):
        if entry.get(side) is not None and sha:
            href = api(
                f"/repositories/{full_name}/src/{sha}/{encoded(entry[side]['path']).replace('%2F', '/')}"
            )
            served[side] = {**entry[side], "links": {"self": link(href)}}
    return served


def commit_status(
    full_repository: JSON,
    sha: str,
    key: str,
    state: str,
    name: str,
    description: str,
    url: str,
    refname: str | None,
    created_on: str,
    updated_on: str,
    uuid: str,
) -> JSON:
    full_name = full_repository["full_name"]
    # ``uuid`` is accepted for the callers' sake but not served: live bodies have none.
    del uuid
    return {
        "type": "build",
        "key": key,
        "state": state,
        "name": name,
        "description": description,
        "url": url,
        "refname": refname,
        "created_on": created_on,
        "updated_on": updated_on,
        "commit": commit_ref(full_name, sha),
        "repository": repository_condensed(full_repository),
        "links": {
            "self": link(api(f"/repositories/{full_name}/commit/{sha}/statuses/build/{key}")),
            "commit": link(api(f"/repositories/{full_name}/commit/{sha}")),
        },
    }


# ----------------------------------------------------------------------------- pull requests


def short_hash(sha: str) -> str:
    """PR endpoints carry 12-character commit hashes."""
    return sha[:12]


def merge_commit_ref(sha: str) -> JSON:
    """A merged pull request's ``merge_commit``: only the 12-character hash, as the most recent
    recording of a merged pull request shows (docs/emulator-api.md)."""
    return {"hash": short_hash(sha)}


def pullrequest_links(full_name: str, pr_id: int) -> JSON:
    base = f"/repositories/{full_name}/pullrequests/{pr_id}"
    return {
        "self": link(api(base)),
        "html": link(web(f"/{full_name}/pull-requests/{pr_id}")),
        "commits": link(api(f"{base}/commits")),
        "approve": link(api(f"{base}/approve")),
        "request-changes": link(api(f"{base}/request-changes")),
        "diff": link(api(f"{base}/diff")),
        "diffstat": link(api(f"{base}/diffstat")),
        "comments": link(api(f"{base}/comments")),
        "activity": link(api(f"{base}/activity")),
        "merge": link(api(f"{base}/merge")),
        "decline": link(api(f"{base}/decline")),
        "statuses": link(api(f"{base}/statuses")),
    }


def pr_endpoint(full_repository: JSON, branch_name: str, sha: str) -> JSON:
    """``source``/``destination`` of a pull request."""
    return {
        "branch": {"name": branch_name},
        "commit": commit_ref(full_repository["full_name"], short_hash(sha)),
        "repository": repository_condensed(full_repository),
    }


def participant(
    full_user: JSON, role: str, approved: bool, state: str | None, participated_on: str | None
) -> JSON:
    return {
        "type": "participant",
        "user": user_summary(full_user),
        "role": role,
        "approved": approved,
        "state": state,
        "participated_on": participated_on,
    }


def pullrequest(
    full_repository: JSON,
    pr_id: int,
    title: str,
    description: str,
    state: str,
    pr_author: JSON,
    source: JSON,
    destination: JSON,
    created_on: str,
    updated_on: str,
    *,
    draft: bool = False,
    close_source_branch: bool = False,
    merge_commit: str | None = None,
    closed_by: JSON | None = None,
    reason: str = "",
    reviewers: list[JSON] | None = None,
    participants: list[JSON] | None = None,
    comment_count: int = 0,
    task_count: int = 0,
) -> JSON:
    """A full ``pullrequest`` (the single-object form, with reviewers and participants)."""
    full_name = full_repository["full_name"]
    summary = rendered(description)
    return {
        "type": "pullrequest",
        "id": pr_id,
        "title": title,
        "description": description,
        "rendered": {"title": rendered(title), "description": summary},
        "summary": summary,
        "state": state,
        "draft": draft,
        "author": user_summary(pr_author),
        # live bodies give the source branch an empty ``links``; the destination branch only a name
        "source": {**source, "branch": {**source["branch"], "links": {}}},
        "destination": destination,
        "merge_commit": None if merge_commit is None else merge_commit_ref(merge_commit),
        "comment_count": comment_count,
        "task_count": task_count,
        "close_source_branch": close_source_branch,
        "closed_by": None if closed_by is None else user_summary(closed_by),
        "reason": reason,
        "created_on": created_on,
        "updated_on": updated_on,
        "reviewers": [user_summary(reviewer) for reviewer in reviewers or []],
        "participants": participants or [],
        "links": pullrequest_links(full_name, pr_id),
    }


def pullrequest_ref(full_pr: JSON) -> JSON:
    """The condensed pull request inside comments and activity (shared; see ``user_summary``)."""
    key = ("pullrequest", full_pr["links"]["self"]["href"], full_pr["title"])
    return _shared(
        key,
        lambda: {
            "type": "pullrequest",
            "id": full_pr["id"],
            "title": full_pr["title"],
            "links": {"self": full_pr["links"]["self"], "html": full_pr["links"]["html"]},
        },
    )


def pr_comment(
    full_pr: JSON,
    comment_id: int,
    commenter: JSON,
    raw: str,
    created_on: str,
    *,
    updated_on: str | None = None,
    parent_id: int | None = None,
    inline: JSON | None = None,
    resolution: JSON | None = None,
    deleted: bool = False,
    pending: bool = False,
) -> JSON:
    """A ``pullrequest_comment``; ``parent``/``inline``/``resolution`` appear only when set.
    ``pending`` is accepted and not served: live bodies have no such key."""
    del pending
    full_name = full_pr["destination"]["repository"]["full_name"]
    base = f"/repositories/{full_name}/pullrequests/{full_pr['id']}/comments"
    value: JSON = {
        "type": "pullrequest_comment",
        "id": comment_id,
        "created_on": created_on,
        "updated_on": updated_on or created_on,
        "content": rendered(raw),
        "user": user_summary(commenter),
        "deleted": deleted,
        "pullrequest": pullrequest_ref(full_pr),
        "links": {
            "self": link(api(f"{base}/{comment_id}")),
            "html": link(web(f"/{full_name}/pull-requests/{full_pr['id']}/_/diff#comment-{comment_id}")),
        },
    }
    if parent_id is not None:
        value["parent"] = {
            "type": "pullrequest_comment",
            "id": parent_id,
            "links": {"self": link(api(f"{base}/{parent_id}"))},
        }
    if inline is not None:
        value["inline"] = inline
    if resolution is not None:
        value["resolution"] = resolution
    return value


def pr_task(
    full_pr: JSON,
    task_id: int,
    creator: JSON,
    raw: str,
    created_on: str,
    *,
    state: str = "UNRESOLVED",
    resolved_by: JSON | None = None,
    resolved_on: str | None = None,
    comment: JSON | None = None,
) -> JSON:
    full_name = full_pr["destination"]["repository"]["full_name"]
    value: JSON = {
        "id": task_id,
        "created_on": created_on,
        "updated_on": resolved_on or created_on,
        "state": state,
        "content": {"raw": raw},
        "creator": user_summary(creator),
        "resolved_on": resolved_on,
        "resolved_by": None if resolved_by is None else user_summary(resolved_by),
        "links": {
            "self": link(api(f"/repositories/{full_name}/pullrequests/{full_pr['id']}/tasks/{task_id}")),
            "html": link(web(f"/{full_name}/pull-requests/{full_pr['id']}")),
        },
    }
    # ``comment`` is accepted and not served: live task bodies carry no link to a comment.
    del comment
    return value


def activity_update(full_pr: JSON, state: str, by: JSON, date: str) -> JSON:
    """A PR activity ``update`` entry: a snapshot of the PR at ``date``, in the recorded live shape
    (``reviewers`` and ``changes``; no ``draft``; branches by name only)."""
    source = {**full_pr["source"], "branch": {"name": full_pr["source"]["branch"]["name"]}}
    return {
        "update": {
            "state": state,
            "title": full_pr["title"],
            "description": full_pr["description"],
            "reason": full_pr.get("reason", ""),
            "author": user_summary(by),
            "source": source,
            "destination": full_pr["destination"],
            "reviewers": [user_summary(reviewer) for reviewer in full_pr.get("reviewers", [])],
            "changes": {},
            "date": date,
        },
        "pull_request": pullrequest_ref(full_pr),
    }


def activity_approval(full_pr: JSON, approver: JSON, date: str) -> JSON:
    return {
        "approval": {"date": date, "user": user_summary(approver), "pullrequest": pullrequest_ref(full_pr)},
        "pull_request": pullrequest_ref(full_pr),
    }


def activity_changes_requested(full_pr: JSON, reviewer: JSON, date: str) -> JSON:
    return {
        "changes_requested": {
            "date": date,
            "user": user_summary(reviewer),
            "pullrequest": pullrequest_ref(full_pr),
        },
        "pull_request": pullrequest_ref(full_pr),
    }


def activity_comment(full_pr: JSON, full_comment: JSON) -> JSON:
    return {"comment": full_comment, "pull_request": pullrequest_ref(full_pr)}


# ----------------------------------------------------------------------------- pipelines and deployments

PIPELINE_RESULTS = {
    "SUCCESSFUL": "pipeline_state_completed_successful",
    "FAILED": "pipeline_state_completed_failed",
    "ERROR": "pipeline_state_completed_error",
    "STOPPED": "pipeline_state_completed_stopped",
    "EXPIRED": "pipeline_state_completed_expired",
}


def pipeline_state(state: str, result: str | None, terminator: JSON | None = None) -> JSON:
    """``state`` of a pipeline: PENDING, IN_PROGRESS (RUNNING) or COMPLETED with a result; a STOPPED
    result names who stopped it (``terminator``), as live bodies do."""
    if state == "PENDING":
        return {"type": "pipeline_state_pending", "name": "PENDING"}
    if state == "IN_PROGRESS":
        return {
            "type": "pipeline_state_in_progress",
            "name": "IN_PROGRESS",
            "stage": {"type": "pipeline_state_in_progress_running", "name": "RUNNING"},
        }
    assert result is not None
    completed: JSON = {
        "type": "pipeline_state_completed",
        "name": "COMPLETED",
        "result": {"type": PIPELINE_RESULTS[result], "name": result},
    }
    if result == "STOPPED" and terminator is not None:
        completed["result"]["terminator"] = user_summary(terminator)
    return completed


def pipeline_step_state(state: str, result: str | None) -> JSON:
    if state == "PENDING":
        return {"type": "pipeline_step_state_pending", "name": "PENDING"}
    if state == "IN_PROGRESS":
        return {"type": "pipeline_step_state_in_progress", "name": "IN_PROGRESS"}
    assert result is not None
    return {
        "type": "pipeline_step_state_completed",
        "name": "COMPLETED",
        "result": {"type": f"pipeline_step_state_completed_{result.lower()}", "name": result},
    }


def pipeline_target(
    full_name: str, ref_type: str, ref_name: str, sha: str, selector_type: str, pattern: str
) -> JSON:
    return {
        "type": "pipeline_ref_target",
        "ref_type": ref_type,
        "ref_name": ref_name,
        "commit": {"type": "commit", "hash": sha, "links": commit_ref(full_name, sha)["links"]},
        "selector": {"type": selector_type, "pattern": pattern},
    }


PIPELINES_SERVICE = "https://bitbucket-pipelines.prod.public.atl-paas.net/rest/1.0"


def pipelines_service_href(full_repository: JSON, pipeline_uuid: str) -> str:
    """Where live pipeline ``links`` point: the pipelines service, by owner and repository UUID."""
    owner = full_repository["workspace"]["uuid"]
    return f"{PIPELINES_SERVICE}/accounts/{owner}/repositories/{full_repository['uuid']}/pipelines/{braced(pipeline_uuid)}"


def pipeline(
    full_repository: JSON,
    uuid: str,
    build_number: int,
    creator: JSON,
    target: JSON,
    trigger: str,
    state: JSON,
    created_on: str,
    completed_on: str | None,
    build_seconds_used: int,
) -> JSON:
    base = pipelines_service_href(full_repository, uuid)
    result = state.get("result")
    if result is not None and result["name"] == "STOPPED" and "terminator" not in result:
        state = {**state, "result": {**result, "terminator": user_summary(creator)}}
    return {
        "type": "pipeline",
        "uuid": braced(uuid),
        "build_number": build_number,
        "run_number": 1,
        "creator": user_summary(creator),
        "repository": repository_condensed(full_repository),
        "target": target,
        "trigger": {"type": f"pipeline_trigger_{trigger.lower()}", "name": trigger},
        "state": state,
        "created_on": zulu(created_on),
        "completed_on": None if completed_on is None else zulu(completed_on),
        "build_seconds_used": build_seconds_used,
        "duration_in_seconds": build_seconds_used,
        "expired": False,
        "has_variables": False,
        "first_successful": False,
        "links": {"self": link(base), "steps": link(base + "/steps")},
    }


def pipeline_step(
    full_pipeline: JSON,
    uuid: str,
    name: str,
    image: str,
    commands: list[str],
    state: JSON,
    started_on: str | None,
    completed_on: str | None,
    duration_in_seconds: int,
) -> JSON:
    return {
        "type": "pipeline_step",
        "uuid": braced(uuid),
        "name": name,
        "run_number": 1,
        "trigger": {"type": "pipeline_step_trigger_automatic"},
        "started_on": None if started_on is None else zulu(started_on),
        "completed_on": None if completed_on is None else zulu(completed_on),
        "state": state,
        "image": {"name": image},
        "setup_commands": [
            {"name": "clone", "command": "git clone --branch main ...", "commandType": "user"}
        ],
        "script_commands": [
            {"name": command, "command": command, "commandType": "user"} for command in commands
        ],
        "teardown_commands": [
            {
                "name": "Process Test Reports",
                "command": "/bin/sh -c process-test-reports",
                "commandType": "system",
                "action": "PROCESS_TEST_REPORTS",
            }
        ],
        "duration_in_seconds": duration_in_seconds,
        "build_seconds_used": duration_in_seconds,
        "max_time": 120,
        "pipeline": {"type": "pipeline", "uuid": full_pipeline["uuid"]},
    }


def pipeline_variable(uuid: str, key: str, value: str, secured: bool) -> JSON:
    """A pipeline variable; secured values are never shown (as on Bitbucket)."""
    variable: JSON = {"type": "pipeline_variable", "uuid": braced(uuid), "key": key, "secured": secured}
    if not secured:
        variable["value"] = value
    return variable


def pipeline_schedule(
    full_repository: JSON,
    uuid: str,
    branch_name: str,
    pattern: str,
    cron: str,
    enabled: bool,
    created_on: str,
) -> JSON:
    return {
        "type": "pipeline_schedule",
        "uuid": braced(uuid),
        "enabled": enabled,
        "target": {
            "type": "pipeline_ref_target",
            "ref_type": "branch",
            "ref_name": branch_name,
            "selector": {"type": "custom", "pattern": pattern},
        },
        "cron_pattern": cron,
        "created_on": created_on,
        "updated_on": created_on,
    }


ENVIRONMENT_TYPES = {"Test": 0, "Staging": 1, "Production": 2}


def environment(full_repository: JSON, uuid: str, name: str, environment_type: str) -> JSON:
    """A ``deployment_environment`` as live bodies carry it (no ``links``; ``category`` and the
    lock/gate switches)."""
    del full_repository
    rank = ENVIRONMENT_TYPES[environment_type]
    return {
        "type": "deployment_environment",
        "uuid": braced(uuid),
        "name": name,
        "slug": name.lower().replace(" ", "-"),
        "rank": rank,
        "hidden": False,
        "environment_type": {"type": "deployment_environment_type", "name": environment_type, "rank": rank},
        "lock": {"type": "deployment_environment_lock_open", "name": "OPEN"},
        "restrictions": {
            "type": "deployment_restrictions_configuration",
            "admin_only": environment_type == "Production",
        },
        "category": {"name": environment_type},
        "environment_lock_enabled": True,
        "deployment_gate_enabled": False,
    }


def deployment(
    full_repository: JSON,
    uuid: str,
    full_environment: JSON,
    release_name: str,
    sha: str,
    status: str,
    deployer: JSON,
    start_date: str,
    completion_date: str,
    release_uuid: str,
    *,
    pipeline_uuid: str | None = None,
    step_uuid: str | None = None,
) -> JSON:
    """A ``deployment`` in the live shape: ``deployable`` and ``release`` (the same release),
    ``step.uuid``, ``commit``, ``key``/``version``, ``state.started_on``/``completed_on`` and
    ``last_update_time``, with ``Z`` timestamps."""
    full_name = full_repository["full_name"]
    del deployer  # live bodies do not say who deployed
    build_number = release_name.lstrip("#")
    step_uuid = braced(step_uuid or release_uuid)
    results = web(f"/{full_name}/pipelines/results/{build_number}/steps/{encoded(step_uuid)}")
    commit_form = {"type": "commit", "hash": sha, "links": {"html": link(web(f"/{full_name}/commits/{sha}"))}}
    release = {
        "type": "deployment_release",
        "uuid": braced(release_uuid),
        "name": release_name,
        "key": f"{release_uuid.strip('{}')}-{build_number}",
        "url": results,
        "commit": commit_form,
        "pipeline": {"type": "pipeline", "uuid": braced(pipeline_uuid or release_uuid)},
        "created_on": zulu(start_date),
    }
    return {
        "type": "deployment",
        "uuid": braced(uuid),
        "key": f"{uuid.strip('{}')}-{build_number}",
        "version": 1,
        "step": {"uuid": step_uuid},
        "environment": {"uuid": full_environment["uuid"]},
        "commit": commit_form,
        "deployable": release,
        "release": {key: value for key, value in release.items() if key != "created_on"},
        "state": {
            "type": "deployment_state_completed",
            "name": "COMPLETED",
            "status": {"type": f"deployment_state_completed_{status.lower()}", "name": status},
            "url": results,
            "started_on": zulu(start_date),
            "completed_on": zulu(completion_date),
        },
        "last_update_time": zulu(completion_date),
    }


# ----------------------------------------------------------------------------- settings


def branch_restriction(
    full_repository: JSON,
    restriction_id: int,
    kind: str,
    pattern: str,
    *,
    value: int | None = None,
    users: list[JSON] | None = None,
    groups: list[JSON] | None = None,
    branch_match_kind: str = "glob",
    branch_type: str | None = None,
) -> JSON:
    restriction: JSON = {
        "type": "branchrestriction",
        "id": restriction_id,
        "kind": kind,
        "branch_match_kind": branch_match_kind,
        "pattern": pattern,
        "users": [user_summary(u) for u in users or []],
        "groups": groups or [],
        "links": {
            "self": link(
                api(f"/repositories/{full_repository['full_name']}/branch-restrictions/{restriction_id}")
            )
        },
    }
    restriction["value"] = value
    if branch_type is not None:
        restriction["branch_type"] = branch_type
    return restriction


def branching_model(full_repository: JSON, development: JSON, production: JSON | None) -> JSON:
    """The repository branching model; ``development``/``production`` embed the full branches."""
    value: JSON = {
        "type": "branching_model",
        "development": {
            "name": development["name"],
            "branch": development,
            "use_mainbranch": production is None,
        },
        "branch_types": [
            {"kind": "feature", "prefix": "feature/"},
            {"kind": "bugfix", "prefix": "bugfix/"},
            {"kind": "release", "prefix": "release/"},
            {"kind": "hotfix", "prefix": "hotfix/"},
        ],
        "links": {"self": link(api(f"/repositories/{full_repository['full_name']}/branching-model"))},
    }
    if production is not None:
        value["production"] = {"name": production["name"], "branch": production, "use_mainbranch": True}
    return value


def webhook(
    subject: JSON,
    subject_type: str,
    uuid: str,
    url: str,
    description: str,
    events: list[str],
    created_at: str,
    *,
    active: bool = True,
) -> JSON:
    if subject_type == "repository":
        self_href = api(f"/repositories/{subject['full_name']}/hooks/{encoded(braced(uuid))}")
    else:
        self_href = api(f"/workspaces/{subject['slug']}/hooks/{encoded(braced(uuid))}")
    return {
        "type": "webhook_subscription",
        "uuid": braced(uuid),
        "url": url,
        "description": description,
        "subject": subject,
        "active": active,
        "created_at": zulu(created_at, nanoseconds=True),
        "events": sorted(events),
        "secret_set": False,
        "read_only": False,
        "skip_cert_verification": False,
        "history_enabled": False,
        "source": None,
        "links": {"self": link(self_href)},
    }


def download(
    full_repository: JSON, name: str, size: int, downloads: int, uploader: JSON, created_on: str
) -> JSON:
    return {
        "type": "download",
        "name": name,
        "size": size,
        "downloads": downloads,
        "created_on": created_on,
        "user": user_summary(uploader),
        "links": {"self": link(api(f"/repositories/{full_repository['full_name']}/downloads/{name}"))},
    }


def deploy_key(full_repository: JSON, key_id: int, key: str, label: str, added_on: str, owner: JSON) -> JSON:
    return {
        "type": "deploy_key",
        "id": key_id,
        "key": key,
        "label": label,
        "comment": label,
        "added_on": added_on,
        "last_used": None,
        "repository": repository_condensed(full_repository),
        "owner": user_summary(owner),
        "links": {"self": link(api(f"/repositories/{full_repository['full_name']}/deploy-keys/{key_id}"))},
    }
