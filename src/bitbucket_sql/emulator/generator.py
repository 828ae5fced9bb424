"""Deterministic sample data: ``generate(scale, seed)`` and ``load(path)`` (``--data FILE``).

Determinism: every random choice comes from ``random.Random`` streams seeded from ``seed`` (the
workspace/user/repository skeleton from one stream, each repository's history from its own stream
``f"{seed}/{workspace}/{slug}"``), and every date is derived from fixed bounds
(2024-11-01 .. 2026-11-01), never the clock. So the same seed gives identical data no matter in
which order repositories are first touched, which is what makes lazy per-repository generation at
``medium``/``large`` scale possible.
"""

from __future__ import annotations

import json
import random
import uuid as uuid_module
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from .serializers import objects as o
from .serializers.common import JSON, iso
from .store import RepoData, Store, WorkspaceData

START = datetime(2024, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)

DEMO_EMAIL = "demo@example.com"
DEMO_USER_UUID = "{d3a0d3a0-0000-4000-8000-00000000d3a0}"


@dataclass(frozen=True)
class Scale:
    """Sizes for one scale. Repositories per workspace; commits and PRs are per-repository means."""

    repos: dict[str, int]
    users: int
    commits_per_repo: int
    prs_per_repo: int
    lazy: bool
    cache_limit: int | None


SCALES: dict[str, Scale] = {
    "tiny": Scale({"acme": 5, "globex": 2, "initech": 2}, 8, 40, 6, lazy=False, cache_limit=None),
    "small": Scale({"acme": 10, "globex": 4, "initech": 2}, 20, 300, 60, lazy=False, cache_limit=None),
    "medium": Scale({"acme": 80, "globex": 15, "initech": 5}, 60, 500, 100, lazy=True, cache_limit=None),
    "large": Scale({"acme": 800, "globex": 150, "initech": 50}, 300, 1000, 200, lazy=True, cache_limit=64),
}

WORKSPACE_NAMES = {"acme": "Acme Corporation", "globex": "Globex", "initech": "Initech"}

PROJECTS: dict[str, list[tuple[str, str]]] = {
    "acme": [
        ("API", "Backend APIs"),
        ("WEB", "Web front ends"),
        ("MOB", "Mobile"),
        ("OPS", "Infrastructure"),
        ("DATA", "Data platform"),
    ],
    "globex": [("PORTAL", "Customer portal"), ("CORE", "Core services")],
    "initech": [("TPS", "TPS reporting"), ("OSS", "Open source")],
}

# (slug, language, project index, description)
REPO_CATALOG: dict[str, list[tuple[str, str, int, str]]] = {
    "acme": [
        ("api", "python", 0, "Public REST API"),
        ("web", "typescript", 1, "Customer web app"),
        ("mobile-app", "kotlin", 2, "Android and iOS app"),
        ("infra", "go", 3, "Terraform and deployment tooling"),
        ("data-pipeline", "python", 4, "Batch and streaming jobs"),
        ("auth-service", "java", 0, "Login, sessions and tokens"),
        ("billing", "java", 0, "Invoices and payments"),
        ("design-system", "typescript", 1, "Shared UI components"),
        ("docs", "markdown", 1, "Developer documentation"),
        ("sdk-go", "go", 0, "Go client library"),
        ("notifications", "python", 0, "E-mail and push notifications"),
        ("search", "java", 0, "Search indexer and query service"),
        ("analytics", "python", 4, "Dashboards and metrics"),
        ("gateway", "go", 3, "Edge gateway"),
        ("cli", "rust", 3, "Command line tools"),
    ],
    "globex": [
        ("portal", "javascript", 0, "Customer portal"),
        ("api", "python", 1, "Fork of acme/api"),
        ("inventory", "java", 1, "Inventory service"),
        ("checkout", "typescript", 0, "Checkout flow"),
    ],
    "initech": [
        ("tps-reports", "c#", 0, "TPS report generator"),
        ("open-tools", "python", 1, "Open source helpers"),
    ],
}

# Public repositories (everything else is private); forks: (workspace, slug) -> parent full name.
PUBLIC = {("acme", "web"), ("acme", "docs"), ("initech", "open-tools")}
FORKS = {("globex", "api"): "acme/api"}

FIRST_NAMES = [
    "Ann",
    "Bob",
    "Chen",
    "Dana",
    "Emil",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Jules",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
]
LAST_NAMES = [
    "Lee",
    "Smith",
    "Garcia",
    "Kowalski",
    "Okafor",
    "Nakamura",
    "Silva",
    "Novak",
    "Haddad",
    "Berg",
    "Rossi",
    "Mensah",
    "Patel",
    "Dubois",
    "Larsen",
    "Moreau",
]

