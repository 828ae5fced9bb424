"""The same questions answered by a competent hand-written script: the *tuned* baseline.

The naive baseline (:mod:`benchmarks.baseline`) is what a user of ``atlassian-python-api`` writes
first. This one is what an engineer who knows the API writes when it matters: the same HTTP
library underneath (``requests``, through the same counting session), the maximum page size of
every endpoint, the server doing all it can (BBQL ``q``, ``sort``, pipelines' ``status``,
branch restrictions' ``pattern``), ``fields`` so only the needed attributes travel, the
repository-wide activity stream where it needs fewer requests than one listing per pull request
(activity; comments when the question asks for the fewest requests), one BBQL listing instead
of one GET per id, and 8 threads over repositories (or parents), like our ``MaxConcurrency=8``.
It does not cache: a repeated question is asked again.

Every function returns rows in the same column order as the SQL in :mod:`benchmarks.queries`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests

from benchmarks.scope import Scope, parse_time

THREADS = 8
PAGE = 100
PR_PAGE = 50
ALL_STATES = 'state IN ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")'

Rows = list[tuple[Any, ...]]
T = TypeVar("T")
R = TypeVar("R")


class Api:
    """A thin client: GET with parameters, follow ``next``, fan out over a thread pool."""

    def __init__(self, session: requests.Session, base_url: str, workspace: str) -> None:
        self.session = session
        self.base = base_url.rstrip("/")
        self.workspace = workspace
        self.pool = ThreadPoolExecutor(THREADS, thread_name_prefix="tuned")

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def get(self, path: str, **params: Any) -> Any:
        response = self.session.get(self.base + path, params=params or None, timeout=60)
        response.raise_for_status()
        return response.json()

    def each(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a listing, page after page (``fields`` must keep ``next``)."""
        page = self.get(path, **params)
        while True:
            yield from page.get("values", [])
            following = page.get("next")
            if not following:
                return
            response = self.session.get(following, timeout=60)
            response.raise_for_status()
            page = response.json()

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return list(self.pool.map(function, items))

    def repo(self, slug: str) -> str:
        return f"/repositories/{self.workspace}/{slug}"

    def slugs(self, extra_fields: str = "") -> list[dict[str, Any]]:
        fields = "next,values.slug" + (f",{extra_fields}" if extra_fields else "")
        return list(self.each(f"/repositories/{self.workspace}", pagelen=PAGE, fields=fields))


def _day(value: dt.date) -> str:
    return value.isoformat()


def _counts_desc(values: Iterable[Any]) -> Rows:
    counts = Counter(values)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _prs(api: Api, slug: str, q: str, fields: str, **params: Any) -> list[dict[str, Any]]:
    return list(
        api.each(f"{api.repo(slug)}/pullrequests", q=q, pagelen=PR_PAGE, fields="next," + fields, **params)
    )


def _week(stamp: dt.datetime) -> dt.date:
    day = stamp.date()
    return day - dt.timedelta(days=day.weekday())


def recent_prs(api: Api, scope: Scope) -> Rows:
    page = api.get(
        f"{api.repo(scope.repository)}/pullrequests",
        q=ALL_STATES,
        sort="-created_on",
        pagelen=scope.top_n,
        fields="values.id,values.title,values.state,values.author.display_name,values.created_on",
    )
    return [
        (pr["id"], pr["title"], pr["state"], pr["author"]["display_name"], parse_time(pr["created_on"]))
        for pr in page["values"]
    ]


def open_prs_by_author(api: Api, scope: Scope) -> Rows:
    lists = api.map(
        lambda r: _prs(api, r["slug"], 'state = "OPEN"', "values.author.display_name"), api.slugs()
    )
    return _counts_desc(pr["author"]["display_name"] for prs in lists for pr in prs)


