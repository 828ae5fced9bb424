"""``--data FILE``: builds a store from a compact, hand-written JSON or YAML description.

The format is documented (with an example that a test loads as printed) in docs/emulator-api.md;
a fuller example ships as ``data/example.yaml``. Every omitted field gets a default, ids and
hashes come from ``random.Random(f"data/{seed}")`` so a file always loads to the same store, and
every mistake raises :class:`DataError` naming the file, the entry and what to do instead of a
traceback.
"""

from __future__ import annotations

import json
import random
import uuid as uuid_module
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from .sampling import DEMO_EMAIL, DEMO_USER_UUID, END, START, demo_user, random_sha, random_uuid
from .serializers import objects as o
from .serializers.common import JSON, iso
from .store import RepoData, Store, WorkspaceData


class DataError(ValueError):
    """A ``--data`` file that cannot be loaded; the message names the file and the bad entry."""


def load(path: str | Path) -> Store:
    """Build a store from a compact JSON or YAML description (format: docs/emulator-api.md)."""
    file_path = Path(path)
    try:
        text = file_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read data file {file_path}: {exc.strerror}") from None
    is_json = file_path.suffix.lower() == ".json"
    try:
        document = json.loads(text) if is_json else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataError(
            f"data file {file_path} is not valid {'JSON' if is_json else 'YAML'}: {exc}"
        ) from None
    return load_document(document, source=str(file_path))


def load_document(document: Any, source: str = "<data>") -> Store:
    """Build a store from an already parsed ``--data`` document."""
    if not isinstance(document, dict):
        raise DataError(f"{source}: the top level must be a mapping with 'users' and 'workspaces'")
    return _DataLoader(document, source).build()


