"""The emulator's in-memory state: plain JSON-like dicts in the spec's full shapes.

Structure (everything keyed for direct lookup; every object is the exact JSON the API serves,
with hrefs under ``https://api.bitbucket.org/2.0`` that responses rewrite to the emulator's URL):

``Store``
    ``users``            braced user uuid -> full ``user`` object
    ``emails``           lower-case e-mail -> braced user uuid (e-mails are not part of the object)
    ``workspaces``       slug -> :class:`WorkspaceData`
    ``repo_data(ws, slug)`` -> :class:`RepoData`, built on first use (see "Laziness")

``WorkspaceData`` (one per workspace, always in memory)
    ``workspace``                  full ``workspace``
    ``members``                    user uuid -> ``workspace_membership`` (with ``permission``:
                                   owner | collaborator | member)
    ``groups``                     group slug -> ``group``
    ``projects``                   key -> ``project``
    ``project_user_permissions``   key -> user uuid -> ``project_user_permission``
    ``project_group_permissions``  key -> group slug -> ``project_group_permission``
    ``project_default_reviewers``  key -> user uuid -> ``default_reviewer_and_type``
    ``hooks``                      braced uuid -> ``webhook_subscription`` (workspace level)
    ``variables``                  braced uuid -> ``pipeline_variable`` (workspace level)
    ``repositories``               slug -> full ``repository`` (forks carry ``parent``)
    ``repo_user_permissions``      slug -> user uuid -> ``repository_user_permission``
    ``repo_group_permissions``     slug -> group slug -> ``repository_group_permission``
    ``watchers``                   slug -> list of user uuids

``RepoData`` (one per repository): refs, the commit graph and everything hanging off commits and
pull requests; see the field comments on the class.

Laziness: at ``medium``/``large`` scale a repository's ``RepoData`` is generated from its own seeded
random stream the first time it is needed, so startup costs only the repository list. When
``cache_limit`` is set, RepoData that was never written to may be dropped again (it regenerates
identically). **Writers must use :meth:`Store.repo_data_for_write`** (or the helper methods below),
which pins the data in memory so a change is never discarded.

Thread safety: writers hold ``store.lock`` (an ``RLock``) while mutating; readers take it around
the short sections that walk a collection.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .serializers.common import JSON, braced, now_iso

PERMISSION_RANK = {
    "none": 0,
    "read": 1,
    "member": 1,
    "collaborator": 2,
    "write": 2,
    "create-repo": 3,
    "admin": 4,
    "owner": 5,
}


@dataclass
class RepoData:
    """Everything under one repository. Lists named ``*_order`` are newest first."""

    branches: dict[str, JSON] = field(default_factory=dict)  # name -> branch
    tags: dict[str, JSON] = field(default_factory=dict)  # name -> tag
    commits: dict[str, JSON] = field(default_factory=dict)  # full hash -> commit
    commit_order: list[str] = field(default_factory=list)  # every hash, newest first (topological)
    commit_diffstats: dict[str, list[JSON]] = field(default_factory=dict)  # hash -> diffstat vs 1st parent
    commit_statuses: dict[str, dict[str, JSON]] = field(default_factory=dict)  # hash -> key -> status
    commit_participants: dict[str, list[JSON]] = field(default_factory=dict)  # hash -> approvals
    pullrequests: dict[int, JSON] = field(default_factory=dict)  # id -> pullrequest (full form)
    pr_comments: dict[int, dict[int, JSON]] = field(default_factory=dict)  # pr id -> comment id -> comment
    pr_tasks: dict[int, dict[int, JSON]] = field(default_factory=dict)  # pr id -> task id -> task
    pr_activity: dict[int, list[JSON]] = field(default_factory=dict)  # pr id -> entries, oldest first
    pr_commits: dict[int, list[str]] = field(default_factory=dict)  # pr id -> full hashes, newest first
    pr_diffstats: dict[int, list[JSON]] = field(default_factory=dict)  # pr id -> diffstat entries
    pipelines: dict[str, JSON] = field(default_factory=dict)  # braced uuid -> pipeline
    pipeline_steps: dict[str, dict[str, JSON]] = field(
        default_factory=dict
    )  # pipeline uuid -> step uuid -> step
    variables: dict[str, JSON] = field(default_factory=dict)  # braced uuid -> pipeline_variable
    schedules: dict[str, JSON] = field(default_factory=dict)  # braced uuid -> pipeline_schedule
    environments: dict[str, JSON] = field(default_factory=dict)  # braced uuid -> deployment_environment
    deployments: dict[str, JSON] = field(default_factory=dict)  # braced uuid -> deployment
    branch_restrictions: dict[int, JSON] = field(default_factory=dict)  # id -> branchrestriction
    default_reviewers: dict[str, JSON] = field(default_factory=dict)  # user uuid -> user summary
    branching_model: JSON | None = None
    hooks: dict[str, JSON] = field(default_factory=dict)  # braced uuid -> webhook_subscription
    downloads: dict[str, JSON] = field(default_factory=dict)  # file name -> download
    deploy_keys: dict[int, JSON] = field(default_factory=dict)  # id -> deploy_key
    counters: dict[str, int] = field(default_factory=dict)  # last id used per kind (see Store.next_id)
    pinned: bool = False

    def commit_by_prefix(self, revision: str) -> JSON | None:
        """A commit by full or abbreviated hash (unique prefix of at least 4 characters)."""
        found = self.commits.get(revision)
        if found is not None or len(revision) < 4:
            return found
        matches = [sha for sha in self.commits if sha.startswith(revision)]
        return self.commits[matches[0]] if len(matches) == 1 else None


@dataclass
class WorkspaceData:
    """One workspace and the settings that are cheap to keep for every repository."""

    workspace: JSON
    members: dict[str, JSON] = field(default_factory=dict)
    groups: dict[str, JSON] = field(default_factory=dict)
    projects: dict[str, JSON] = field(default_factory=dict)
    project_user_permissions: dict[str, dict[str, JSON]] = field(default_factory=dict)
    project_group_permissions: dict[str, dict[str, JSON]] = field(default_factory=dict)
    project_default_reviewers: dict[str, dict[str, JSON]] = field(default_factory=dict)
    hooks: dict[str, JSON] = field(default_factory=dict)
    variables: dict[str, JSON] = field(default_factory=dict)
    repositories: dict[str, JSON] = field(default_factory=dict)
    repo_user_permissions: dict[str, dict[str, JSON]] = field(default_factory=dict)
    repo_group_permissions: dict[str, dict[str, JSON]] = field(default_factory=dict)
    watchers: dict[str, list[str]] = field(default_factory=dict)


RepoFactory = Callable[["Store", str, str], RepoData]


class Store:
    """The live data set. See the module docstring for its structure and locking rules."""

    def __init__(self, *, repo_factory: RepoFactory | None = None, cache_limit: int | None = None) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, JSON] = {}
        self.emails: dict[str, str] = {}
        self.workspaces: dict[str, WorkspaceData] = {}
        self.repo_factory = repo_factory
        self.cache_limit = cache_limit
        self._repo_data: OrderedDict[tuple[str, str], RepoData] = OrderedDict()
        self._uuid_counter = itertools.count(1)
        #: lazily built data of the later collections (reports, runners, snippets, keys...): extras.py
        self.extras: dict[tuple[str, ...], Any] = {}

    # ------------------------------------------------------------------ lookups for the server engineer

    def workspace_slugs(self) -> list[str]:
        return sorted(self.workspaces)

    def workspace(self, ident: str) -> WorkspaceData | None:
        """A workspace by slug or braced UUID (as ``{workspace}`` path segments allow)."""
        found = self.workspaces.get(ident)
        if found is not None or not ident.startswith("{"):
            return found
        wanted = braced(ident)
        return next((ws for ws in self.workspaces.values() if ws.workspace["uuid"] == wanted), None)

    def repository(self, ws: str, slug: str) -> JSON | None:
        """A full repository by workspace slug/UUID and repository slug/UUID, or None."""
        if ws in ("{}", "") and slug.startswith("{"):
            return next(
                (
                    r
                    for w in self.workspaces.values()
                    for r in w.repositories.values()
                    if r["uuid"] == braced(slug)
                ),
                None,
            )
        data = self.workspace(ws)
        if data is None:
            return None
        found = data.repositories.get(slug)
        if found is None and slug.startswith("{"):
            found = next((r for r in data.repositories.values() if r["uuid"] == braced(slug)), None)
        return found

    def is_private(self, ws: str, slug: str) -> bool:
        repo = self.repository(ws, slug)
        return bool(repo is None or repo["is_private"])

    def user(self, ident: str) -> JSON | None:
        """A user by braced/unbraced UUID or account_id."""
        if ident.strip("{}") and (found := self.users.get(braced(ident))) is not None:
            return found
        return next((u for u in self.users.values() if u["account_id"] == ident), None)

    def user_by_email(self, email: str) -> JSON | None:
        uuid = self.emails.get(email.lower())
        return None if uuid is None else self.users.get(uuid)

    def email_of(self, user_uuid: str) -> str | None:
        return next((email for email, uuid in self.emails.items() if uuid == user_uuid), None)

    def user_workspaces(self, user_uuid: str | None) -> list[str]:
        """Slugs of the workspaces ``user_uuid`` is a member of, sorted."""
        if user_uuid is None:
            return []
        return sorted(slug for slug, data in self.workspaces.items() if user_uuid in data.members)

    def workspace_permission(self, ws: str, user_uuid: str | None) -> str | None:
        """owner | collaborator | member, or None when the user is not a member."""
        data = self.workspaces.get(ws)
        if data is None or user_uuid is None:
            return None
        membership = data.members.get(user_uuid)
        return None if membership is None else membership["permission"]

    def repositories(self) -> Iterator[tuple[str, JSON]]:
        """Every (workspace slug, repository), in workspace then slug order."""
        for slug in self.workspace_slugs():
            for repo_slug in sorted(self.workspaces[slug].repositories):
                yield slug, self.workspaces[slug].repositories[repo_slug]

    # ------------------------------------------------------------------ repository data

    def repo_data(self, ws: str, slug: str) -> RepoData:
        """The refs/commits/PRs/... of a repository, generated on first use. Read-only use."""
        key = (ws, slug)
        with self.lock:
            data = self._repo_data.get(key)
            if data is not None:
                self._repo_data.move_to_end(key)
                return data
            data = RepoData(pinned=True) if self.repo_factory is None else self.repo_factory(self, ws, slug)
            self._repo_data[key] = data
            self._evict()
            return data

    def repo_data_for_write(self, ws: str, slug: str) -> RepoData:
        """Like :meth:`repo_data`, and pins the data so the change survives cache eviction."""
        with self.lock:
            data = self.repo_data(ws, slug)
            data.pinned = True
            return data

    def materialize_all(self) -> int:
        """Generate every repository's data now (benchmarks call it so first-touch generation is
        not measured as API latency). Returns how many repositories are loaded afterwards; with a
        ``cache_limit`` only the most recent ones stay."""
        for ws, repo in list(self.repositories()):
            self.repo_data(ws, repo["slug"])
        return self.loaded_repo_count()

    def loaded_repo_count(self) -> int:
        return len(self._repo_data)

    def _evict(self) -> None:
        if self.cache_limit is None:
            return
        excess = len(self._repo_data) - self.cache_limit
        for key in list(self._repo_data):
            if excess <= 0:
                break
            if not self._repo_data[key].pinned:
                del self._repo_data[key]
                excess -= 1

    # ------------------------------------------------------------------ write helpers

    def add_repository(self, ws: str, repo: JSON) -> RepoData:
        """Register a new repository (full form) with empty, pinned repository data."""
        with self.lock:
            self.workspaces[ws].repositories[repo["slug"]] = repo
            self.workspaces[ws].watchers.setdefault(repo["slug"], [])
            data = RepoData(pinned=True)
            self._repo_data[(ws, repo["slug"])] = data
            return data

    def delete_repository(self, ws: str, slug: str) -> None:
        with self.lock:
            data = self.workspaces[ws]
            data.repositories.pop(slug, None)
            data.repo_user_permissions.pop(slug, None)
            data.repo_group_permissions.pop(slug, None)
            data.watchers.pop(slug, None)
            self._repo_data.pop((ws, slug), None)

    def rename_repository(self, ws: str, old_slug: str, repo: JSON) -> None:
        """Move a repository (and its loaded data) to ``repo['slug']``."""
        with self.lock:
            data = self.repo_data_for_write(ws, old_slug)
            workspace = self.workspaces[ws]
            workspace.repositories.pop(old_slug, None)
            workspace.repositories[repo["slug"]] = repo
            per_repo_maps: tuple[dict[str, Any], ...] = (
                workspace.repo_user_permissions,
                workspace.repo_group_permissions,
                workspace.watchers,
            )
            for per_repo in per_repo_maps:
                if old_slug in per_repo:
                    per_repo[repo["slug"]] = per_repo.pop(old_slug)
            self._repo_data.pop((ws, old_slug), None)
            self._repo_data[(ws, repo["slug"])] = data

    @staticmethod
    def put(collection: dict[Any, JSON], key: Any, obj: JSON) -> JSON:
        """Add or replace ``obj`` under ``key`` (hold ``store.lock``)."""
        collection[key] = obj
        return obj

    @staticmethod
    def delete(collection: dict[Any, JSON], key: Any) -> JSON | None:
        """Remove and return the object under ``key``, or None (hold ``store.lock``)."""
        return collection.pop(key, None)

    def next_id(self, ws: str, slug: str, kind: str) -> int:
        """The next integer id for ``kind`` in a repository: pullrequest, comment, task,
        branch_restriction, deploy_key. Ids never repeat, even after deletes."""
        with self.lock:
            data = self.repo_data_for_write(ws, slug)
            data.counters[kind] = data.counters.get(kind, 0) + 1
            return data.counters[kind]

    def new_uuid(self) -> str:
        """A fresh braced UUID for objects created at run time (deterministic per store)."""
        return f"{{{0xE0E0E0E0:08x}-0000-4000-8000-{next(self._uuid_counter):012x}}}"

    @staticmethod
    def touch(obj: JSON, field_name: str = "updated_on") -> str:
        """Set ``obj[field_name]`` to now (ISO form) and return the timestamp."""
        stamp = now_iso()
        obj[field_name] = stamp
        return stamp