FILES_BY_LANGUAGE = {
    "python": [
        "src/app/__init__.py",
        "src/app/main.py",
        "src/app/models.py",
        "src/app/views.py",
        "src/app/db.py",
        "tests/test_views.py",
        "tests/test_models.py",
        "pyproject.toml",
        "README.md",
    ],
    "typescript": [
        "src/index.ts",
        "src/App.tsx",
        "src/api/client.ts",
        "src/components/Button.tsx",
        "src/components/Table.tsx",
        "package.json",
        "tsconfig.json",
        "README.md",
    ],
    "javascript": [
        "src/index.js",
        "src/app.js",
        "src/routes.js",
        "src/views/home.js",
        "package.json",
        "README.md",
    ],
    "java": [
        "src/main/java/com/acme/App.java",
        "src/main/java/com/acme/Service.java",
        "src/main/java/com/acme/Repository.java",
        "src/test/java/com/acme/AppTest.java",
        "pom.xml",
        "README.md",
    ],
    "go": [
        "cmd/server/main.go",
        "internal/config/config.go",
        "internal/handler/handler.go",
        "internal/store/store.go",
        "go.mod",
        "README.md",
    ],
    "kotlin": [
        "app/src/main/kotlin/MainActivity.kt",
        "app/src/main/kotlin/Api.kt",
        "app/build.gradle.kts",
        "ios/App/AppDelegate.swift",
        "README.md",
    ],
    "rust": ["src/main.rs", "src/lib.rs", "src/commands.rs", "Cargo.toml", "README.md"],
    "c#": [
        "src/Reports/Report.cs",
        "src/Reports/Cover.cs",
        "tests/ReportTests.cs",
        "Reports.sln",
        "README.md",
    ],
    "markdown": ["index.md", "guides/getting-started.md", "guides/auth.md", "reference/api.md", "mkdocs.yml"],
}

VERBS = [
    "Add",
    "Fix",
    "Refactor",
    "Update",
    "Remove",
    "Improve",
    "Document",
    "Speed up",
    "Simplify",
    "Handle",
]
TOPICS = [
    "login flow",
    "pagination",
    "rate limiting",
    "error messages",
    "unicode names",
    "caching",
    "retries",
    "CSV export",
    "dark mode",
    "search ranking",
    "webhooks",
    "date parsing",
    "logging",
    "metrics",
    "timeouts",
    "null handling",
    "config loading",
    "permissions check",
    "build script",
    "dependencies",
]
COMMENTS = [
    "LGTM",
    "Could we add a test for this?",
    "Nit: naming.",
    "Why not reuse the helper?",
    "This breaks on empty input.",
    "Nice cleanup!",
    "Please rebase on main.",
    "Done.",
    "Good catch, fixed.",
    "Can you explain this change?",
    "Works for me locally.",
    "Unicode check: naïve café ✓",
]
STEP_NAMES = ["Build", "Test", "Lint", "Deploy to staging"]
HOOK_EVENTS = [
    "repo:push",
    "pullrequest:created",
    "pullrequest:updated",
    "pullrequest:fulfilled",
    "pullrequest:rejected",
]


class DataError(ValueError):
    """A ``--data`` file that cannot be loaded; the message names the file and the bad entry."""


# ============================================================================= helpers


def _uuid(rng: random.Random) -> str:
    return "{" + str(uuid_module.UUID(int=rng.getrandbits(128), version=4)) + "}"


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    span = max((high - low).total_seconds(), 1.0)
    return low + timedelta(seconds=rng.uniform(0, span), microseconds=rng.randrange(1_000_000))


def _pick_title(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(TOPICS)}"


# ============================================================================= skeleton


