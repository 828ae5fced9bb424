"""One repository's generated history: commits, refs, pull requests with their reviews, comments,
tasks and activity, commit statuses, pipelines, deployments and settings.

Each repository draws from its own ``random.Random(f"{seed}/{workspace}/{slug}")`` stream and
nothing else, so it comes out the same whichever repository is generated first (lazy scales build
a repository on first touch and may rebuild an evicted one).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from .file_contents import add_furniture
from .sampling import between, random_sha, random_uuid
from .scales import Scale
from .serializers import objects as o
from .serializers.common import JSON, iso
from .store import RepoData, Store
from .vocabulary import COMMENTS, FILES_BY_LANGUAGE, HOOK_EVENTS, STEP_NAMES, TOPICS, VERBS, pick_title

#: The recent past, where the history is dense: this share of pull requests is opened in it and
#: every pipeline run of it is kept (older runs are sampled), so the default 30- and 90-day views
#: of a dashboard find work in every repository.
RECENT = timedelta(days=90)
RECENT_PR_SHARE = 0.4
#: Bitbucket Deployments were adopted this long before the end of the history.
DEPLOYMENTS_SINCE = timedelta(days=180)
#: The promotion chain of a successful main-branch build: environment, environment type, chance of
#: being promoted from the previous stage, delay after it in hours (low, high), chance of failing.
#: Production waits hours to days (a release train), so lead time for changes is hours to days;
#: some production deployments fail, so the change failure rate is not zero.
PROMOTIONS = (
    ("Test", "Test", 1.0, (0.02, 0.3), 0.03),
    ("Staging", "Staging", 0.7, (0.2, 12.0), 0.05),
    ("Production", "Production", 0.6, (2.0, 72.0), 0.15),
)


def build_repo_data(store: Store, ws: str, slug: str, *, seed: int, sizes: Scale) -> RepoData:
    """Generate the history of one repository from its own random stream (see module docstring)."""
    repo = store.workspaces[ws].repositories[slug]
    rng = random.Random(f"{seed}/{ws}/{slug}")
    members = [store.users[uuid] for uuid in store.workspaces[ws].members]
    data = _RepoBuilder(rng, repo, members, sizes).build()
    add_furniture(data, repo)  # CODEOWNERS, bitbucket-pipelines.yml, binaries: file_contents.py
    return data


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
        sha = random_sha(self.rng)
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
            events.append((between(rng, first, self.end), 1, "main", None))
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
                main_head = self._commit(when, [main_head], pick_title(rng), who, self._file_changes())
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
        earliest = self.start + timedelta(days=2)
        recent = max(earliest, self.end - RECENT)
        created = sorted(
            between(rng, recent if rng.random() < RECENT_PR_SHARE else earliest, latest_create)
            for _ in range(self.pr_target)
        )
        plans = []
        # the oldest seven of every repository show every state, and a backlog of three open ones
        forced = ["MERGED", "DECLINED", "SUPERSEDED", "OPEN", "OPEN", "OPEN", "MERGED"]
        for index, created_on in enumerate(created):
            pr_id = index + 1
            if index < len(forced):
                state = forced[index]
            elif created_on > self.end - timedelta(days=3):
                state = rng.choice(["OPEN", "OPEN", "MERGED"])
            elif created_on > self.end - timedelta(days=14):
                state = rng.choices(["MERGED", "DECLINED", "OPEN"], [60, 10, 30])[0]
            else:
                state = rng.choices(["MERGED", "DECLINED", "SUPERSEDED", "OPEN"], [72, 14, 5, 9])[0]
            author = rng.choice(self.contributors)
            kind = rng.choice(["feature", "feature", "bugfix", "hotfix"])
            title = pick_title(rng)
            branch = f"{kind}/{title.lower().replace(' ', '-')}-{pr_id}"
            commit_count = rng.randrange(1, 5)
            commit_times = sorted(
                created_on - timedelta(hours=rng.uniform(0.1, 48)) for _ in range(commit_count)
            )
            commit_times = [max(t, self.start + timedelta(minutes=10)) for t in commit_times]
            closed_on = None
            closed_by = None
            if state != "OPEN":
                # most are merged or closed within a day or two, a few wait for weeks
                closed_on = created_on + timedelta(hours=min(1 + rng.lognormvariate(3.0, 1.0), 720))
                if closed_on > self.end:  # still closed before the history ends
                    closed_on = between(rng, created_on, self.end)
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
            when = between(rng, created, horizon) if verdict else None
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
            when = between(rng, created, horizon)
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
            when = between(rng, created, horizon)
            attached = rng.choice(list(comments.values())) if comments and rng.random() < 0.5 else None
            resolved = plan["state"] == "MERGED" or rng.random() < 0.3
            resolved_on = between(rng, when, horizon) if resolved else None
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
                    random_uuid(rng),
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
        # every recent push ran a pipeline; of the older ones a third are kept
        older = [index for index, run in enumerate(runs) if run[0] < self.end - RECENT]
        recent = [index for index, run in enumerate(runs) if run[0] >= self.end - RECENT]
        count = max(3 - len(recent), len(older) // 3)
        chosen = sorted(rng.sample(older, min(max(count, 0), len(older))) + recent)
        full_name = self.repo["full_name"]
        for build_number, index in enumerate(chosen, start=1):
            when, sha, ref_name = runs[index]
            pipeline_uuid = random_uuid(rng)
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
            step_uuid = random_uuid(rng)
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
            var_uuid = random_uuid(rng)
            self.data.variables[var_uuid] = o.pipeline_variable(var_uuid, key, value, secured)
        schedule_uuid = random_uuid(rng)
        self.data.schedules[schedule_uuid] = o.pipeline_schedule(
            self.repo,
            schedule_uuid,
            self.mainbranch,
            "nightly",
            "0 0 2 * * ? *",
            rng.random() < 0.8,
            iso(between(rng, self.start, self.end)),
        )

    def _make_deployments(self) -> None:
        """Test/Staging/Production environments and the deployments of successful main builds.

        Every successful main-branch build of the last :data:`DEPLOYMENTS_SINCE` is deployed to
        Test and promoted along :data:`PROMOTIONS` (a failed deployment is not promoted); a
        deployment that would finish after the history ends has not happened yet.
        """
        rng = self.rng
        environments = []
        for env_name, env_type, *_ in PROMOTIONS:
            env = o.environment(self.repo, random_uuid(rng), env_name, env_type)
            self.data.environments[env["uuid"]] = env
            environments.append(env)
        completed = [p for p in self.data.pipelines.values() if p["completed_on"]]
        releases = [
            p
            for p in completed
            if p["target"]["ref_name"] == self.mainbranch
            and p["state"].get("result", {}).get("name") == "SUCCESSFUL"
        ] or completed[-1:]
        since = self.end - DEPLOYMENTS_SINCE
        recent = [p for p in releases if datetime.fromisoformat(p["completed_on"]) >= since] or releases[-1:]
        for release in recent:
            clock = datetime.fromisoformat(release["completed_on"])
            release_uuid = random_uuid(rng)  # one release, promoted from stage to stage
            for env, (_, _, chance, (low, high), failure) in zip(environments, PROMOTIONS, strict=True):
                if rng.random() >= chance:
                    break
                start = clock + timedelta(hours=rng.uniform(low, high))
                finish = start + timedelta(seconds=rng.randrange(30, 600))
                if finish > self.end:
                    break
                status = "FAILED" if rng.random() < failure else "SUCCESSFUL"
                deployment = o.deployment(
                    self.repo,
                    random_uuid(rng),
                    env,
                    f"#{release['build_number']}",
                    release["target"]["commit"]["hash"],
                    status,
                    release["creator"],
                    iso(start),
                    iso(finish),
                    release_uuid,
                    pipeline_uuid=release["uuid"],
                    step_uuid=next(reversed(list(self.data.pipeline_steps.get(release["uuid"], {}))), None),
                )
                self.data.deployments[deployment["uuid"]] = deployment
                if status == "FAILED":
                    break
                clock = finish

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
        hook_uuid = random_uuid(rng)
        self.data.hooks[hook_uuid] = o.webhook(
            o.repository_condensed(self.repo),
            "repository",
            hook_uuid,
            f"https://ci.example.com/hooks/{self.repo['slug']}",
            "CI trigger",
            rng.sample(HOOK_EVENTS, 3),
            iso(between(rng, self.start, self.end)),
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
                iso(between(rng, self.start, self.end)),
            )
        key_id = 1
        self.data.deploy_keys[key_id] = o.deploy_key(
            self.repo,
            key_id,
            f"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA{rng.getrandbits(128):032x}",
            "CI deploy key",
            iso(between(rng, self.start, self.end)),
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
