"""Generated data of the collections added after the first emulator: Code Insights reports and
annotations, commit comments, pipeline caches, runners, schedule executions, known hosts,
deployment variables, project deploy keys, snippets, and each user's SSH/GPG keys and pipeline
variables.

Built lazily, per repository / workspace / user, the first time a route asks, and kept in
``store.extras``. Every choice comes from its own ``random.Random`` stream seeded by the owning
object's UUID (which the seeded generator made), never from the repository history's stream: the
data sets that existed before stay exactly as they were, and the new data is the same for the same
seed whichever route is asked first. Dates derive from the owning object's dates, never the clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .sampling import between, random_uuid
from .serializers import objects as o
from .serializers.common import JSON, api, braced, encoded, iso, link, rendered, web, zulu
from .store import RepoData, Store

RUNNER_STATES = ("ONLINE", "OFFLINE", "UNHEALTHY", "DISABLED", "ONLINE")
RUNNER_VERSION, RUNNER_CURRENT = "3.6.0", "3.7.1"


@dataclass
class RepoExtras:
    """One repository's added collections (keys as the routes look them up)."""

    reports: dict[str, dict[str, JSON]] = field(default_factory=dict)  # sha -> report uuid -> report
    annotations: dict[str, dict[str, JSON]] = field(default_factory=dict)  # report uuid -> uuid -> annotation
    commit_comments: dict[str, dict[int, JSON]] = field(default_factory=dict)  # sha -> id -> comment
    caches: dict[str, JSON] = field(default_factory=dict)  # uuid -> pipeline_cache
    runners: dict[str, JSON] = field(default_factory=dict)  # uuid -> pipeline_runner
    executions: dict[str, list[JSON]] = field(default_factory=dict)  # schedule uuid -> newest first
    known_hosts: dict[str, JSON] = field(default_factory=dict)  # uuid -> pipeline_known_host
    deployment_variables: dict[str, dict[str, JSON]] = field(default_factory=dict)  # env uuid -> uuid -> var


@dataclass
class WorkspaceExtras:
    runners: dict[str, JSON] = field(default_factory=dict)
    project_deploy_keys: dict[str, dict[int, JSON]] = field(default_factory=dict)  # project key -> id -> key
    snippets: dict[str, JSON] = field(default_factory=dict)  # encoded id -> snippet
    snippet_comments: dict[str, list[JSON]] = field(default_factory=dict)
    snippet_commits: dict[str, list[JSON]] = field(default_factory=dict)  # newest first
    snippet_watchers: dict[str, list[str]] = field(default_factory=dict)  # user uuids


@dataclass
class UserExtras:
    ssh_keys: dict[str, JSON] = field(default_factory=dict)  # uuid -> ssh_account_key
    gpg_keys: dict[str, JSON] = field(default_factory=dict)  # fingerprint -> GPG_account_key
    variables: dict[str, JSON] = field(default_factory=dict)  # uuid -> pipeline_variable


def _cached(store: Store, key: tuple[str, ...], build: Any) -> Any:
    with store.lock:
        found = store.extras.get(key)
        if found is None:
            found = store.extras[key] = build()
        return found


def repo_extras(store: Store, ws: str, slug: str) -> RepoExtras:
    repo = store.workspaces[ws].repositories[slug]
    data = store.repo_data(ws, slug)
    return _cached(store, ("repo", ws, slug, repo["uuid"]), lambda: _build_repo(store, ws, repo, data))


def workspace_extras(store: Store, ws: str) -> WorkspaceExtras:
    return _cached(store, ("workspace", ws), lambda: _build_workspace(store, ws))


def user_extras(store: Store, user_uuid: str) -> UserExtras:
    return _cached(store, ("user", user_uuid), lambda: _build_user(store.users[user_uuid]))


def _when(rng: random.Random, start: str, end: str) -> datetime:
    low, high = datetime.fromisoformat(start), datetime.fromisoformat(end)
    return between(rng, min(low, high), max(low, high))


def _present(store: Store, ws: str) -> str:
    """The data's "now" for a workspace: its last push (runners report up to it, never after)."""
    data = store.workspaces[ws]
    return max((r["updated_on"] for r in data.repositories.values()), default=data.workspace["created_on"])