def generate(scale: str = "tiny", seed: int = 1) -> Store:
    """A deterministic store at ``scale`` (tiny, small, medium, large)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    sizes = SCALES[scale]
    rng = random.Random(f"bitbucket-emulator/{seed}")
    store = Store(cache_limit=sizes.cache_limit)
    users = _make_users(store, rng, sizes.users)
    for ws_slug, repo_count in sizes.repos.items():
        _make_workspace(store, rng, ws_slug, repo_count, users)

    def factory(target: Store, ws: str, slug: str) -> RepoData:
        return build_repo_data(target, ws, slug, seed=seed, sizes=sizes)

    store.repo_factory = factory
    if not sizes.lazy:
        for ws, repo in list(store.repositories()):
            store.repo_data(ws, repo["slug"])
    return store


def _make_users(store: Store, rng: random.Random, count: int) -> list[JSON]:
    created = o.user(
        DEMO_USER_UUID,
        "557058:d3a0d3a0-demo-4000-8000-00000000d3a0",
        "Demo User",
        "demo",
        iso(START - timedelta(days=400)),
    )
    store.users[created["uuid"]] = created
    store.emails[DEMO_EMAIL] = created["uuid"]
    result = [created]
    seen: set[str] = {"demo"}
    for index in range(count - 1):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[(index * 7 + index // len(FIRST_NAMES)) % len(LAST_NAMES)]
        nickname = f"{first.lower()}.{last.lower()}"
        if nickname in seen:
            nickname = f"{nickname}{index}"
        seen.add(nickname)
        uuid = _uuid(rng)
        account_id = f"{rng.getrandbits(96):024x}"
        user = o.user(
            uuid,
            account_id,
            f"{first} {last}",
            nickname,
            iso(_between(rng, START - timedelta(days=900), START)),
        )
        store.users[user["uuid"]] = user
        store.emails[f"{nickname}@example.com"] = user["uuid"]
        result.append(user)
    return result


def _repo_specs(ws_slug: str, count: int) -> list[tuple[str, str, int, str]]:
    catalog = REPO_CATALOG[ws_slug]
    specs = list(catalog[:count])
    round_number = 2
    while len(specs) < count:
        for slug, language, project_index, description in catalog:
            if len(specs) >= count:
                break
            specs.append(
                (f"{slug}-{round_number}", language, project_index, f"{description} ({round_number})")
            )
        round_number += 1
    return specs


def _make_workspace(
    store: Store, rng: random.Random, ws_slug: str, repo_count: int, users: list[JSON]
) -> None:
    full = o.workspace(
        _uuid(rng), ws_slug, WORKSPACE_NAMES[ws_slug], iso(START - timedelta(days=rng.randrange(300, 700)))
    )
    data = WorkspaceData(workspace=full)
    store.workspaces[ws_slug] = data
    demo = users[0]
    others = users[1:]
    # Membership: the demo user owns acme, is a plain member of globex and is not in initech.
    member_count = max(3, len(others) * 2 // 3)
    members = rng.sample(others, min(member_count, len(others)))
    roles: list[tuple[JSON, str]] = [(members[0], "owner")] + [
        (m, rng.choice(["member", "member", "collaborator"])) for m in members[1:]
    ]
    if ws_slug == "acme":
        roles.insert(0, (demo, "owner"))
    elif ws_slug == "globex":
        roles.insert(0, (demo, "member"))
    for user, permission in roles:
        added = _between(rng, START - timedelta(days=300), START)
        data.members[user["uuid"]] = o.workspace_membership(
            full, user, permission, iso(added), iso(_between(rng, added, END))
        )
    member_users = [user for user, _ in roles]
    administrator = members[0]  # the workspace's own owner; the demo user gets no explicit grants
    for group_slug, group_name in (("developers", "Developers"), ("administrators", "Administrators")):
        data.groups[group_slug] = o.group(full, group_slug, group_name)

    for key, description in PROJECTS[ws_slug]:
        project = o.project(
            full,
            _uuid(rng),
            key,
            description.split(" ")[0] + " " + key.title(),
            description,
            iso(_between(rng, START - timedelta(days=200), START)),
        )
        data.projects[key] = project
        data.project_user_permissions[key] = {
            u["uuid"]: o.project_user_permission(project, u, p)
            for u, p in ((administrator, "admin"), (rng.choice(member_users), "write"))
        }
        data.project_group_permissions[key] = {
            "developers": o.project_group_permission(project, data.groups["developers"], "write"),
            "administrators": o.project_group_permission(project, data.groups["administrators"], "admin"),
        }
        reviewer = rng.choice(member_users)
        data.project_default_reviewers[key] = {reviewer["uuid"]: o.default_reviewer(reviewer, "project")}

    hook_uuid = _uuid(rng)
    data.hooks[hook_uuid] = o.webhook(
        o.workspace_condensed(full),
        "workspace",
        hook_uuid,
        f"https://ci.example.com/{ws_slug}/hook",
        "Workspace CI trigger",
        ["repo:push", "pullrequest:created"],
        iso(_between(rng, START, END)),
    )
    for key, value, secured in (
        ("DEPLOY_REGION", "eu-west-1", False),
        ("NPM_TOKEN", "npm-secret-token", True),
    ):
        var_uuid = _uuid(rng)
        data.variables[var_uuid] = o.pipeline_variable(var_uuid, key, value, secured)

    project_list = list(data.projects.values())
    for slug, language, project_index, description in _repo_specs(ws_slug, repo_count):
        created = _between(rng, START, START + timedelta(days=200))
        updated = _between(rng, END - timedelta(days=120), END - timedelta(days=1))
        parent_name = FORKS.get((ws_slug, slug))
        parent = None
        if parent_name is not None:
            parent_ws, parent_slug = parent_name.split("/")
            parent_repo = store.repository(parent_ws, parent_slug)
            parent = None if parent_repo is None else o.repository_condensed(parent_repo)
        repo = o.repository(
            full,
            project_list[project_index % len(project_list)],
            _uuid(rng),
            slug,
            slug.replace("-", " ").title(),
            description,
            language,
            iso(created),
            iso(updated),
            is_private=(ws_slug, slug) not in PUBLIC and not (slug.startswith("docs") and ws_slug == "acme"),
            size=rng.randrange(50_000, 50_000_000),
            parent=parent,
        )
        data.repositories[slug] = repo
        data.repo_user_permissions[slug] = {
            administrator["uuid"]: o.repository_user_permission(repo, administrator, "admin"),
        }
        for writer in rng.sample(member_users, min(2, len(member_users))):
            data.repo_user_permissions[slug].setdefault(
                writer["uuid"], o.repository_user_permission(repo, writer, "write")
            )
        data.repo_group_permissions[slug] = {
            "developers": o.repository_group_permission(repo, data.groups["developers"], "write")
        }
        data.watchers[slug] = [
            u["uuid"] for u in rng.sample(member_users, min(len(member_users), rng.randrange(1, 5)))
        ]


# ============================================================================= one repository's history


def build_repo_data(store: Store, ws: str, slug: str, *, seed: int, sizes: Scale) -> RepoData:
    """Generate the history of one repository from its own random stream (see module docstring)."""
    repo = store.workspaces[ws].repositories[slug]
    rng = random.Random(f"{seed}/{ws}/{slug}")
    members = [store.users[uuid] for uuid in store.workspaces[ws].members]
    return _RepoBuilder(rng, repo, members, sizes).build()


class _RepoBuilder:
    """Simulates a repository's life: main-line commits, PR branches, merges, reviews, CI."""

    def __init__(self, rng: random.Random, repo: JSON, members: list[JSON], sizes: Scale) -> None:
        self.rng = rng
        self.repo = repo
        self.data = RepoData()
        self.contributors = rng.sample(members, min(len(members), rng.randrange(3, 7)))
        self.files = FILES_BY_LANGUAGE.get(repo["language"], FILES_BY_LANGUAGE["python"])
        self.start = datetime.fromisoformat(repo["created_on"])
        self.end = datetime.fromisoformat(repo["updated_on"])
        self.commit_target = max(12, int(sizes.commits_per_repo * rng.uniform(0.6, 1.4)))
        self.pr_target = max(5, int(sizes.prs_per_repo * rng.uniform(0.6, 1.4)))
        self.mainbranch = repo["mainbranch"]["name"]
        self.authors: dict[str | None, JSON] = {}  # one shared commit author object per person

    # -------------------------------------------------------------- commits

    def _commit(
        self, when: datetime, parents: list[str], message: str, who: JSON | None, files: list[JSON]
    ) -> str:
        sha = _sha(self.rng)
        key = None if who is None else who["uuid"]
        commit_author = self.authors.get(key)
        if commit_author is None:
            if who is None:
                commit_author = o.author(None, "ci-bot", "ci-bot@example.com")
            else:
                commit_author = o.author(who, who["display_name"], f"{who['nickname']}@example.com")
            self.authors[key] = commit_author
        self.data.commits[sha] = o.commit(self.repo, sha, iso(when), commit_author, message, parents)
        self.data.commit_diffstats[sha] = files
        self.data.commit_order.append(sha)
        return sha

    def _file_changes(self) -> list[JSON]:
        changes = []
        for path in self.rng.sample(self.files, self.rng.randrange(1, min(4, len(self.files)) + 1)):
            status = "modified" if self.rng.random() < 0.85 else "added"
            removed = 0 if status == "added" else self.rng.randrange(0, 40)
            changes.append(o.diffstat_entry(path, status, self.rng.randrange(1, 120), removed))
        return changes

    def build(self) -> RepoData:
        prs = self._plan_pull_requests()
        main_head, main_history = self._simulate_history(prs)
        self._make_refs(main_head, main_history, prs)
        for plan in prs:
            self._make_pull_request(plan, main_head)
        self._make_statuses(prs, main_history)
        self._make_pipelines(main_history, prs)
        self._make_settings()
        self.data.counters.update(
            {
                "pullrequest": len(prs),
                "comment": max(
                    (cid for comments in self.data.pr_comments.values() for cid in comments), default=0
                ),
                "task": max((tid for tasks in self.data.pr_tasks.values() for tid in tasks), default=0),
                "branch_restriction": max(self.data.branch_restrictions, default=0),
                "deploy_key": max(self.data.deploy_keys, default=0),
            }
        )
        return self.data

    def _simulate_history(self, prs: list[dict[str, Any]]) -> tuple[str, list[tuple[datetime, str]]]:
        """Replay main-line commits, PR branch commits and merges in time order; returns the
        final main head and the main line as (date, hash) pairs, oldest first."""
        rng = self.rng
        pr_commit_total = sum(
            len(plan["commit_times"]) + (1 if plan["state"] == "MERGED" else 0) for plan in prs
        )
        main_count = max(3, self.commit_target - pr_commit_total)
        events: list[tuple[datetime, int, str, Any]] = []
        first = self.start + timedelta(minutes=5)
        for _ in range(main_count - 1):
            events.append((_between(rng, first, self.end), 1, "main", None))
        for plan in prs:
            for index, when in enumerate(plan["commit_times"]):
                events.append((when, 2, "pr_commit", (plan, index)))
            if plan["state"] == "MERGED":
                events.append((plan["closed_on"], 3, "merge", plan))
        events.sort(key=lambda event: (event[0], event[1]))

        main_head = self._commit(
            first,
            [],
            "Initial commit",
            self.contributors[0],
            [o.diffstat_entry(path, "added", rng.randrange(5, 80), 0) for path in self.files],
        )
        main_history: list[tuple[datetime, str]] = [(first, main_head)]
        for when, _, kind, payload in events:
            if kind == "main":
                who = None if rng.random() < 0.08 else rng.choice(self.contributors)
                main_head = self._commit(when, [main_head], _pick_title(rng), who, self._file_changes())
                main_history.append((when, main_head))
            elif kind == "pr_commit":
                plan, index = payload
                parent = plan["head"] if index > 0 else main_head
                if index == 0:
                    plan["base"] = main_head
                files = self._file_changes()
                plan["files"].extend(files)
                plan["head"] = self._commit(
                    when, [parent], f"{plan['title']} (part {index + 1})", plan["author"], files
                )
                plan["commits"].append(plan["head"])
            else:
                plan = payload
                merged_files = [dict(entry) for entry in plan["files"]]
                main_head = self._commit(
                    when,
                    [main_head, plan["head"]],
                    f"Merged in {plan['branch']} (pull request #{plan['id']})\n\n{plan['title']}",
                    plan["closed_by"],
                    merged_files,
                )
                plan["merge_commit"] = main_head
                main_history.append((when, main_head))
        self.data.commit_order.reverse()
        return main_head, main_history

    # -------------------------------------------------------------- pull requests

    def _plan_pull_requests(self) -> list[dict[str, Any]]:
        rng = self.rng
        latest_create = self.end - timedelta(hours=6)
        created = sorted(
            _between(rng, self.start + timedelta(days=2), latest_create) for _ in range(self.pr_target)
        )
        plans = []
        forced = ["MERGED", "DECLINED", "SUPERSEDED", "OPEN", "OPEN"]
        for index, created_on in enumerate(created):
            pr_id = index + 1
            if index < len(forced):
                state = forced[index]
            elif created_on > self.end - timedelta(days=45):
                state = rng.choice(["OPEN", "OPEN", "MERGED"])
            else:
                state = rng.choices(["MERGED", "DECLINED", "SUPERSEDED", "OPEN"], [72, 14, 5, 9])[0]
            author = rng.choice(self.contributors)
            kind = rng.choice(["feature", "feature", "bugfix", "hotfix"])
            title = _pick_title(rng)
            branch = f"{kind}/{title.lower().replace(' ', '-')}-{pr_id}"
            commit_count = rng.randrange(1, 5)
            commit_times = sorted(
                created_on - timedelta(hours=rng.uniform(0.1, 48)) for _ in range(commit_count)
            )
            commit_times = [max(t, self.start + timedelta(minutes=10)) for t in commit_times]
            closed_on = None
            closed_by = None
            if state != "OPEN":
                closed_on = min(created_on + timedelta(hours=rng.uniform(1, 240)), self.end)
                closed_by = rng.choice(self.contributors)
            plans.append(
                {
                    "id": pr_id,
                    "state": state,
                    "author": author,
                    "title": title,
                    "branch": branch,
                    "created_on": created_on,
                    "commit_times": commit_times,
                    "closed_on": closed_on,
                    "closed_by": closed_by,
                    "files": [],
                    "commits": [],
                    "head": None,
                    "base": None,
                    "merge_commit": None,
                    "draft": state == "OPEN" and index == 4,
                }
            )
        return plans

    def _make_pull_request(self, plan: dict[str, Any], main_head: str) -> None:
        rng = self.rng
        author = plan["author"]
        others = [u for u in self.contributors if u["uuid"] != author["uuid"]] or self.contributors
        reviewers = rng.sample(others, min(len(others), rng.randrange(1, 4)))
        created = plan["created_on"]
        closed = plan["closed_on"]
        horizon = closed or self.end
        destination_sha = plan["base"] if plan["state"] != "OPEN" else main_head
        description = f"{plan['title']}.\n\nThis change touches {len(plan['files'])} file(s)."
        pr = o.pullrequest(
            self.repo,
            plan["id"],
            plan["title"],
            description,
            plan["state"],
            author,
            o.pr_endpoint(self.repo, plan["branch"], plan["head"]),
            o.pr_endpoint(self.repo, self.mainbranch, destination_sha),
            iso(created),
            iso(created),
            draft=plan["draft"],
            close_source_branch=plan["state"] == "MERGED" and rng.random() < 0.7,
            merge_commit=plan["merge_commit"],
            closed_by=plan["closed_by"],
            reason="Superseded by a newer approach"
            if plan["state"] == "SUPERSEDED"
            else ("Not needed any more" if plan["state"] == "DECLINED" else ""),
            reviewers=reviewers,
        )
        pr_id = plan["id"]
        activity: list[tuple[datetime, JSON]] = [
            (created, o.activity_update(pr, "OPEN", author, iso(created)))
        ]
        participants: dict[str, JSON] = {}
        for reviewer in reviewers:
            verdict = rng.choices(["approved", "changes_requested", None], [60, 15, 25])[0]
            if reviewer is reviewers[0] and plan["state"] == "MERGED":
                verdict = "approved"
            elif reviewer is reviewers[0] and pr_id == 4:  # every repository shows a change request
                verdict = "changes_requested"
            when = _between(rng, created, horizon) if verdict else None
            participants[reviewer["uuid"]] = o.participant(
                reviewer, "REVIEWER", verdict == "approved", verdict, iso(when) if when else None
            )
            if verdict == "approved" and when:
                activity.append((when, o.activity_approval(pr, reviewer, iso(when))))
            elif verdict == "changes_requested" and when:
                activity.append((when, o.activity_changes_requested(pr, reviewer, iso(when))))

        comments: dict[int, JSON] = {}
        comment_count = rng.randrange(0, 7) if pr_id > 1 else 3
        next_comment = self.data.counters.get("comment", 0)
        pr_files = [entry["new"]["path"] for entry in plan["files"] if entry["new"]] or self.files[:1]
        for position in range(comment_count):
            next_comment += 1
            commenter = rng.choice([author, *reviewers, rng.choice(self.contributors)])
            when = _between(rng, created, horizon)
            parent_id = None
            earlier = [c for c in comments.values() if c["created_on"] < iso(when)]
            if earlier and (rng.random() < 0.3 or (pr_id == 1 and position == 1)):
                parent_id = rng.choice(earlier)["id"]
            inline = None
            if parent_id is None and (rng.random() < 0.35 or (pr_id == 1 and position == 0)):
                inline = {"path": rng.choice(pr_files), "from": None, "to": rng.randrange(1, 200)}
            comment = o.pr_comment(
                pr,
                next_comment,
                commenter,
                rng.choice(COMMENTS),
                iso(when),
                parent_id=parent_id,
                inline=inline,
            )
            comments[next_comment] = comment
            activity.append((when, o.activity_comment(pr, comment)))
            if commenter["uuid"] not in participants:
                participants[commenter["uuid"]] = o.participant(
                    commenter, "PARTICIPANT", False, None, iso(when)
                )
        self.data.counters["comment"] = next_comment

        tasks: dict[int, JSON] = {}
        next_task = self.data.counters.get("task", 0)
        for _ in range(rng.randrange(0, 3) if pr_id > 1 else 2):
            next_task += 1
            when = _between(rng, created, horizon)
            attached = rng.choice(list(comments.values())) if comments and rng.random() < 0.5 else None
            resolved = plan["state"] == "MERGED" or rng.random() < 0.3
            resolved_on = _between(rng, when, horizon) if resolved else None
            tasks[next_task] = o.pr_task(
                pr,
                next_task,
                rng.choice([author, *reviewers]),
                f"{rng.choice(VERBS)} the {rng.choice(TOPICS)} part",
                iso(when),
                state="RESOLVED" if resolved else "UNRESOLVED",
                resolved_by=author if resolved else None,
                resolved_on=iso(resolved_on) if resolved_on else None,
                comment=attached,
            )
        self.data.counters["task"] = next_task

        if closed is not None:
            activity.append((closed, o.activity_update(pr, plan["state"], plan["closed_by"], iso(closed))))
        activity.sort(key=lambda item: item[0])
        pr["participants"] = list(participants.values())
        pr["comment_count"] = len(comments)
        pr["task_count"] = len(tasks)
        pr["updated_on"] = iso(activity[-1][0])
        self.data.pullrequests[pr_id] = pr
        self.data.pr_comments[pr_id] = comments
        self.data.pr_tasks[pr_id] = tasks
        self.data.pr_activity[pr_id] = [entry for _, entry in activity]
        self.data.pr_commits[pr_id] = list(reversed(plan["commits"]))
        self.data.pr_diffstats[pr_id] = _merge_diffstats(plan["files"])

    # -------------------------------------------------------------- refs

    def _make_refs(
        self, main_head: str, main_history: list[tuple[datetime, str]], prs: list[dict[str, Any]]
    ) -> None:
        commits = self.data.commits
        self.data.branches[self.mainbranch] = o.branch(self.repo, self.mainbranch, commits[main_head])
        release_point = main_history[len(main_history) * 2 // 3][1]
        self.data.branches["release/1.x"] = o.branch(self.repo, "release/1.x", commits[release_point])
        for plan in prs:
            keep = (
                plan["state"] == "OPEN"
                or (plan["state"] != "MERGED" and self.rng.random() < 0.5)
                or (plan["state"] == "MERGED" and self.rng.random() < 0.2)
            )
            if keep:
                self.data.branches[plan["branch"]] = o.branch(
                    self.repo, plan["branch"], commits[plan["head"]]
                )
        tag_count = min(12, max(2, len(main_history) // 4))
        step = max(1, len(main_history) // tag_count)
        for index in range(tag_count):
            when, sha = main_history[min(len(main_history) - 1, (index + 1) * step - 1)]
            name = f"v1.{index}.0"
            tagger = self.rng.choice(self.contributors)
            self.data.tags[name] = o.tag(
                self.repo,
                name,
                commits[sha],
                f"Release {name}",
                iso(when),
                o.author(tagger, tagger["display_name"], f"{tagger['nickname']}@example.com"),
            )

    def _make_statuses(self, prs: list[dict[str, Any]], main_history: list[tuple[datetime, str]]) -> None:
        rng = self.rng
        targets = [(plan["head"], plan["branch"], plan["created_on"]) for plan in prs]
        targets += [
            (sha, self.mainbranch, when) for when, sha in main_history[-max(3, len(main_history) // 5) :]
        ]
        for sha, refname, when in targets:
            statuses: dict[str, JSON] = {}
            for key, name in (("build", "Build"), ("tests", "Unit tests"))[: rng.randrange(1, 3)]:
                state = rng.choices(["SUCCESSFUL", "FAILED", "INPROGRESS", "STOPPED"], [75, 15, 6, 4])[0]
                finished = when + timedelta(minutes=rng.uniform(1, 30))
                statuses[key] = o.commit_status(
                    self.repo,
                    sha,
                    key,
                    state,
                    name,
                    f"{name} {state.lower()}",
                    f"https://ci.example.com/{self.repo['full_name']}/{sha[:8]}/{key}",
                    refname,
                    iso(when),
                    iso(finished),
                    _uuid(rng),
                )
            self.data.commit_statuses[sha] = statuses

    # -------------------------------------------------------------- CI/CD

    def _make_pipelines(self, main_history: list[tuple[datetime, str]], prs: list[dict[str, Any]]) -> None:
        rng = self.rng
        runs: list[tuple[datetime, str, str]] = [
            (when, sha, self.mainbranch) for when, sha in main_history[1:]
        ]
        runs += [(plan["created_on"], plan["head"], plan["branch"]) for plan in prs]
        runs.sort(key=lambda run: run[0])
        count = max(3, len(runs) // 3)
        chosen = sorted(rng.sample(range(len(runs)), min(count, len(runs))))
        full_name = self.repo["full_name"]
        for build_number, index in enumerate(chosen, start=1):
            when, sha, ref_name = runs[index]
            pipeline_uuid = _uuid(rng)
            last = build_number > len(chosen) - 2
            if last and build_number == len(chosen):
                state_name, result = "IN_PROGRESS", None
            elif last:
                state_name, result = "PENDING", None
            else:
                state_name, result = (
                    "COMPLETED",
                    rng.choices(["SUCCESSFUL", "FAILED", "ERROR", "STOPPED"], [75, 16, 4, 5])[0],
                )
            trigger = rng.choices(["PUSH", "MANUAL", "SCHEDULED"], [80, 12, 8])[0]
            selector = (
                ("branches", ref_name)
                if ref_name == self.mainbranch
                else ("branches", ref_name.split("/")[0] + "/*")
            )
            target = o.pipeline_target(full_name, "branch", ref_name, sha, *selector)
            step_count = rng.randrange(1, len(STEP_NAMES) + 1)
            durations = [rng.randrange(20, 600) for _ in range(step_count)]
            total = sum(durations) if state_name == "COMPLETED" else 0
            completed_on = iso(when + timedelta(seconds=total + 15)) if state_name == "COMPLETED" else None
            creator = rng.choice(self.contributors)
            pipeline = o.pipeline(
                self.repo,
                pipeline_uuid,
                build_number,
                creator,
                target,
                trigger,
                o.pipeline_state(state_name, result),
                iso(when),
                completed_on,
                total,
            )
            self.data.pipelines[pipeline["uuid"]] = pipeline
            self.data.pipeline_steps[pipeline["uuid"]] = self._make_steps(
                pipeline, state_name, result, durations, when
            )
        self._make_pipeline_config()
        self._make_deployments()

    def _make_steps(
        self, pipeline: JSON, state_name: str, result: str | None, durations: list[int], when: datetime
    ) -> dict[str, JSON]:
        """Steps of one pipeline: all pending, the first running, or completed in sequence with
        the failing step (if any) followed by NOT_RUN steps."""
        rng = self.rng
        steps: dict[str, JSON] = {}
        step_count = len(durations)
        failed_at = rng.randrange(step_count) if result in ("FAILED", "ERROR", "STOPPED") else None
        clock = when + timedelta(seconds=10)
        for step_index, name in enumerate(STEP_NAMES[:step_count]):
            step_uuid = _uuid(rng)
            step_result: str | None = None
            started: str | None = None
            finished: str | None = None
            duration = 0
            if state_name == "PENDING":
                step_state = "PENDING"
            elif state_name == "IN_PROGRESS":
                step_state = "IN_PROGRESS" if step_index == 0 else "PENDING"
                started = iso(clock) if step_index == 0 else None
            else:
                if failed_at is None or step_index < failed_at:
                    step_result = "SUCCESSFUL"
                elif step_index == failed_at:
                    step_result = result
                else:
                    step_result = "NOT_RUN"
                step_state = "COMPLETED"
                if step_result != "NOT_RUN":
                    duration = durations[step_index]
                    started = iso(clock)
                    clock += timedelta(seconds=duration)
                    finished = iso(clock)
            step = o.pipeline_step(
                pipeline,
                step_uuid,
                name,
                rng.choice(["python:3.12", "node:20", "golang:1.23", "atlassian/default-image:4"]),
                [f"make {name.lower().split()[0]}"],
                o.pipeline_step_state(step_state, step_result),
                started,
                finished,
                duration,
            )
            steps[step["uuid"]] = step
        return steps

    def _make_pipeline_config(self) -> None:
        """Repository pipeline variables (one secured) and a nightly schedule."""
        rng = self.rng
        for key, value, secured in (
            ("ENV", "production", False),
            ("API_KEY", "s3cr3t-api-key", True),
            ("LOG_LEVEL", "info", False),
        ):
            var_uuid = _uuid(rng)
            self.data.variables[var_uuid] = o.pipeline_variable(var_uuid, key, value, secured)
        schedule_uuid = _uuid(rng)
        self.data.schedules[schedule_uuid] = o.pipeline_schedule(
            self.repo,
            schedule_uuid,
            self.mainbranch,
            "nightly",
            "0 0 2 * * ? *",
            rng.random() < 0.8,
            iso(_between(rng, self.start, self.end)),
        )

    def _make_deployments(self) -> None:
        """Test/Staging/Production environments, each deployed from recent successful main builds."""
        rng = self.rng
        successes = [
            p
            for p in self.data.pipelines.values()
            if p["target"]["ref_name"] == self.mainbranch
            and p["state"].get("result", {}).get("name") == "SUCCESSFUL"
        ]
        if not successes:
            successes = [p for p in self.data.pipelines.values() if p["completed_on"]]
        for env_name, env_type in (("Test", "Test"), ("Staging", "Staging"), ("Production", "Production")):
            env_uuid = _uuid(rng)
            env = o.environment(self.repo, env_uuid, env_name, env_type)
            self.data.environments[env["uuid"]] = env
            for release in successes[-rng.randrange(1, 4) :] if successes else []:
                start = datetime.fromisoformat(release["completed_on"])
                finish = start + timedelta(seconds=rng.randrange(30, 600))
                status = rng.choices(["SUCCESSFUL", "FAILED"], [90, 10])[0]
                deployment = o.deployment(
                    self.repo,
                    _uuid(rng),
                    env,
                    f"#{release['build_number']}",
                    release["target"]["commit"]["hash"],
                    status,
                    release["creator"],
                    iso(start),
                    iso(finish),
                    _uuid(rng),
                )
                self.data.deployments[deployment["uuid"]] = deployment

    # -------------------------------------------------------------- settings

    def _make_settings(self) -> None:
        rng = self.rng
        restrictions = [
            ("push", self.mainbranch, None),
            ("force", "*", None),
            ("delete", self.mainbranch, None),
            ("require_approvals_to_merge", self.mainbranch, 1),
            ("require_passing_builds_to_merge", "release/*", 1),
        ]
        for restriction_id, (kind, pattern, value) in enumerate(
            restrictions[: rng.randrange(2, len(restrictions) + 1)], start=1
        ):
            users = [self.contributors[0]] if kind == "push" else []
            self.data.branch_restrictions[restriction_id] = o.branch_restriction(
                self.repo, restriction_id, kind, pattern, value=value, users=users
            )
        for reviewer in rng.sample(self.contributors, min(2, len(self.contributors))):
            self.data.default_reviewers[reviewer["uuid"]] = o.user_summary(reviewer)
        main = self.data.branches[self.mainbranch]
        self.data.branching_model = o.branching_model(self.repo, main, self.data.branches.get("release/1.x"))
        hook_uuid = _uuid(rng)
        self.data.hooks[hook_uuid] = o.webhook(
            o.repository_condensed(self.repo),
            "repository",
            hook_uuid,
            f"https://ci.example.com/hooks/{self.repo['slug']}",
            "CI trigger",
            rng.sample(HOOK_EVENTS, 3),
            iso(_between(rng, self.start, self.end)),
        )
        uploader = rng.choice(self.contributors)
        for version in range(rng.randrange(1, 3)):
            name = f"{self.repo['slug']}-1.{version}.0.tar.gz"
            self.data.downloads[name] = o.download(
                self.repo,
                name,
                rng.randrange(10_000, 9_000_000),
                rng.randrange(0, 500),
                uploader,
                iso(_between(rng, self.start, self.end)),
            )
        key_id = 1
        self.data.deploy_keys[key_id] = o.deploy_key(
            self.repo,
            key_id,
            f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{rng.getrandbits(128):032x}",
            "CI deploy key",
            iso(_between(rng, self.start, self.end)),
            self.contributors[0],
        )


def _merge_diffstats(entries: list[JSON]) -> list[JSON]:
    """Combine per-commit diffstat entries into one entry per path (a PR's net diffstat)."""
    merged: dict[str, JSON] = {}
    for entry in entries:
        path = (entry["new"] or entry["old"])["path"]
        if path in merged:
            merged[path]["lines_added"] += entry["lines_added"]
            merged[path]["lines_removed"] += entry["lines_removed"]
        else:
            merged[path] = dict(entry)
    return [merged[path] for path in sorted(merged)]


# ============================================================================= --data files


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

    def fail(self, where: str, problem: str) -> DataError:
        return DataError(f"{self.source}: {where}: {problem}")

    def tick(self, hours: float = 5.0) -> datetime:
        self.clock += timedelta(hours=hours, minutes=self.rng.randrange(60))
        return self.clock

    def user(self, nickname: Any, where: str) -> JSON:
        found = self.by_nickname.get(str(nickname))
        if found is None:
            raise self.fail(
                where,
                f"unknown user {nickname!r}; declare it under 'users' (known: {', '.join(sorted(self.by_nickname))})",
            )
        return found

    def build(self) -> Store:
        demo = o.user(
            DEMO_USER_UUID, "557058:d3a0d3a0-demo-4000-8000-00000000d3a0", "Demo User", "demo", iso(START)
        )
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
                entry.get("uuid") or _uuid(self.rng),
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
        full = o.workspace(
            entry.get("uuid") or _uuid(self.rng), slug, entry.get("name") or slug.title(), iso(START)
        )
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
                _uuid(self.rng),
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
            entry.get("uuid") or _uuid(self.rng),
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
        for number in range(int(entry.get("commits", 10))):
            head = self._commit(
                repo,
                repo_data,
                [head] if head else [],
                f"Commit {number + 1}",
                members[number % len(members)],
            )
        if head is None:
            raise self.fail(where, "'commits' must be at least 1")
        for name in [main, *(entry.get("branches") or [])]:
            repo_data.branches[name] = o.branch(repo, name, repo_data.commits[head])
        for name in entry.get("tags") or []:
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
        repo["updated_on"] = repo_data.commits[head]["date"]

    def _commit(self, repo: JSON, repo_data: RepoData, parents: list[str], message: str, who: JSON) -> str:
        sha = _sha(self.rng)
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
        reviewers = [self.user(name, f"{where}.reviewers") for name in entry.get("reviewers") or []]
        approved = {
            self.user(name, f"{where}.approved_by")["uuid"] for name in entry.get("approved_by") or []
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
            comment_id = self.store_counter(repo_data, "comment")
            commenter = self.user(comment_entry.get("user", "demo"), f"{where}.comments[{c_index}]")
            comment = o.pr_comment(
                pr,
                comment_id,
                commenter,
                str(comment_entry.get("text", "")),
                iso(self.tick(1)),
                parent_id=comment_entry.get("parent"),
                inline=comment_entry.get("inline"),
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
