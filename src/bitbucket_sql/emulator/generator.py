"""Deterministic sample data: ``generate(scale, seed)`` builds the workspaces, users, projects and
repositories; each repository's history comes from ``repo_history.py``. (``--data`` files are
read by ``loader.py`` instead.)

Determinism: every random choice comes from ``random.Random`` streams seeded from ``seed`` (the
workspace/user/repository skeleton from one stream, each repository's history from its own stream
``f"{seed}/{workspace}/{slug}"``), and every date is derived from the two years that end on the
*anchor date* (see :func:`data_period`), never from the clock while generating. So the same seed
and anchor give identical data no matter in which order repositories are first touched, which is
what makes lazy per-repository generation at ``medium``/``large`` scale possible.

The anchor is today (UTC) unless given (``bbsql emulator --anchor-date``, or the environment
variable :data:`ANCHOR_ENVIRONMENT_VARIABLE`, which the test suite sets): demo data then always
looks recent, so "merged in the last 30 days" finds rows.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime, timedelta

from .repo_history import build_repo_data
from .sampling import DEMO_EMAIL, END, START, between, demo_user, random_uuid
from .scales import SCALES
from .serializers import objects as o
from .serializers.common import JSON, iso
from .store import RepoData, Store, WorkspaceData
from .vocabulary import FIRST_NAMES, FORKS, LAST_NAMES, PROJECTS, PUBLIC, REPO_CATALOG, WORKSPACE_NAMES

#: ``YYYY-MM-DD``: the anchor date when none is passed (the test suite pins its data with it).
ANCHOR_ENVIRONMENT_VARIABLE = "BBSQL_EMULATOR_ANCHOR_DATE"
#: How far back the generated history reaches from the anchor date.
HISTORY_SPAN = END - START


def anchor_date(anchor: date | str | None = None) -> date:
    """The anchor date: ``anchor`` if given, else the environment variable's, else today in UTC."""
    if anchor is None:
        anchor = os.environ.get(ANCHOR_ENVIRONMENT_VARIABLE) or datetime.now(UTC).date()
    if isinstance(anchor, str):
        try:
            return date.fromisoformat(anchor)
        except ValueError:
            raise ValueError(
                f"anchor date {anchor!r} is not a date; write it as YYYY-MM-DD, for example 2026-11-01"
            ) from None
    return anchor


def data_period(anchor: date | str | None = None) -> tuple[datetime, datetime]:
    """``(start, end)`` of the generated history: the two years up to midnight UTC of the anchor date.

    Repositories were last updated in the two days before ``end``, so merges, pipelines and
    deployments run up to the anchor; with the anchor 2026-11-01 the period is 2024-11-01 ..
    2026-11-01.
    """
    day = anchor_date(anchor)
    end = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return end - HISTORY_SPAN, end


def generate(scale: str = "tiny", seed: int = 1, anchor: date | str | None = None) -> Store:
    """A deterministic store at ``scale`` (tiny, small, medium, large) whose history ends at
    ``anchor`` (see :func:`anchor_date`)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    sizes = SCALES[scale]
    start, end = data_period(anchor)
    rng = random.Random(f"bitbucket-emulator/{seed}")
    store = Store(cache_limit=sizes.cache_limit)
    users = _make_users(store, rng, sizes.users, start)
    for ws_slug, repo_count in sizes.repos.items():
        _make_workspace(store, rng, ws_slug, repo_count, users, start, end)

    def factory(target: Store, ws: str, slug: str) -> RepoData:
        return build_repo_data(target, ws, slug, seed=seed, sizes=sizes)

    store.repo_factory = factory
    if not sizes.lazy:
        for ws, repo in list(store.repositories()):
            store.repo_data(ws, repo["slug"])
    return store


def _make_users(store: Store, rng: random.Random, count: int, start: datetime) -> list[JSON]:
    created = demo_user(iso(start - timedelta(days=400)))
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
        uuid = random_uuid(rng)
        account_id = f"{rng.getrandbits(96):024x}"
        user = o.user(
            uuid,
            account_id,
            f"{first} {last}",
            nickname,
            iso(between(rng, start - timedelta(days=900), start)),
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
    store: Store,
    rng: random.Random,
    ws_slug: str,
    repo_count: int,
    users: list[JSON],
    start: datetime,
    end: datetime,
) -> None:
    full = o.workspace(
        random_uuid(rng),
        ws_slug,
        WORKSPACE_NAMES[ws_slug],
        iso(start - timedelta(days=rng.randrange(300, 700))),
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
        added = between(rng, start - timedelta(days=300), start)
        data.members[user["uuid"]] = o.workspace_membership(
            full, user, permission, iso(added), iso(between(rng, added, end))
        )
    member_users = [user for user, _ in roles]
    administrator = members[0]  # the workspace's own owner; the demo user gets no explicit grants
    for group_slug, group_name in (("developers", "Developers"), ("administrators", "Administrators")):
        data.groups[group_slug] = o.group(full, group_slug, group_name)

    for key, description in PROJECTS[ws_slug]:
        project = o.project(
            full,
            random_uuid(rng),
            key,
            description.split(" ")[0] + " " + key.title(),
            description,
            iso(between(rng, start - timedelta(days=200), start)),
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

    hook_uuid = random_uuid(rng)
    data.hooks[hook_uuid] = o.webhook(
        o.workspace_condensed(full),
        "workspace",
        hook_uuid,
        f"https://ci.example.com/{ws_slug}/hook",
        "Workspace CI trigger",
        ["repo:push", "pullrequest:created"],
        iso(between(rng, start, end)),
    )
    for key, value, secured in (
        ("DEPLOY_REGION", "eu-west-1", False),
        ("NPM_TOKEN", "npm-secret-token", True),
    ):
        var_uuid = random_uuid(rng)
        data.variables[var_uuid] = o.pipeline_variable(var_uuid, key, value, secured)

    project_list = list(data.projects.values())
    for slug, language, project_index, description in _repo_specs(ws_slug, repo_count):
        created = between(rng, start, start + timedelta(days=200))
        # every repository is in active use: its last push is in the two days before the anchor
        # (its history, generated in repo_history.py, runs up to this moment)
        updated = between(rng, end - timedelta(days=2), end - timedelta(hours=1))
        parent_name = FORKS.get((ws_slug, slug))
        parent = None
        if parent_name is not None:
            parent_ws, parent_slug = parent_name.split("/")
            parent_repo = store.repository(parent_ws, parent_slug)
            parent = None if parent_repo is None else o.repository_condensed(parent_repo)
        repo = o.repository(
            full,
            project_list[project_index % len(project_list)],
            random_uuid(rng),
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