def _members(store: Store, ws: str) -> list[JSON]:
    return [store.users[uuid] for uuid in store.workspaces[ws].members]


# ------------------------------------------------------------------------------------ repositories


def _build_repo(store: Store, ws: str, repo: JSON, data: RepoData) -> RepoExtras:
    rng = random.Random(f"extras/{repo['uuid']}")
    extras = RepoExtras()
    members = _members(store, ws)
    full_name = repo["full_name"]
    recent = data.commit_order[:16]
    for index, sha in enumerate(recent):
        if index % 3 == 0 or rng.random() < 0.25:
            # the sixth newest commit always fails its security scan, and has comments (below)
            changed = [e["new"]["path"] for e in data.commit_diffstats.get(sha, []) if e["new"] is not None]
            changed = [path for path in changed if not path.endswith(".md")] or changed  # findings are in code
            _add_reports(rng, extras, full_name, data.commits[sha], changed, fail=index == 6)
    for index, sha in enumerate(data.commit_order[:24]):
        if index % 5 == 1 or index == 6:
            _add_commit_comments(rng, extras, repo, data.commits[sha], members, start_id=len(extras.commit_comments) * 10)
    _add_pipeline_config(rng, extras, repo, data, _present(store, ws))
    return extras


#: What failed reports find, by report type: (annotation type, summaries).
FINDINGS = {
    "SECURITY": ("VULNERABILITY", ["Outdated dependency with a known CVE", "Possible SQL injection",
                                   "Hard-coded secret", "Unvalidated redirect"]),
    "TEST": ("BUG", ["Assertion failed in test_views", "Test timed out after 30 s",
                     "Unexpected exception in test_models"]),
}


def _add_reports(
    rng: random.Random, extras: RepoExtras, full_name: str, commit: JSON, changed: list[str], *, fail: bool
) -> None:
    """Reports on one commit; a failed one carries annotations on the files the commit changed
    (``changed``; scanners annotate the diff), with findings of its own kind."""
    sha = commit["hash"]
    created = datetime.fromisoformat(commit["date"]) + timedelta(minutes=rng.randrange(3, 40))
    reports: dict[str, JSON] = {}
    kinds = [("security-scan", "Security scan", "SECURITY", "Snyk"), ("coverage", "Coverage", "COVERAGE", "Codecov")]
    if rng.random() < 0.4:
        kinds.append(("unit-tests", "Unit tests", "TEST", "Pytest"))
    for external_id, title, report_type, reporter in kinds:
        report_uuid = random_uuid(rng)
        failed = report_type == "SECURITY" and (rng.random() < 0.45 or fail) or (
            report_type == "TEST" and rng.random() < 0.2
        )
        result = "FAILED" if failed else "PASSED"
        if report_type == "COVERAGE":
            data = [{"type": "PERCENTAGE", "title": "Line coverage", "value": round(rng.uniform(55, 97), 1)}]
        elif report_type == "SECURITY":
            data = [{"type": "NUMBER", "title": "Vulnerabilities", "value": 0}]
        else:
            data = [{"type": "NUMBER", "title": "Failed tests", "value": 0},
                    {"type": "DURATION", "title": "Duration", "value": rng.randrange(20_000, 400_000)}]
        stamp = iso(created)
        base = f"/repositories/{full_name}/commit/{sha}/reports/{encoded(report_uuid)}"
        report: JSON = {
            "type": "report",
            "uuid": report_uuid,
            "title": title,
            "details": f"{title} of commit {sha[:12]} by {reporter}.",
            "external_id": external_id,
            "reporter": reporter,
            "link": f"https://{reporter.lower()}.example.com/{full_name}/{sha[:12]}",
            "remote_link_enabled": False,
            "logo_url": f"https://{reporter.lower()}.example.com/logo.png",
            "report_type": report_type,
            "result": result,
            "data": data,
            "created_on": stamp,
            "updated_on": stamp,
            "links": {"self": link(api(base))},
        }
        reports[report_uuid] = report
        annotations: dict[str, JSON] = {}
        if failed:
            count = rng.randrange(1, 5)
            data[0]["value"] = count
            for number in range(count):
                annotation_uuid = random_uuid(rng)
                kind, summaries = FINDINGS[report_type]
                annotations[annotation_uuid] = {
                    "type": "report_annotation",
                    "uuid": annotation_uuid,
                    "external_id": f"{external_id}-{number + 1}",
                    "annotation_type": kind,
                    "path": rng.choice(changed) if changed else None,
                    "line": rng.randrange(1, 200),
                    "summary": rng.choice(summaries),
                    "details": "See the report for the full finding.",
                    "result": "FAILED",
                    "severity": rng.choice(["CRITICAL", "HIGH", "MEDIUM", "LOW"]),
                    "link": f"https://{reporter.lower()}.example.com/finding/{annotation_uuid.strip('{}')[:8]}",
                    "created_on": stamp,
                    "updated_on": stamp,
                    "links": {"self": link(api(f"{base}/annotations/{encoded(annotation_uuid)}"))},
                }
        extras.annotations[report_uuid] = annotations
    extras.reports[sha] = reports