def merged_per_week(api: Api, scope: Scope) -> Rows:
    q = f'state = "MERGED" AND updated_on >= {_day(scope.year_start)}'
    prs = _prs(api, scope.repository, q, "values.updated_on")
    weeks = Counter(_week(parse_time(pr["updated_on"])) for pr in prs)
    return sorted(weeks.items())


def time_to_merge(api: Api, scope: Scope) -> Rows:
    q = f'state = "MERGED" AND updated_on >= {_day(scope.recent_start)}'
    slugs = [r["slug"] for r in api.slugs()]
    lists = api.map(lambda slug: _prs(api, slug, q, "values.created_on,values.updated_on"), slugs)
    rows = []
    for slug, prs in sorted(zip(slugs, lists, strict=True)):
        if prs:
            hours = [
                (parse_time(pr["updated_on"]) - parse_time(pr["created_on"])).total_seconds() / 3600
                for pr in prs
            ]
            rows.append((slug, len(hours), sum(hours) / len(hours)))
    return rows


def unapproved_open_prs(api: Api, scope: Scope) -> Rows:
    fields = "values.id,values.title,values.author.display_name,values.participants.approved"
    slugs = [r["slug"] for r in api.slugs()]
    lists = api.map(lambda slug: _prs(api, slug, 'state = "OPEN"', fields), slugs)
    rows = [
        (slug, pr["id"], pr["title"], pr["author"]["display_name"])
        for slug, prs in zip(slugs, lists, strict=True)
        for pr in prs
        if not any(p.get("approved") for p in pr.get("participants") or [])
    ]
    return sorted(rows, key=lambda row: (row[0], row[1]))


def commits_per_author(api: Api, scope: Scope) -> Rows:
    start = dt.datetime.combine(scope.commits_start, dt.time(), dt.UTC)
    end = dt.datetime.combine(scope.commits_end, dt.time(), dt.UTC)
    commits = api.each(
        f"{api.repo(scope.repository)}/commits", pagelen=PAGE, fields="next,values.date,values.author.raw"
    )
    return _counts_desc(c["author"]["raw"] for c in commits if start <= parse_time(c["date"]) < end)


def last_commits(api: Api, scope: Scope) -> Rows:
    page = api.get(
        f"{api.repo(scope.repository)}/commits/{scope.main_branch}",
        pagelen=scope.top_n,
        fields="values.hash,values.date,values.author.raw,values.message",
    )
    return [(c["hash"], parse_time(c["date"]), c["author"]["raw"], c["message"]) for c in page["values"]]


def failed_pipelines_with_steps(api: Api, scope: Scope) -> Rows:
    start = dt.datetime.combine(scope.month_start, dt.time(), dt.UTC)

    def failed_this_month(slug: str) -> list[tuple[str, dict[str, Any]]]:
        found = []
        for pipeline in api.each(
            f"{api.repo(slug)}/pipelines",
            sort="-created_on",
            status="FAILED",
            pagelen=PAGE,
            fields="next,values.uuid,values.build_number,values.created_on",
        ):
            if parse_time(pipeline["created_on"]) < start:
                break
            found.append((slug, pipeline))
        return found

    failed = [
        item for items in api.map(failed_this_month, [r["slug"] for r in api.slugs()]) for item in items
    ]

    def steps(item: tuple[str, dict[str, Any]]) -> Rows:
        slug, pipeline = item
        created = parse_time(pipeline["created_on"])
        return [
            (
                slug,
                pipeline["build_number"],
                created,
                step["name"],
                (step["state"].get("result") or {}).get("name"),
            )
            for step in api.each(
                f"{api.repo(slug)}/pipelines/{pipeline['uuid']}/steps",
                pagelen=PAGE,
                fields="next,values.name,values.state.result.name",
            )
        ]

    rows = [row for block in api.map(steps, failed) for row in block]
    return sorted(rows, key=lambda row: (row[0], row[1], row[3]))


