"""The same questions answered by hand with atlassian-python-api and pandas.

This is the code a user would otherwise write: ``Cloud(...)`` with an API token, the library's
idiomatic listings (``workspace.repositories.each()``, ``repository.pullrequests.each(q=...)``,
``commits.each()``, ``pipelines.each(sort=...)``, ...) with the library's own paging and page
sizes, the generic ``_get_paged`` where the library has no helper (deployments), early ``break``
where the API's server-side sort allows it (pipelines sorted by ``-created_on``; never commits,
whose topological order does not make dates decrease), and pandas for grouping. It runs
sequentially, as such scripts do. ``PullRequests.each()`` fetches every listed pull request again with one GET each; that is
the library's behaviour, not something added here.

Every function returns the answer as rows in the same column order as the SQL in
:mod:`benchmarks.queries`, so the two can be compared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

import pandas as pd
from atlassian.bitbucket import Cloud

from benchmarks.scope import Scope, parse_time

ALL_STATES = 'state IN ("OPEN", "MERGED", "DECLINED", "SUPERSEDED")'

Rows = list[tuple[Any, ...]]
Baseline = Callable[[Cloud, Scope], Rows]


def _rows(frame: pd.DataFrame) -> Rows:
    return [tuple(row) for row in frame.itertuples(index=False, name=None)]


def _repositories(cloud: Cloud, scope: Scope) -> Iterator[Any]:
    return cloud.workspaces.get(scope.workspace).repositories.each()


def _repository(cloud: Cloud, scope: Scope) -> Any:
    return cloud.repositories.get(scope.workspace, scope.repository)


def _day(value: dt.date) -> str:
    return value.isoformat()


def _week_start(stamps: pd.Series) -> pd.Series:
    """Monday 00:00 UTC of each timestamp's ISO week, as a date (what date_trunc('week') gives)."""
    days = stamps.dt.tz_convert("UTC").dt.normalize()
    return (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.date


def recent_prs(cloud: Cloud, scope: Scope) -> Rows:
    repository = _repository(cloud, scope)
    newest = islice(repository.pullrequests.each(q=ALL_STATES, sort="-created_on"), scope.top_n)
    return [
        (
            pr.id,
            pr.title,
            pr.data["state"],
            pr.data["author"]["display_name"],
            parse_time(pr.data["created_on"]),
        )
        for pr in newest
    ]


def open_prs_by_author(cloud: Cloud, scope: Scope) -> Rows:
    authors = [
        pr.data["author"]["display_name"]
        for repository in _repositories(cloud, scope)
        for pr in repository.pullrequests.each(q='state = "OPEN"')
    ]
    frame = pd.DataFrame({"author": authors, "n": 1})
    counts = frame.groupby("author", as_index=False)["n"].sum()
    return _rows(counts.sort_values(["n", "author"], ascending=[False, True]))


def merged_per_week(cloud: Cloud, scope: Scope) -> Rows:
    repository = _repository(cloud, scope)
    query = f'state = "MERGED" AND updated_on >= {_day(scope.year_start)}'
    merged = pd.to_datetime([pr.data["updated_on"] for pr in repository.pullrequests.each(q=query)], utc=True)
    frame = pd.DataFrame({"week": _week_start(pd.Series(merged))})
    return _rows(frame.groupby("week", as_index=False).size().sort_values("week"))


def time_to_merge(cloud: Cloud, scope: Scope) -> Rows:
    query = f'state = "MERGED" AND updated_on >= {_day(scope.recent_start)}'
    records = [
        (repository.slug, pr.data["created_on"], pr.data["updated_on"])
        for repository in _repositories(cloud, scope)
        for pr in repository.pullrequests.each(q=query)
    ]
    frame = pd.DataFrame(records, columns=["repository", "created_on", "updated_on"])
    hours = pd.to_datetime(frame["updated_on"], utc=True) - pd.to_datetime(frame["created_on"], utc=True)
    frame["hours"] = hours.dt.total_seconds() / 3600
    summary = frame.groupby("repository", as_index=False).agg(
        merged=("hours", "size"), mean=("hours", "mean")
    )
    return _rows(summary.sort_values("repository"))


def unapproved_open_prs(cloud: Cloud, scope: Scope) -> Rows:
    rows = []
    for repository in _repositories(cloud, scope):
        for pr in repository.pullrequests.each(q='state = "OPEN"'):
            if not any(participant.get("approved") for participant in pr.data.get("participants") or []):
                rows.append((repository.slug, pr.id, pr.title, pr.data["author"]["display_name"]))
    return sorted(rows, key=lambda row: (row[0], row[1]))


def commits_per_author(cloud: Cloud, scope: Scope) -> Rows:
    start = dt.datetime.combine(scope.commits_start, dt.time(), dt.UTC)
    end = dt.datetime.combine(scope.commits_end, dt.time(), dt.UTC)
    authors = []
    # Every commit: the listing is in topological order, which does not make dates decrease, so
    # stopping at the first commit older than the range could miss commits inside it.
    for commit in _repository(cloud, scope).commits.each():
        if start <= parse_time(commit.data["date"]) < end:
            authors.append(commit.data["author"]["raw"])
    frame = pd.DataFrame({"author": authors, "n": 1})
    counts = frame.groupby("author", as_index=False)["n"].sum()
    return _rows(counts.sort_values(["n", "author"], ascending=[False, True]))


def last_commits(cloud: Cloud, scope: Scope) -> Rows:
    """The first ``top_n`` commits of ``/commits/{branch}``, in the order the API lists them."""
    newest = islice(_repository(cloud, scope).commits.each(top=scope.main_branch), scope.top_n)
    return [
        (c.data["hash"], parse_time(c.data["date"]), c.data["author"]["raw"], c.data["message"])
        for c in newest
    ]


def failed_pipelines_with_steps(cloud: Cloud, scope: Scope) -> Rows:
    start = dt.datetime.combine(scope.month_start, dt.time(), dt.UTC)
    rows = []
    for repository in _repositories(cloud, scope):
        for pipeline in repository.pipelines.each(sort="-created_on"):
            created = parse_time(pipeline.data["created_on"])
            if created < start:
                break
            if (pipeline.data["state"].get("result") or {}).get("name") != "FAILED":
                continue
            for step in pipeline.steps():
                result = (step.data["state"].get("result") or {}).get("name")
                rows.append(
                    (repository.slug, pipeline.data["build_number"], created, step.data["name"], result)
                )
    return sorted(rows, key=lambda row: (row[0], row[1], row[3]))


def deployment_frequency(cloud: Cloud, scope: Scope) -> Rows:
    records = [
        (
            d["environment"]["uuid"],
            d["state"].get("completed_on"),
            (d["state"].get("status") or {}).get("name"),
        )
        for repository in _repositories(cloud, scope)
        for d in repository._get_paged("deployments")  # the library has no helper for deployments
    ]
    frame = pd.DataFrame(records, columns=["environment", "completed", "status"])
    completed = pd.to_datetime(frame["completed"], utc=True)
    frame["month"] = pd.to_datetime(completed.dt.strftime("%Y-%m-01")).dt.date
    frame["successful"] = (frame["status"] == "SUCCESSFUL").astype(int)
    summary = frame.groupby(["environment", "month"], as_index=False, dropna=False).agg(
        deployments=("status", "size"), successful=("successful", "sum")
    )
    return _rows(summary.sort_values(["environment", "month"]))


def repositories_by_language(cloud: Cloud, scope: Scope) -> Rows:
    languages = [repository.data.get("language") for repository in _repositories(cloud, scope)]
    counts = pd.Series(languages, dtype="object").value_counts(dropna=False).rename_axis("language")
    frame = counts.reset_index(name="repositories")
    return _rows(frame.sort_values(["repositories", "language"], ascending=[False, True]))


def main_branch_restrictions(cloud: Cloud, scope: Scope) -> Rows:
    rows = []
    for repository in _repositories(cloud, scope):
        main = (repository.data.get("mainbranch") or {}).get("name")
        for restriction in repository.branch_restrictions.each(pattern=main):
            if restriction.pattern == main:
                rows.append((repository.slug, restriction.kind, restriction.value))
    return sorted(rows, key=lambda row: (row[0], row[1]))


def workspace_admins(cloud: Cloud, scope: Scope) -> Rows:
    workspace = cloud.workspaces.get(scope.workspace)
    owners = workspace.permissions.each(q='permission = "owner"')
    rows = [(m.data["user"]["display_name"], m.data["user"]["uuid"]) for m in owners]
    return sorted(rows)


def pr_comments_join(cloud: Cloud, scope: Scope) -> Rows:
    repository = _repository(cloud, scope)
    query = f'state = "MERGED" AND updated_on >= {_day(scope.year_start)}'
    rows = []
    for pr in repository.pullrequests.each(q=query):
        created = [parse_time(comment.data["created_on"]) for comment in pr.comments()]
        rows.append((pr.id, pr.title, len(created), max(created) if created else None))
    return sorted(rows, key=lambda row: row[0])


def latest_prs_everywhere(cloud: Cloud, scope: Scope) -> Rows:
    candidates = []
    for repository in _repositories(cloud, scope):
        newest = islice(repository.pullrequests.each(q=ALL_STATES, sort="-updated_on"), scope.everywhere_n)
        candidates += [
            (repository.slug, pr.id, pr.title, pr.data["state"], parse_time(pr.data["updated_on"]))
            for pr in newest
        ]
    return sorted(candidates, key=lambda row: row[4], reverse=True)[: scope.everywhere_n]


def activity_per_pr(cloud: Cloud, scope: Scope) -> Rows:
    """Each pull request's activity, the way the library offers it (one listing per pull request)."""
    rows = []
    for pr in _repository(cloud, scope).pullrequests.each(q=ALL_STATES):
        events = sum(1 for _ in pr._get_paged("activity"))  # the library has no helper for activity
        rows.append((pr.id, pr.title, events))
    return sorted(rows, key=lambda row: row[0])


def prs_by_id_everywhere(cloud: Cloud, scope: Scope) -> Rows:
    """``pullrequests.get(id)`` for each id in each repository; a missing id is a 404."""
    from requests import HTTPError

    rows = []
    for repository in _repositories(cloud, scope):
        for number in scope.pr_ids:
            try:
                pr = repository.pullrequests.get(number)
            except HTTPError as error:
                if error.response is not None and error.response.status_code == 404:
                    continue
                raise
            rows.append((repository.slug, pr.id, pr.title))
    return sorted(rows, key=lambda row: (row[0], row[1]))


def author_pairs_self_join(cloud: Cloud, scope: Scope) -> Rows:
    authors = [
        (pr.id, pr.data["author"]["display_name"])
        for pr in _repository(cloud, scope).pullrequests.each(q=ALL_STATES)
    ]
    frame = pd.DataFrame(authors, columns=["id", "author"])
    pairs = frame.merge(frame, on="author")
    pairs = pairs[pairs["id_y"] > pairs["id_x"]]
    counts = pairs.groupby("author", as_index=False).size()
    return _rows(counts.sort_values(["size", "author"], ascending=[False, True]))


def open_or_merged_authors_union(cloud: Cloud, scope: Scope) -> Rows:
    repository = _repository(cloud, scope)
    authors = {
        (pr.data["author"]["display_name"],)
        for state in ("OPEN", "MERGED")
        for pr in repository.pullrequests.each(q=f'state = "{state}"')
    }
    return sorted(authors)


BASELINES: dict[str, Baseline] = {
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
    "activity_per_pr": activity_per_pr,
    "prs_by_id_everywhere": prs_by_id_everywhere,
    "author_pairs_self_join": author_pairs_self_join,
    "open_or_merged_authors_union": open_or_merged_authors_union,
    "pr_comments_join_requests": pr_comments_join,
}