def _add_commit_comments(
    rng: random.Random, extras: RepoExtras, repo: JSON, commit: JSON, members: list[JSON], start_id: int
) -> None:
    full_name = repo["full_name"]
    sha = commit["hash"]
    comments: dict[int, JSON] = {}
    when = datetime.fromisoformat(commit["date"])
    for number in range(rng.randrange(1, 4)):
        comment_id = start_id + number + 1
        when += timedelta(minutes=rng.randrange(5, 600))
        author = rng.choice(members)
        raw = rng.choice(["Nice clean-up.", "Why was this needed?", "This breaks the nightly build.",
                          "Can we add a test for this?", "LGTM"])
        base = f"/repositories/{full_name}/commit/{sha}/comments"
        comment: JSON = {
            "type": "commit_comment",
            "id": comment_id,
            "created_on": iso(when),
            "updated_on": iso(when),
            "content": rendered(raw),
            "user": o.user_summary(author),
            "deleted": False,
            "commit": o.commit_ref(full_name, sha),
            "links": {
                "self": link(api(f"{base}/{comment_id}")),
                "html": link(web(f"/{full_name}/commits/{sha}#comment-{comment_id}")),
            },
        }
        if number == 1:
            comment["parent"] = {
                "type": "commit_comment", "id": start_id + 1, "links": {"self": link(api(f"{base}/{start_id + 1}"))}
            }
        if number == 2:
            comment["inline"] = {"path": "README.md", "from": None, "to": rng.randrange(1, 40)}
        comments[comment_id] = comment
    extras.commit_comments[sha] = comments