def deployment_frequency(api: Api, scope: Scope) -> Rows:
    fields = "next,values.environment.uuid,values.state.completed_on,values.state.status.name"
    lists = api.map(
        lambda r: list(api.each(f"{api.repo(r['slug'])}/deployments", pagelen=PAGE, fields=fields)),
        api.slugs(),
    )
    totals: Counter[tuple[Any, Any]] = Counter()
    successes: Counter[tuple[Any, Any]] = Counter()
    for deployments in lists:
        for d in deployments:
            completed = d["state"].get("completed_on")
            month = parse_time(completed).date().replace(day=1) if completed else None
            key = (d["environment"]["uuid"], month)
            totals[key] += 1
            successes[key] += (d["state"].get("status") or {}).get("name") == "SUCCESSFUL"
    keys = sorted(totals, key=lambda k: (k[0], k[1] is None, k[1] or dt.date.min))
    return [(env, month, totals[(env, month)], successes[(env, month)]) for env, month in keys]


def repositories_by_language(api: Api, scope: Scope) -> Rows:
    languages = [r.get("language") for r in api.slugs("values.language")]
    counts = Counter(languages)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0] is None, item[0] or ""))


def main_branch_restrictions(api: Api, scope: Scope) -> Rows:
    def restrictions(repository: dict[str, Any]) -> Rows:
        main = (repository.get("mainbranch") or {}).get("name")
        return [
            (repository["slug"], b["kind"], b.get("value"))
            for b in api.each(
                f"{api.repo(repository['slug'])}/branch-restrictions",
                pattern=main,
                pagelen=PAGE,
                fields="next,values.kind,values.value,values.pattern",
            )
            if b.get("pattern") == main
        ]

    rows = [row for block in api.map(restrictions, api.slugs("values.mainbranch.name")) for row in block]
    return sorted(rows, key=lambda row: (row[0], row[1]))


def workspace_admins(api: Api, scope: Scope) -> Rows:
    owners = api.each(
        f"/workspaces/{scope.workspace}/permissions",
        q='permission = "owner"',
        pagelen=PAGE,
        fields="next,values.user.display_name,values.user.uuid",
    )
    return sorted((m["user"]["display_name"], m["user"]["uuid"]) for m in owners)


def pr_comments_join(api: Api, scope: Scope) -> Rows:
    q = f'state = "MERGED" AND updated_on >= {_day(scope.year_start)}'
    prs = _prs(api, scope.repository, q, "values.id,values.title")

    def comments(pr: dict[str, Any]) -> tuple[Any, ...]:
        created = [
            parse_time(c["created_on"])
            for c in api.each(
                f"{api.repo(scope.repository)}/pullrequests/{pr['id']}/comments",
                pagelen=PAGE,
                fields="next,values.created_on",
            )
        ]
        return (pr["id"], pr["title"], len(created), max(created) if created else None)

    return sorted(api.map(comments, prs), key=lambda row: row[0])


def pr_comments_join_stream(api: Api, scope: Scope) -> Rows:
    """Fewest requests: the merged pull requests, and the repository-wide activity stream for the
    comments (cursor pages, one after another) instead of one comment listing per pull request."""
    q = f'state = "MERGED" AND updated_on >= {_day(scope.year_start)}'
    prs = _prs(api, scope.repository, q, "values.id,values.title")
    wanted = {pr["id"] for pr in prs}
    created: dict[int, list[dt.datetime]] = {number: [] for number in wanted}
    for entry in api.each(
        f"{api.repo(scope.repository)}/pullrequests/activity",
        pagelen=PR_PAGE,
        fields="next,values.pull_request.id,values.comment.created_on",
    ):
        number = entry.get("pull_request", {}).get("id")
        if number in wanted and "comment" in entry:
            created[number].append(parse_time(entry["comment"]["created_on"]))
    rows = [
        (pr["id"], pr["title"], len(created[pr["id"]]), max(created[pr["id"]], default=None)) for pr in prs
    ]
    return sorted(rows, key=lambda row: row[0])


