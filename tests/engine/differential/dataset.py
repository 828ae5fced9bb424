"""A deterministic emulator data set built to break string handling and early stops.

The structure (users, workspaces, repositories, branches, pull requests with comments and tasks)
goes through the emulator's own ``--data`` loader (:func:`load_document`), so it is the format a
user would write; what that format cannot express (commit messages, pipelines, deployments,
missing JSON fields) is added to the loaded store afterwards with the emulator's object builders.

Every text a query can filter on carries some of :data:`TRICKY`: quotes, backslashes, ``%``/``_``,
tabs, newlines, trailing spaces, Turkish dotted/dotless i, Greek final sigma, German sharp s (both
cases), long s, the Kelvin sign, emoji (including a ZWJ sequence), combining accents. Sort keys have
ties (repeated titles, equal counts), one repository has more pull requests than two full pages,
and some fields are null, empty or absent.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bitbucket_sql.emulator.loader import load_document
from bitbucket_sql.emulator.sampling import random_uuid
from bitbucket_sql.emulator.serializers import objects as o
from bitbucket_sql.emulator.serializers.common import iso, rendered
from bitbucket_sql.emulator.store import Store

#: Text fragments whose case folding, escaping or collation differ between systems.
TRICKY: tuple[str, ...] = (
    "it's",
    'say "hi"',
    "back\\slash",
    "C:\\temp\\new",
    "100% done",
    "50%_off",
    "snake_case",
    "tab\there",
    "two\nlines",
    "trailing space ",
    "  leading",
    "İstanbul release",
    "istanbul",
    "ISTANBUL",
    "ıi dotless",
    "DİYARBAKIR",
    "ΣΊΣΥΦΟΣ",
    "σίσυφος",
    "Οδυσσεύς",
    "straße",
    "STRASSE",
    "GROẞE",
    "ſtate",
    "\u212aelvin",
    "kelvin",
    "🚀 launch",
    "fix 🐛",
    "👩\u200d👩\u200d👧 family",
    "café",
    "cafe\u0301",
    "naïve",
    "ﬁle ligature",
    "null",
    "NULL",
    "%",
    "_",
    "a'b\"c\\d",
    "x\u00a0y",
    "zero\u200bwidth",
    "Ǆemal",
    "µ micro",
    "ÅNGSTRÖM",
)

WORDS = ("Add", "Fix", "Refactor", "Speed up", "Drop", "Support", "Document", "Rename")

#: Branch names Git accepts (no spaces, backslashes, ``~^:?*[`` or ``..``), still tricky.
BRANCH_STEMS = (
    "feature/ıstanbul",
    "feature/İstanbul",
    "fix/50%_off",
    "fix/100%",
    "release/ΣΊΣΥΦΟΣ",
    "release/σίσυφος",
    "emoji/🚀",
    "it's",
    "say\"hi\"",
    "straße",
    "STRASSE",
    "under_score",
    "under-score",
    "cafe\u0301",
    "café",
    "UPPER/İ",
    "a+b",
    "hash#tag",
    "amp&and",
    "q?mark=1",
)

USERS: tuple[tuple[str, str], ...] = (
    ("ayse", "Ayşe Yılmaz"),
    ("ilker", "İlker Işık"),
    ("sokratis", "Σωκράτης Οδυσσέας"),
    ("juergen", "Jürgen Groß"),
    ("obrien", "Pat O'Brien \"PJ\""),
    ("unicorn", "🦄 Uni Corn"),
    ("trail", "Trailing Space "),
    ("zoe", "Zoe\u0308 Combining"),
    ("kelvin", "\u212aelvin Sign"),
    ("longs", "Sarah ſmith"),
    ("percent", "100%_user\\x"),
)

#: (slug, name, description, pull requests, main-line commits); slugs stay within what
#: Bitbucket allows, but `_` and `-` make LIKE wildcards matter (web_ui vs web-ui).
REPOSITORIES: tuple[tuple[str, str, str, int, int], ...] = (
    ("api", "API Σervice", "The public API: it's \"stable\"", 72, 24),
    ("web_ui", "Web_UI", "100% client-side\twith tabs", 23, 12),
    ("web-ui", "web-ui ışık", "trailing space ", 11, 8),
    ("data.pipeline", "Data ſtream 🚀", "two\nlines\\n", 8, 6),
    ("empty", "empty", "", 0, 1),
    ("x1", "STRASSE straße", "İstanbul Σ ς σ", 15, 10),
)

STATES = ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")


def tricky_text(rng: random.Random) -> str:
    """A title-like text: a word and one or two tricky fragments (repeats give sort-key ties)."""
    parts = [rng.choice(WORDS), rng.choice(TRICKY)]
    if rng.random() < 0.3:
        parts.append(rng.choice(TRICKY))
    return " ".join(parts)


def build_document(seed: int = 9) -> dict[str, Any]:
    """The ``--data`` document (a plain dict, as a YAML file would parse)."""
    rng = random.Random(f"differential/{seed}")
    nicknames = ["demo", *(nick for nick, _ in USERS)]
    repositories = []
    for slug, name, description, pr_count, commits in REPOSITORIES:
        titles: list[str] = []
        pull_requests = []
        for number in range(1, pr_count + 1):
            # every fifth title repeats an earlier one: ties under ORDER BY title
            title = rng.choice(titles) if titles and number % 5 == 0 else tricky_text(rng)
            titles.append(title)
            state = rng.choices(STATES, (40, 35, 15, 10))[0]
            author = rng.choice(nicknames)
            reviewers = sorted(set(rng.sample(nicknames, rng.randrange(0, 3))) - {author})
            entry: dict[str, Any] = {
                "title": title,
                "state": state,
                "author": author,
                "source": f"{rng.choice(BRANCH_STEMS)}-{number}",
                "description": "" if rng.random() < 0.3 else tricky_text(rng),
                "draft": state == "OPEN" and rng.random() < 0.2,
                "reviewers": reviewers,
                "approved_by": [r for r in reviewers if rng.random() < 0.5],
                "comments": [
                    {"user": rng.choice(nicknames), "text": tricky_text(rng)}
                    for _ in range(rng.choice((0, 0, 1, 2, 2, 3)))
                ],
                "tasks": [
                    {"creator": author, "text": tricky_text(rng), "state": rng.choice(("RESOLVED", "UNRESOLVED"))}
                    for _ in range(rng.choice((0, 0, 1, 2)))
                ],
            }
            if state != "OPEN":
                entry["closed_by"] = rng.choice(nicknames)
            pull_requests.append(entry)
        repositories.append(
            {
                "slug": slug,
                "name": name,
                "description": description,
                "project": "API" if slug in ("api", "data.pipeline", "x1") else "WEB",
                "language": rng.choice(("python", "go", "", "TypeScript")),
                "private": slug != "web_ui",
                "commits": commits,
                "branches": sorted({f"{stem}-b" for stem in rng.sample(BRANCH_STEMS, 6)}),
                "tags": [f"v1.{minor}.0" for minor in range(rng.randrange(0, 12))],
                "pull_requests": pull_requests,
            }
        )
    return {
        "seed": seed,
        "users": [{"nickname": nick, "display_name": display} for nick, display in USERS],
        "workspaces": [
            {
                "slug": "acme",
                "name": "Acme İ Σ ß",
                "members": {"demo": "owner", **{nick: "member" for nick, _ in USERS}},
                "projects": [
                    {"key": "API", "name": "Back ends: it's Σ", "description": "50%_off"},
                    {"key": "WEB", "name": "Web \"front\"", "description": ""},
                ],
                "repositories": repositories,
            },
            {
                "slug": "globex",
                "members": {"demo": "member", "ayse": "owner"},
                "repositories": [
                    {
                        "slug": "api",
                        "parent": "acme/api",
                        "commits": 3,
                        "pull_requests": [{"title": "İstanbul fork fix", "author": "ayse"}],
                    }
                ],
            },
        ],
    }


def build_store(seed: int = 9) -> Store:
    """The loaded store plus commit messages, pipelines, deployments and missing fields."""
    store = load_document(build_document(seed), source="differential dataset")
    rng = random.Random(f"differential-extras/{seed}")
    users = sorted(store.users.values(), key=lambda user: user["uuid"])
    for ws_slug in ("acme", "globex"):
        workspace = store.workspaces[ws_slug]
        for slug, repo in sorted(workspace.repositories.items()):
            data = store.repo_data(ws_slug, slug)
            _vary_commit_messages(data, rng)
            _vary_pull_request_fields(data, rng)
            _add_pipelines_and_deployments(repo, data, users, rng)
    return store


def _vary_commit_messages(data: Any, rng: random.Random) -> None:
    """Main-line commits get tricky messages (branches embed the same commit objects)."""
    for commit in data.commits.values():
        if commit["message"].startswith("Commit "):
            message = tricky_text(rng) if rng.random() < 0.8 else ""
            commit["message"] = message
            commit["summary"] = rendered(message)
            commit["rendered"] = {"message": commit["summary"]}


def _vary_pull_request_fields(data: Any, rng: random.Random) -> None:
    """Declined PRs get tricky reasons; some open PRs lack merge_commit, some PRs lack reason."""
    for pr in data.pullrequests.values():
        if pr["state"] == "DECLINED" and rng.random() < 0.7:
            pr["reason"] = tricky_text(rng)
        if pr["state"] == "OPEN" and rng.random() < 0.5:
            del pr["merge_commit"]
        elif rng.random() < 0.15:
            pr.pop("reason", None)


def _add_pipelines_and_deployments(repo: dict[str, Any], data: Any, users: list[Any], rng: random.Random) -> None:
    """Pipelines on tricky branches (equal created_on for some: ties) and deployments with tricky releases."""
    full_name = repo["full_name"]
    branches = sorted(data.branches)
    clock = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    pipelines = []
    for build_number in range(1, rng.randrange(3, 14)):
        if rng.random() > 0.2:  # the others share the previous pipeline's created_on
            clock += timedelta(hours=rng.randrange(1, 40), seconds=rng.randrange(60))
        ref_name = rng.choice(branches)
        sha = data.branches[ref_name]["target"]["hash"]
        state, result = rng.choice(
            (("COMPLETED", "SUCCESSFUL"), ("COMPLETED", "FAILED"), ("COMPLETED", "STOPPED"), ("PENDING", None), ("IN_PROGRESS", None))
        )
        seconds = rng.randrange(0, 900) if state == "COMPLETED" else 0
        pipeline = o.pipeline(
            repo,
            random_uuid(rng),
            build_number,
            rng.choice(users),
            o.pipeline_target(full_name, "branch", ref_name, sha, "branches", ref_name.split("/")[0] + "/*"),
            rng.choice(("PUSH", "MANUAL", "SCHEDULED")),
            o.pipeline_state(state, result),
            iso(clock),
            iso(clock + timedelta(seconds=seconds)) if state == "COMPLETED" else None,
            seconds,
        )
        data.pipelines[pipeline["uuid"]] = pipeline
        data.pipeline_steps[pipeline["uuid"]] = {}
        pipelines.append(pipeline)
    for env_name, env_type in (("Test ß", "Test"), ("Staging \"Σ\"", "Staging"), ("Production", "Production")):
        env = o.environment(repo, random_uuid(rng), env_name, env_type)
        data.environments[env["uuid"]] = env
        for pipeline in rng.sample(pipelines, min(len(pipelines), rng.randrange(0, 4))):
            start = datetime.fromisoformat(pipeline["created_on"]) + timedelta(minutes=rng.randrange(5, 90))
            deployment = o.deployment(
                repo,
                random_uuid(rng),
                env,
                f"#{pipeline['build_number']} {rng.choice(TRICKY)}",
                pipeline["target"]["commit"]["hash"],
                rng.choice(("SUCCESSFUL", "FAILED")),
                rng.choice(users),
                iso(start),
                iso(start + timedelta(seconds=rng.randrange(30, 600))),
                random_uuid(rng),
            )
            data.deployments[deployment["uuid"]] = deployment