def _add_pipeline_config(rng: random.Random, extras: RepoExtras, repo: JSON, data: RepoData, now: str) -> None:
    pipelines = sorted(data.pipelines.values(), key=lambda p: p["created_on"])
    done = [p for p in pipelines if p.get("completed_on")]
    for name, path in (("pip", "~/.cache/pip"), ("node", "node_modules"), ("docker", "/var/lib/docker"))[
        : rng.randrange(1, 4)
    ]:
        source = rng.choice(done) if done else None
        steps = list(data.pipeline_steps.get(source["uuid"], {})) if source else []
        cache_uuid = random_uuid(rng)
        extras.caches[cache_uuid] = {
            "type": "pipeline_cache",
            "uuid": cache_uuid,
            "pipeline_uuid": source["uuid"] if source else random_uuid(rng),
            "step_uuid": steps[0] if steps else random_uuid(rng),
            "name": name,
            "key_hash": f"{rng.getrandbits(256):064x}",
            "path": path,
            "file_size_bytes": rng.randrange(2_000_000, 900_000_000),
            "created_on": zulu(source["completed_on"] if source else repo["updated_on"]),
        }
    for number in range(rng.randrange(1, 3)):
        runner = _runner(rng, f"{repo['slug']}-runner-{number + 1}", repo["created_on"], now,
                         ["self.hosted", "linux", rng.choice(["docker", "shell"])])
        extras.runners[runner["uuid"]] = runner
    for hostname in ("bitbucket.org", "deploy.example.com")[: rng.randrange(1, 3)]:
        host_uuid = random_uuid(rng)
        extras.known_hosts[host_uuid] = {
            "type": "pipeline_known_host",
            "uuid": host_uuid,
            "hostname": hostname,
            "public_key": {
                "type": "pipeline_ssh_public_key",
                "key_type": "ssh-ed25519",
                "key": f"AAAAC3NzaC1lZDI1NTE5AAAA{rng.getrandbits(160):040x}",
                "md5_fingerprint": ":".join(f"{rng.getrandbits(8):02x}" for _ in range(16)),
                "sha256_fingerprint": f"SHA256:{rng.getrandbits(172):043x}",
            },
        }
    scheduled = sorted((p for p in pipelines if p.get("trigger", {}).get("type") == "pipeline_trigger_scheduled"),
                       key=lambda p: p["created_on"], reverse=True)
    for schedule in data.schedules.values():
        runs: list[JSON] = []
        started = scheduled or done[-6:]
        for pipeline in started[:6]:
            runs.append({"type": "pipeline_schedule_execution_executed",
                         "pipeline": {"type": "pipeline", "uuid": pipeline["uuid"],
                                      "build_number": pipeline["build_number"],
                                      "created_on": pipeline["created_on"]}})
        if rng.random() < 0.6:
            runs.insert(rng.randrange(0, len(runs) + 1), {
                "type": "pipeline_schedule_execution_errored",
                "error": {"type": "pipeline_error", "key": "result-service.pipeline.yml-not-found",
                          "message": "The bitbucket-pipelines.yml has no pipeline named 'nightly'."},
            })
        extras.executions[schedule["uuid"]] = runs
    for environment in data.environments.values():
        name = environment["name"].upper()
        variables: dict[str, JSON] = {}
        for key, value, secured in ((f"{name}_URL", f"https://{name.lower()}.example.com", False),
                                    ("DEPLOY_TOKEN", f"{name.lower()}-token", True),
                                    ("REPLICAS", str(rng.randrange(1, 6)), False)):
            var_uuid = random_uuid(rng)
            variable = o.pipeline_variable(var_uuid, key, value, secured)
            variable["type"] = "deployment_variable"
            variables[variable["uuid"]] = variable
        extras.deployment_variables[environment["uuid"]] = variables


#: How long before the data's present a runner in each state last reported, per unit drawn (1..199):
#: an online runner minutes ago, an unhealthy one hours ago, an offline one days ago, a disabled
#: one weeks or months ago. Never after the present.
RUNNER_SILENCE = {
    "ONLINE": timedelta(seconds=10),
    "UNHEALTHY": timedelta(minutes=20),
    "OFFLINE": timedelta(hours=6),
    "DISABLED": timedelta(days=2),
}


def _runner(
    rng: random.Random, name: str, start: str, now: str, labels: list[str], status: str | None = None
) -> JSON:
    """A self-hosted runner registered between ``start`` and ``now`` (the data's present) whose last
    report fits its state (``status``, or one drawn from :data:`RUNNER_STATES`)."""
    runner_uuid = random_uuid(rng)
    created = _when(rng, start, now)
    drawn = rng.choice(RUNNER_STATES)
    status = status or drawn
    seen = max(created, datetime.fromisoformat(now) - RUNNER_SILENCE[status] * rng.randrange(1, 200))
    return {
        "type": "pipeline_runner",
        "uuid": runner_uuid,
        "name": name,
        "labels": labels,
        "state": {
            "type": "pipeline_runner_state",
            "status": status,
            "version": {"type": "pipeline_runner_version", "version": rng.choice([RUNNER_VERSION, RUNNER_CURRENT]),
                        "current": RUNNER_CURRENT},
            "updated_on": zulu(iso(seen)),
            "cordoned": status == "DISABLED",
        },
        "created_on": zulu(iso(created)),
        "updated_on": zulu(iso(seen)),
    }


# ------------------------------------------------------------------------------------ workspaces