_PR_STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")
_DATA_START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class _DataLoader:
    """Turns the compact ``--data`` form into full objects, filling every omitted field."""

    def __init__(self, document: dict[str, Any], source: str) -> None:
        self.document = document
        self.source = source
        self.rng = random.Random(f"data/{document.get('seed', 1)}")
        self.store = Store()
        self.by_nickname: dict[str, JSON] = {}
        self.clock = _DATA_START
        self.uuid_owners: dict[str, str] = {}  # uuid -> the entry that declared it

    def fail(self, where: str, problem: str) -> DataError:
        return DataError(f"{self.source}: {where}: {problem}")

    def names(self, entry: dict[str, Any], key: str, where: str) -> list[str]:
        """A list-of-names field; a bare string would otherwise be read letter by letter."""
        value = entry.get(key) or []
        if not isinstance(value, list):
            raise self.fail(f"{where}.{key}", f"give a list, e.g. [{value}], got {value!r}")
        return [str(name) for name in value]

    def tick(self, hours: float = 5.0) -> datetime:
        self.clock += timedelta(hours=hours, minutes=self.rng.randrange(60))
        return self.clock

    def uuid(self, entry: dict[str, Any], where: str) -> str:
        """The entry's ``uuid`` in Bitbucket's braced form, or a generated one when it has none.

        Served verbatim, so anything that is not a UUID would break clients that parse it."""
        value = entry.get("uuid")
        if value is None or value == "":
            return random_uuid(self.rng)
        hint = "give a UUID such as \"{0f8c1c3e-5a4b-4c2d-9e8f-7a6b5c4d3e2f}\" or leave 'uuid' out"
        if isinstance(value, dict):
            raise self.fail(
                f"{where}.uuid",
                f"got a mapping {value!r}: in YAML a braced UUID must be quoted; {hint}",
            )
        text = str(value).strip()
        try:
            parsed = uuid_module.UUID(text[1:-1] if text.startswith("{") and text.endswith("}") else text)
        except ValueError:
            raise self.fail(f"{where}.uuid", f"{value!r} is not a UUID; {hint}") from None
        braced = "{" + str(parsed) + "}"
        if braced in self.uuid_owners:
            raise self.fail(f"{where}.uuid", f"{value!r} is already used by {self.uuid_owners[braced]}")
        self.uuid_owners[braced] = where
        return braced

    def user(self, nickname: Any, where: str) -> JSON:
        found = self.by_nickname.get(str(nickname))
        if found is None:
            raise self.fail(
                where,
                f"unknown user {nickname!r}; declare it under 'users' (known: {', '.join(sorted(self.by_nickname))})",
            )
        return found

    def build(self) -> Store:
        demo = demo_user(iso(START))
        self.uuid_owners[DEMO_USER_UUID] = "the demo user"
        self._add_user(demo, DEMO_EMAIL)
        for index, entry in enumerate(self.document.get("users") or []):
            where = f"users[{index}]"
            if not isinstance(entry, dict) or not entry.get("nickname"):
                raise self.fail(where, "each user needs at least a 'nickname'")
            nickname = str(entry["nickname"])
            if nickname in self.by_nickname:
                raise self.fail(where, f"duplicate nickname {nickname!r}")
            display = entry.get("display_name") or nickname.replace(".", " ").title()
            user = o.user(
                self.uuid(entry, where),
                entry.get("account_id") or f"{self.rng.getrandbits(96):024x}",
                display,
                nickname,
                iso(START),
            )
            self._add_user(user, entry.get("email") or f"{nickname}@example.com")
        workspaces = self.document.get("workspaces")
        if not isinstance(workspaces, list) or not workspaces:
            raise self.fail("workspaces", "give a non-empty list of workspaces")
        for index, entry in enumerate(workspaces):
            self._workspace(entry, f"workspaces[{index}]")
        return self.store

    def _add_user(self, user: JSON, email: str) -> None:
        self.store.users[user["uuid"]] = user
        self.store.emails[email.lower()] = user["uuid"]
        self.by_nickname[user["nickname"]] = user

    def _workspace(self, entry: Any, where: str) -> None:
        if not isinstance(entry, dict) or not entry.get("slug"):
            raise self.fail(where, "each workspace needs a 'slug'")
        slug = str(entry["slug"])
        full = o.workspace(self.uuid(entry, where), slug, entry.get("name") or slug.title(), iso(START))
        data = WorkspaceData(workspace=full)
        self.store.workspaces[slug] = data
        members = entry.get("members") or {"demo": "owner"}
        if not isinstance(members, dict):
            raise self.fail(
                f"{where}.members", "give a mapping of nickname to permission, e.g. {demo: owner}"
            )
        for nickname, permission in members.items():
            if permission not in ("owner", "collaborator", "member"):
                raise self.fail(
                    f"{where}.members.{nickname}",
                    f"permission must be owner, collaborator or member, got {permission!r}",
                )
            user = self.user(nickname, f"{where}.members")
            data.members[user["uuid"]] = o.workspace_membership(full, user, permission, iso(START), iso(END))
        data.groups["developers"] = o.group(full, "developers", "Developers")
        for p_index, project_entry in enumerate(
            entry.get("projects") or [{"key": "PROJ", "name": "Default project"}]
        ):
            key = str(project_entry.get("key") or "").upper()
            if not key:
                raise self.fail(f"{where}.projects[{p_index}]", "each project needs a 'key'")
            data.projects[key] = o.project(
                full,
                random_uuid(self.rng),
                key,
                project_entry.get("name") or key.title(),
                project_entry.get("description", ""),
                iso(START),
                is_private=bool(project_entry.get("private", True)),
            )
        for r_index, repo_entry in enumerate(entry.get("repositories") or []):
            self._repository(slug, data, repo_entry, f"{where}.repositories[{r_index}]")

    def _repository(self, ws: str, data: WorkspaceData, entry: Any, where: str) -> None:
        if not isinstance(entry, dict) or not entry.get("slug"):
            raise self.fail(where, "each repository needs a 'slug'")
        slug = str(entry["slug"])
        project_key = str(entry.get("project") or next(iter(data.projects)))
        if project_key not in data.projects:
            raise self.fail(
                where, f"unknown project {project_key!r}; declare it under the workspace's 'projects'"
            )
        parent = None
        if entry.get("parent"):
            parent_ws, _, parent_slug = str(entry["parent"]).partition("/")
            parent_repo = self.store.repository(parent_ws, parent_slug)
            if parent_repo is None:
                raise self.fail(where, f"fork parent {entry['parent']!r} must be declared before the fork")
            parent = o.repository_condensed(parent_repo)
        created = self.tick()
        repo = o.repository(
            data.workspace,
            data.projects[project_key],
            self.uuid(entry, where),
            slug,
            entry.get("name") or slug,
            entry.get("description", ""),
            entry.get("language", ""),
            iso(created),
            iso(created),
            is_private=bool(entry.get("private", True)),
            mainbranch=entry.get("mainbranch", "main"),
            parent=parent,
        )
        data.repositories[slug] = repo
        data.repo_user_permissions[slug] = {}
        data.repo_group_permissions[slug] = {}
        data.watchers[slug] = []
        repo_data = self.store.add_repository(ws, repo)
        members = [self.store.users[uuid] for uuid in data.members] or [self.by_nickname["demo"]]
        main = repo["mainbranch"]["name"]
        head = None
        commit_count = entry.get("commits", 10)
        if not isinstance(commit_count, int) or isinstance(commit_count, bool) or commit_count < 1:
            raise self.fail(f"{where}.commits", f"give a whole number of at least 1, got {commit_count!r}")
        for number in range(commit_count):
            head = self._commit(
                repo,
                repo_data,
                [head] if head else [],
                f"Commit {number + 1}",
                members[number % len(members)],
            )
        if head is None:
            raise self.fail(where, "'commits' must be at least 1")
        for name in [main, *self.names(entry, "branches", where)]:
            repo_data.branches[name] = o.branch(repo, name, repo_data.commits[head])
        for name in self.names(entry, "tags", where):
            repo_data.tags[name] = o.tag(
                repo,
                name,
                repo_data.commits[head],
                f"Release {name}",
                repo_data.commits[head]["date"],
                repo_data.commits[head]["author"],
            )
        for p_index, pr_entry in enumerate(entry.get("pull_requests") or []):
            head = self._pull_request(
                repo, repo_data, pr_entry, p_index + 1, head, f"{where}.pull_requests[{p_index}]"
            )
            repo_data.branches[main] = o.branch(repo, main, repo_data.commits[head])
        # commit dates carry no fraction; repository timestamps do (as recorded live)
        repo["updated_on"] = iso(datetime.fromisoformat(repo_data.commits[head]["date"]))

    def _commit(self, repo: JSON, repo_data: RepoData, parents: list[str], message: str, who: JSON) -> str:
        sha = random_sha(self.rng)
        when = self.tick(2)
        path = f"src/file{self.rng.randrange(1, 6)}.txt"
        repo_data.commits[sha] = o.commit(
            repo,
            sha,
            iso(when),
            o.author(who, who["display_name"], f"{who['nickname']}@example.com"),
            message,
            parents,
        )
        repo_data.commit_diffstats[sha] = [
            o.diffstat_entry(path, "modified", self.rng.randrange(1, 30), self.rng.randrange(0, 10))
        ]
        repo_data.commit_order.insert(0, sha)
        return sha

    def _pull_request(
        self, repo: JSON, repo_data: RepoData, entry: Any, pr_id: int, main_head: str, where: str
    ) -> str:
        if not isinstance(entry, dict) or not entry.get("title"):
            raise self.fail(where, "each pull request needs a 'title'")
        state = str(entry.get("state", "OPEN")).upper()
        if state not in _PR_STATES:
            raise self.fail(
                where, f"state must be one of {', '.join(_PR_STATES)}, got {entry.get('state')!r}"
            )
        author = self.user(entry.get("author", "demo"), where)
        source = entry.get("source") or f"feature/pr-{pr_id}"
        destination = entry.get("destination") or repo["mainbranch"]["name"]
        pr_head = self._commit(repo, repo_data, [main_head], entry["title"], author)
        repo_data.branches[source] = o.branch(repo, source, repo_data.commits[pr_head])
        created = self.clock
        merge_commit = None
        closer = (
            self.user(entry.get("closed_by", entry.get("author", "demo")), where) if state != "OPEN" else None
        )
        if state == "MERGED":
            merge_commit = self._commit(
                repo,
                repo_data,
                [main_head, pr_head],
                f"Merged in {source} (pull request #{pr_id})",
                closer or author,
            )
        reviewers = [self.user(name, f"{where}.reviewers") for name in self.names(entry, "reviewers", where)]
        approved = {
            self.user(name, f"{where}.approved_by")["uuid"]
            for name in self.names(entry, "approved_by", where)
        }
        pr = o.pullrequest(
            repo,
            pr_id,
            entry["title"],
            entry.get("description", ""),
            state,
            author,
            o.pr_endpoint(repo, source, pr_head),
            o.pr_endpoint(repo, destination, main_head),
            iso(created),
            iso(self.tick(1)),
            draft=bool(entry.get("draft", False)),
            merge_commit=merge_commit,
            closed_by=closer,
            reviewers=reviewers,
        )
        pr["participants"] = [
            o.participant(
                r,
                "REVIEWER",
                r["uuid"] in approved,
                "approved" if r["uuid"] in approved else None,
                pr["updated_on"] if r["uuid"] in approved else None,
            )
            for r in reviewers
        ]
        activity = [o.activity_update(pr, "OPEN", author, iso(created))]
        comments: dict[int, JSON] = {}
        for c_index, comment_entry in enumerate(entry.get("comments") or []):
            comment_where = f"{where}.comments[{c_index}]"
            if not isinstance(comment_entry, dict):
                raise self.fail(comment_where, "each comment is a mapping such as {user: ann, text: Done.}")
            parent_id = comment_entry.get("parent")
            if parent_id is not None and parent_id not in comments:
                raise self.fail(
                    f"{comment_where}.parent",
                    f"no earlier comment {parent_id!r} on this pull request (its comment ids: "
                    f"{', '.join(map(str, comments)) or 'none yet'}); comment ids count 1, 2, ... "
                    "through the repository",
                )
            inline = comment_entry.get("inline")
            if inline is not None and not (isinstance(inline, dict) and inline.get("path")):
                raise self.fail(f"{comment_where}.inline", "give {path: FILE, to: LINE}")
            comment_id = self.store_counter(repo_data, "comment")
            commenter = self.user(comment_entry.get("user", "demo"), comment_where)
            comment = o.pr_comment(
                pr,
                comment_id,
                commenter,
                str(comment_entry.get("text", "")),
                iso(self.tick(1)),
                parent_id=parent_id,
                inline=inline,
            )
            comments[comment_id] = comment
            activity.append(o.activity_comment(pr, comment))
        tasks: dict[int, JSON] = {}
        for t_index, task_entry in enumerate(entry.get("tasks") or []):
            task_id = self.store_counter(repo_data, "task")
            creator = self.user(task_entry.get("creator", "demo"), f"{where}.tasks[{t_index}]")
            task_state = str(task_entry.get("state", "UNRESOLVED")).upper()
            resolved = task_state == "RESOLVED"
            tasks[task_id] = o.pr_task(
                pr,
                task_id,
                creator,
                str(task_entry.get("text", "")),
                iso(self.tick(1)),
                state=task_state,
                resolved_by=creator if resolved else None,
                resolved_on=iso(self.clock) if resolved else None,
            )
        if state != "OPEN":
            activity.append(o.activity_update(pr, state, closer or author, iso(self.tick(1))))
            pr["updated_on"] = iso(self.clock)
        pr["comment_count"] = len(comments)
        pr["task_count"] = len(tasks)
        repo_data.pullrequests[pr_id] = pr
        repo_data.pr_comments[pr_id] = comments
        repo_data.pr_tasks[pr_id] = tasks
        repo_data.pr_activity[pr_id] = activity
        repo_data.pr_commits[pr_id] = [pr_head]
        repo_data.pr_diffstats[pr_id] = list(repo_data.commit_diffstats[pr_head])
        repo_data.counters["pullrequest"] = pr_id
        return merge_commit or main_head

    @staticmethod
    def store_counter(repo_data: RepoData, kind: str) -> int:
        repo_data.counters[kind] = repo_data.counters.get(kind, 0) + 1
        return repo_data.counters[kind]