def latest_prs_everywhere(api: Api, scope: Scope) -> Rows:
    fields = "values.id,values.title,values.state,values.updated_on"

    def newest(slug: str) -> Rows:
        page = api.get(
            f"{api.repo(slug)}/pullrequests",
            q=ALL_STATES,
            sort="-updated_on",
            pagelen=scope.everywhere_n,
            fields=fields,
        )
        return [
            (slug, pr["id"], pr["title"], pr["state"], parse_time(pr["updated_on"])) for pr in page["values"]
        ]

    candidates = [row for block in api.map(newest, [r["slug"] for r in api.slugs()]) for row in block]
    return sorted(candidates, key=lambda row: row[4], reverse=True)[: scope.everywhere_n]


# --- the fuzz-found outliers -------------------------------------------------------------------


def activity_per_pull_request(api: Api, scope: Scope) -> Rows:
    """One listing of the pull requests and the repository-wide activity stream, counted locally."""
    prs = _prs(api, scope.repository, ALL_STATES, "values.id,values.title")
    counts = Counter(
        entry["pull_request"]["id"]
        for entry in api.each(
            f"{api.repo(scope.repository)}/pullrequests/activity",
            pagelen=PR_PAGE,
            fields="next,values.pull_request.id",
        )
    )
    return sorted(((pr["id"], pr["title"], counts.get(pr["id"], 0)) for pr in prs), key=lambda row: row[0])


def prs_by_id_everywhere(api: Api, scope: Scope) -> Rows:
    """One BBQL listing per repository (``id = 1 OR id = 2 ...``), not one GET per id."""
    q = " OR ".join(f"id = {number}" for number in scope.pr_ids)
    slugs = [r["slug"] for r in api.slugs()]
    lists = api.map(lambda slug: _prs(api, slug, f"({q}) AND {ALL_STATES}", "values.id,values.title"), slugs)
    rows = [(slug, pr["id"], pr["title"]) for slug, prs in zip(slugs, lists, strict=True) for pr in prs]
    return sorted(rows, key=lambda row: (row[0], row[1]))


def author_pairs(api: Api, scope: Scope) -> Rows:
    """The self-join, done the way a script would: one listing, paired locally."""
    prs = _prs(api, scope.repository, ALL_STATES, "values.id,values.author.display_name")
    per_author = Counter(pr["author"]["display_name"] for pr in prs)
    pairs = {author: n * (n - 1) // 2 for author, n in per_author.items() if n > 1}
    return sorted(pairs.items(), key=lambda item: (-item[1], item[0]))


def open_or_merged_authors(api: Api, scope: Scope) -> Rows:
    """The UNION of two filters on one table: one listing with both states."""
    prs = _prs(api, scope.repository, 'state = "OPEN" OR state = "MERGED"', "values.author.display_name")
    return sorted({(pr["author"]["display_name"],) for pr in prs})


TunedBaseline = Callable[[Api, Scope], Rows]

TUNED: dict[str, TunedBaseline] = {
    "recent_prs": recent_prs,
    "open_prs_by_author": open_prs_by_author,
    "merged_per_week": merged_per_week,
    "time_to_merge": time_to_merge,
    "unapproved_open_prs": unapproved_open_prs,
    "commits_per_author": commits_per_author,
    "last_commits": last_commits,
    "failed_pipelines_with_steps": failed_pipelines_with_steps,
    "deployment_frequency": deployment_frequency,
    "repositories_by_language": repositories_by_language,
    "main_branch_restrictions": main_branch_restrictions,
    "workspace_admins": workspace_admins,
    "pr_comments_join": pr_comments_join,
    "latest_prs_everywhere": latest_prs_everywhere,
    "recent_prs_again": recent_prs,
    "activity_per_pr": activity_per_pull_request,
    "prs_by_id_everywhere": prs_by_id_everywhere,
    "author_pairs_self_join": author_pairs,
    "open_or_merged_authors_union": open_or_merged_authors,
    "pr_comments_join_requests": pr_comments_join_stream,
}