def _build_workspace(store: Store, ws: str) -> WorkspaceExtras:
    data = store.workspaces[ws]
    full = data.workspace
    rng = random.Random(f"extras/{full['uuid']}")
    extras = WorkspaceExtras()
    members = _members(store, ws)
    start, end = full["created_on"], _present(store, ws)
    labels = (["self.hosted", "linux", "docker"], ["self.hosted", "linux", "arm64"], ["self.hosted", "windows"],
              ["self.hosted", "macos"])
    # every workspace has runners online and offline (what "which runners are offline" looks for)
    states = ["ONLINE", "OFFLINE", rng.choice(RUNNER_STATES), rng.choice(RUNNER_STATES)]
    rng.shuffle(states)
    for number, (runner_labels, status) in enumerate(zip(labels, states, strict=True)):
        runner = _runner(rng, f"{ws}-{runner_labels[-1]}-{number + 1}", start, end, list(runner_labels), status)
        extras.runners[runner["uuid"]] = runner
    for project_key, project in data.projects.items():
        key_id = 1
        added = _when(rng, start, end)
        creator = rng.choice(members)
        extras.project_deploy_keys[project_key] = {key_id: {
            "type": "project_deploy_key",
            "id": key_id,
            "key": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{rng.getrandbits(128):032x}",
            "label": f"{project_key.lower()} release key",
            "comment": f"release@{project_key.lower()}",
            "added_on": iso(added),
            "last_used": iso(added + timedelta(days=rng.randrange(1, 90))) if rng.random() < 0.7 else None,
            "project": o.project_condensed(project),
            "created_by": o.user_summary(creator),
            "links": {"self": link(api(f"/workspaces/{ws}/projects/{project_key}/deploy-keys/{key_id}"))},
        }}
    titles = ("Local dev setup", "Rotate the staging certificate", "Useful BBQL queries", "Deploy checklist",
              "Docker clean-up one-liner")
    for number, title in enumerate(titles[: rng.randrange(3, 6)]):
        snippet_id = 1000 + number
        encoded_id = str(snippet_id)
        creator = rng.choice(members)
        created = _when(rng, start, end)
        commits: list[JSON] = []
        moment = created
        for revision in range(rng.randrange(1, 4)):
            sha = f"{rng.getrandbits(160):040x}"
            commits.append({
                "type": "snippet_commit",
                "hash": sha,
                "date": iso(moment).split(".")[0] + "+00:00",
                "author": o.author(creator, creator["display_name"], f"{creator['nickname']}@example.com"),
                "message": "Initial version" if revision == 0 else rng.choice(["Fix typo", "Add a step", "Update"]),
                "summary": rendered("Initial version" if revision == 0 else "Update"),
                "parents": [{"type": "commit", "hash": commits[-1]["hash"]}] if commits else [],
                "links": {
                    "self": link(api(f"/snippets/{ws}/{encoded_id}/commits/{sha}")),
                    "html": link(web(f"/snippets/{ws}/{encoded_id}/revisions/{sha}")),
                    "diff": link(api(f"/snippets/{ws}/{encoded_id}/{sha}/diff")),
                },
            })
            moment += timedelta(days=rng.randrange(1, 30))
        snippet: JSON = {
            "type": "snippet",
            "id": snippet_id,
            "title": title,
            "scm": "git",
            "created_on": iso(created),
            "updated_on": iso(moment - timedelta(hours=1)),
            "owner": o.workspace_owner(full),
            "creator": o.user_summary(creator),
            "is_private": number % 2 == 0,
            "links": {
                "self": link(api(f"/snippets/{ws}/{encoded_id}")),
                "html": link(web(f"/snippets/{ws}/{encoded_id}")),
                "comments": link(api(f"/snippets/{ws}/{encoded_id}/comments")),
                "commits": link(api(f"/snippets/{ws}/{encoded_id}/commits")),
                "watchers": link(api(f"/snippets/{ws}/{encoded_id}/watchers")),
            },
        }
        for entry in commits:
            entry["snippet"] = {"type": "snippet", "id": snippet_id, "title": title}
        extras.snippets[encoded_id] = snippet
        extras.snippet_commits[encoded_id] = list(reversed(commits))
        comments = []
        for comment_number in range(rng.randrange(0 if number else 1, 4)):
            comment_id = snippet_id * 10 + comment_number + 1
            when = created + timedelta(hours=rng.randrange(1, 500))
            comments.append({
                "type": "snippet_comment",
                "id": comment_id,
                "created_on": iso(when),
                "updated_on": iso(when),
                "content": rendered(rng.choice(["Thanks, this saved me an hour.", "Works on macOS too.",
                                                "Needs sudo on Linux.", "Updated for the new cluster?"])),
                "user": o.user_summary(rng.choice(members)),
                "snippet": {"type": "snippet", "id": snippet_id, "title": title},
                "links": {
                    "self": link(api(f"/snippets/{ws}/{encoded_id}/comments/{comment_id}")),
                    "html": link(web(f"/snippets/{ws}/{encoded_id}#comment-{comment_id}")),
                },
            })
        extras.snippet_comments[encoded_id] = comments
        extras.snippet_watchers[encoded_id] = [
            user["uuid"] for user in [creator, *rng.sample(members, min(len(members), rng.randrange(0, 3)))]
        ]
        extras.snippet_watchers[encoded_id] = list(dict.fromkeys(extras.snippet_watchers[encoded_id]))
    return extras


# ------------------------------------------------------------------------------------ users


def _build_user(user: JSON) -> UserExtras:
    rng = random.Random(f"extras/{user['uuid']}")
    extras = UserExtras()
    owner = o.user_summary(user)
    created = datetime.fromisoformat(user["created_on"])
    ref = encoded(braced(user["uuid"]))
    for number, label in enumerate(["laptop", "workstation", "ci"][: rng.randrange(0, 4) or 1]):
        key_uuid = random_uuid(rng)
        added = created + timedelta(days=rng.randrange(30, 700))
        extras.ssh_keys[key_uuid] = {
            "type": "ssh_key",
            "uuid": key_uuid,
            "key": f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{rng.getrandbits(128):032x}",
            "comment": f"{user['nickname']}@{label}",
            "label": label,
            "created_on": iso(added),
            "last_used": iso(added + timedelta(days=rng.randrange(1, 300))) if number != 2 else None,
            "expires_on": iso(added + timedelta(days=730)) if number == 1 else None,
            "fingerprint": f"SHA256:{rng.getrandbits(172):043x}",
            "owner": owner,
            "links": {"self": link(api(f"/users/{ref}/ssh-keys/{encoded(key_uuid)}"))},
        }
    if rng.random() < 0.6:
        fingerprint = f"{rng.getrandbits(160):040X}"
        added = created + timedelta(days=rng.randrange(30, 700))
        subkey_fingerprint = f"{rng.getrandbits(160):040X}"
        subkey: JSON = {
            "type": "gpg_key", "key_id": subkey_fingerprint[-16:], "fingerprint": subkey_fingerprint,
            "parent_fingerprint": fingerprint, "name": None, "created_on": iso(added), "expires_on": None,
        }
        extras.gpg_keys[fingerprint] = {
            "type": "gpg_key",
            "owner": owner,
            "key": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBG" + f"{rng.getrandbits(256):064x}"
            + "\n-----END PGP PUBLIC KEY BLOCK-----\n",
            "key_id": fingerprint[-16:],
            "fingerprint": fingerprint,
            "parent_fingerprint": None,
            "name": f"{user['display_name']} <{user['nickname']}@example.com>",
            "expires_on": iso(added + timedelta(days=1095)),
            "created_on": iso(added),
            "added_on": iso(added + timedelta(minutes=5)),
            "last_used": iso(added + timedelta(days=rng.randrange(1, 200))),
            "subkeys": [subkey],
            "links": {"self": link(api(f"/users/{ref}/gpg-keys/{fingerprint}"))},
        }
    for key, value, secured in (("HOME_REGION", "eu-west-1", False), ("PERSONAL_TOKEN", "personal-secret", True)):
        var_uuid = random_uuid(rng)
        extras.variables[braced(var_uuid)] = o.pipeline_variable(var_uuid, key, value, secured)
    return extras


def effective_default_reviewers(store: Store, ws: str, repo: JSON) -> list[JSON]:
    """Repository-level default reviewers, then the project's ones not already listed."""
    data = store.repo_data(ws, repo["slug"])
    found: dict[str, JSON] = {}
    for user_uuid in data.default_reviewers:
        user = store.users.get(user_uuid)
        if user is not None:
            found[user_uuid] = o.default_reviewer(user, "repository")
    project_key = repo.get("project", {}).get("key")
    for user_uuid, entry in store.workspaces[ws].project_default_reviewers.get(project_key, {}).items():
        found.setdefault(user_uuid, entry)
    return list(found.values())
