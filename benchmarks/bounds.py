"""The lower bound of every benchmark question, computed from the emulator's store.

The store is the ground truth: these functions count the rows each question needs with the
API's own filter semantics (BBQL on pull requests, the newest-first order of commits and of
pipelines sorted by ``-created_on``), turn them into pages of the maximum size and record the
dependencies between the requests (see :mod:`benchmarks.schedule`). docs/benchmarks.md explains
the rules in prose; keep the two in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from benchmarks.schedule import Bound, RequestPlan, bound_of, cheapest
from benchmarks.scope import Scope, parse_time

PAGE = 100  # the API's maximum page size
PR_PAGE = 50  # ... for pull requests and pull-request activity

BoundFunction = Callable[[Any, Scope, int], Bound]


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def _slugs(store: Any, scope: Scope) -> list[str]:
    return sorted(store.workspaces[scope.workspace].repositories)


def _pull_requests(store: Any, scope: Scope, slug: str) -> list[dict[str, Any]]:
    return list(store.repo_data(scope.workspace, slug).pullrequests.values())


def _merged_since(store: Any, scope: Scope, slug: str, day: dt.date) -> list[dict[str, Any]]:
    since = _utc(day)
    return [
        pr
        for pr in _pull_requests(store, scope, slug)
        if pr["state"] == "MERGED" and parse_time(pr["updated_on"]) >= since
    ]


def _open(store: Any, scope: Scope, slug: str) -> list[dict[str, Any]]:
    return [pr for pr in _pull_requests(store, scope, slug) if pr["state"] == "OPEN"]


def _per_repository(plan: RequestPlan, store: Any, scope: Scope, child: Callable[[str, int], None]) -> int:
    """List the workspace's repositories (pages of 100), then ``child(slug, page)`` for each,
    waiting for the page that named the repository. Returns the number of repositories."""
    slugs = _slugs(store, scope)
    pages = plan.list_pages(len(slugs), PAGE)
    for index, slug in enumerate(slugs):
        child(slug, pages[index // PAGE])
    return len(slugs)


def _enumerated_pr_lists(
    store: Any, scope: Scope, connections: int, what: str, rows_needed: Callable[[str], int]
) -> Bound:
    """Repository listing, then one pull-request listing per repository over the rows it needs."""
    plan = RequestPlan()
    needed = total = 0

    def child(slug: str, page: int) -> None:
        nonlocal needed, total
        rows = rows_needed(slug)
        needed += rows
        total += len(_pull_requests(store, scope, slug))
        plan.list_pages(rows, PR_PAGE, page)

    repositories = _per_repository(plan, store, scope, child)
    explanation = (
        f"list {repositories} repositories ({-(-repositories // PAGE)} page(s) of {PAGE}), then each "
        f"repository's pull requests: {needed:,} {what} in pages of {PR_PAGE}, at least one request per "
        f"repository"
    )
    return bound_of(plan, explanation, connections, rows_in_scope=total)


def recent_prs(store: Any, scope: Scope, connections: int) -> Bound:
    prs = _pull_requests(store, scope, scope.repository)
    plan = RequestPlan()
    plan.list_pages(min(scope.top_n, len(prs)), PR_PAGE)
    return bound_of(
        plan,
        f"one page sorted by `-created_on` holding the {scope.top_n} rows (no repository listing: the "
        "repository is named)",
        connections,
        rows_in_scope=len(prs),
    )


def open_prs_by_author(store: Any, scope: Scope, connections: int) -> Bound:
    return _enumerated_pr_lists(
        store, scope, connections, "open pull requests", lambda slug: len(_open(store, scope, slug))
    )


def merged_per_week(store: Any, scope: Scope, connections: int) -> Bound:
    merged = _merged_since(store, scope, scope.repository, scope.year_start)
    plan = RequestPlan()
    plan.list_pages(len(merged), PR_PAGE)
    return bound_of(
        plan,
        f'{len(merged)} pull requests match `state = "MERGED" AND updated_on >= {scope.year_start}`, in '
        f"pages of {PR_PAGE}",
        connections,
        rows_in_scope=len(_pull_requests(store, scope, scope.repository)),
    )


def time_to_merge(store: Any, scope: Scope, connections: int) -> Bound:
    return _enumerated_pr_lists(
        store,
        scope,
        connections,
        f"pull requests merged since {scope.recent_start}",
        lambda slug: len(_merged_since(store, scope, slug, scope.recent_start)),
    )


def unapproved_open_prs(store: Any, scope: Scope, connections: int) -> Bound:
    return _enumerated_pr_lists(
        store,
        scope,
        connections,
        "open pull requests (with `fields=+values.participants`, no request per pull request)",
        lambda slug: len(_open(store, scope, slug)),
    )


def _commits(store: Any, scope: Scope, heads: list[str] | None = None) -> list[dict[str, Any]]:
    """The commits ``/commits`` lists, newest first: those reachable from ``heads`` (default:
    every branch and tag), as ``git log --all`` would."""
    data = store.repo_data(scope.workspace, scope.repository)
    if heads is None:
        heads = [ref["target"]["hash"] for ref in (*data.branches.values(), *data.tags.values())]
    reachable: set[str] = set()
    pending = list(heads)
    while pending:
        sha = pending.pop()
        if sha in reachable or sha not in data.commits:
            continue
        reachable.add(sha)
        pending.extend(parent["hash"] for parent in data.commits[sha]["parents"])
    return [data.commits[sha] for sha in data.commit_order if sha in reachable]


def commits_per_author(store: Any, scope: Scope, connections: int) -> Bound:
    """Every page of the repository's commits: the listing has no server-side filter, and its
    topological order does not make dates decrease (author dates survive rebases and come from
    the committers' clocks), so no client can know that the rest of the listing is out of range."""
    commits = _commits(store, scope)
    plan = RequestPlan()
    plan.cursor_pages(len(commits), PAGE)
    return bound_of(
        plan,
        f"commits have no server-side filter, and their topological order does not guarantee that dates "
        f"only decrease, so a client cannot stop at the first commit older than {scope.commits_start}: all "
        f"{len(commits):,} commits, in cursor pages of {PAGE} (one after another)",
        connections,
        rows_in_scope=len(commits),
    )


def last_commits(store: Any, scope: Scope, connections: int) -> Bound:
    branch = store.repo_data(scope.workspace, scope.repository).branches[scope.main_branch]
    commits = _commits(store, scope, heads=[branch["target"]["hash"]])
    plan = RequestPlan()
    plan.cursor_pages(min(scope.top_n, len(commits)), PAGE)
    return bound_of(
        plan,
        f"`/commits/{scope.main_branch}` lists the branch's history newest first: its first page holds the "
        f"{scope.top_n} commits",
        connections,
        rows_in_scope=len(commits),
    )


def failed_pipelines_with_steps(store: Any, scope: Scope, connections: int) -> Bound:
    """Pipelines take the spec's ``status`` filter and ``sort=-created_on``: per repository the
    failed pipelines of the month plus one older failed one (which shows the month is over), then
    the steps of each failed pipeline of the month."""
    start = _utc(scope.month_start)
    plan = RequestPlan()
    read = failed = total = steps_read = 0

    def child(slug: str, repository_page: int) -> None:
        nonlocal read, failed, total, steps_read
        data = store.repo_data(scope.workspace, slug)
        newest_first = sorted(data.pipelines.values(), key=lambda p: p["created_on"], reverse=True)
        total += len(newest_first)
        failures = [p for p in newest_first if (p["state"].get("result") or {}).get("name") == "FAILED"]
        in_month = [p for p in failures if parse_time(p["created_on"]) >= start]
        needed = min(len(failures), len(in_month) + 1)  # one more shows the month is over
        read += needed
        pages = plan.list_pages(needed, PAGE, repository_page)
        for index, pipeline in enumerate(in_month):
            failed += 1
            steps = data.pipeline_steps.get(pipeline["uuid"], {})
            steps_read += len(steps)
            plan.list_pages(len(steps), PAGE, pages[index // PAGE])

    repositories = _per_repository(plan, store, scope, child)
    return bound_of(
        plan,
        f"list {repositories} repositories, then each repository's pipelines with `status=FAILED` sorted by "
        f"`-created_on` ({read:,} rows: this month's failures plus one older), then the steps of each of the "
        f"{failed} failed pipelines (one request each, after the page that named it; {steps_read:,} steps)",
        connections,
        rows_in_scope=total,
        rows_needed=repositories + read + steps_read,
    )


def deployment_frequency(store: Any, scope: Scope, connections: int) -> Bound:
    plan = RequestPlan()
    total = 0

    def child(slug: str, page: int) -> None:
        nonlocal total
        deployments = len(store.repo_data(scope.workspace, slug).deployments)
        total += deployments
        plan.list_pages(deployments, PAGE, page)

    repositories = _per_repository(plan, store, scope, child)
    return bound_of(
        plan,
        f"list {repositories} repositories, then each repository's deployments ({total:,} in pages of "
        f"{PAGE}; the API has no filter for them)",
        connections,
        rows_in_scope=total,
    )


def repositories_by_language(store: Any, scope: Scope, connections: int) -> Bound:
    slugs = _slugs(store, scope)
    plan = RequestPlan()
    plan.list_pages(len(slugs), PAGE)
    return bound_of(
        plan, f"{len(slugs)} repositories in pages of {PAGE}", connections, rows_in_scope=len(slugs)
    )


def main_branch_restrictions(store: Any, scope: Scope, connections: int) -> Bound:
    repositories = store.workspaces[scope.workspace].repositories
    plan = RequestPlan()
    matched = total = 0

    def child(slug: str, page: int) -> None:
        nonlocal matched, total
        main = repositories[slug]["mainbranch"]["name"]
        restrictions = store.repo_data(scope.workspace, slug).branch_restrictions.values()
        total += len(restrictions)
        rows = sum(1 for r in restrictions if r.get("pattern") == main)
        matched += rows
        plan.list_pages(rows, PAGE, page)

    count = _per_repository(plan, store, scope, child)
    return bound_of(
        plan,
        f"list {count} repositories, then each one's branch restrictions with `pattern=<main branch>` "
        f"({matched} rows)",
        connections,
        rows_in_scope=total + count,
    )


def workspace_admins(store: Any, scope: Scope, connections: int) -> Bound:
    members = store.workspaces[scope.workspace].members.values()
    owners = sum(1 for m in members if m["permission"] == "owner")
    plan = RequestPlan()
    plan.list_pages(owners, PAGE)
    return bound_of(
        plan,
        f'`q=permission="owner"` returns {owners} members in one page',
        connections,
        rows_in_scope=len(members),
    )


def pr_comments_join(store: Any, scope: Scope, connections: int) -> Bound:
    data = store.repo_data(scope.workspace, scope.repository)
    merged = _merged_since(store, scope, scope.repository, scope.year_start)
    per_pr = RequestPlan()
    pages = per_pr.list_pages(len(merged), PR_PAGE)
    comments = 0
    for index, pr in enumerate(merged):
        count = len(data.pr_comments.get(pr["id"], {}))
        comments += count
        per_pr.list_pages(count, PAGE, pages[index // PR_PAGE])
    listing = bound_of(
        per_pr,
        f"{len(merged)} merged pull requests in pages of {PR_PAGE}, then one comment listing per pull "
        f"request ({comments} comments)",
        connections,
        rows_in_scope=len(data.pullrequests) + sum(len(c) for c in data.pr_comments.values()),
    )
    # The activity stream holds every comment of every pull request, but it cannot tell which pull
    # requests are merged with `updated_on` in range (a comment moves `updated_on`; the stream need
    # not show every change that does), so that strategy still lists the merged pull requests.
    activity_entries = sum(len(entries) for entries in data.pr_activity.values())
    stream = RequestPlan()
    stream.list_pages(len(merged), PR_PAGE)
    stream.cursor_pages(activity_entries, PR_PAGE)
    activity = bound_of(
        stream,
        f"{len(merged)} merged pull requests in pages of {PR_PAGE}, and the repository-wide activity stream "
        f"({activity_entries:,} entries: comments, updates, approvals; cursor pages of {PR_PAGE}, all of "
        "them, as its order is not documented)",
        connections,
        rows_in_scope=activity_entries,
    )
    return cheapest(listing, activity)


def latest_prs_everywhere(store: Any, scope: Scope, connections: int) -> Bound:
    return _enumerated_pr_lists(
        store,
        scope,
        connections,
        f"pull requests (at most the {scope.everywhere_n} newest of each, sorted by `-updated_on`)",
        lambda slug: min(scope.everywhere_n, len(_pull_requests(store, scope, slug))),
    )


def activity_per_pr(store: Any, scope: Scope, connections: int) -> Bound:
    """Every pull request (the LEFT JOIN keeps those without activity), then either each one's
    activity listing or the repository-wide stream (cursor pages, one after another)."""
    data = store.repo_data(scope.workspace, scope.repository)
    prs = _pull_requests(store, scope, scope.repository)
    entries = sum(len(data.pr_activity.get(pr["id"], [])) for pr in prs)
    per_pr = RequestPlan()
    pages = per_pr.list_pages(len(prs), PR_PAGE)
    for index, pr in enumerate(prs):
        per_pr.cursor_pages(len(data.pr_activity.get(pr["id"], [])), PR_PAGE, pages[index // PR_PAGE])
    listing = bound_of(
        per_pr,
        f"{len(prs)} pull requests in pages of {PR_PAGE}, then one activity listing per pull request",
        connections,
        rows_in_scope=len(prs) + entries,
    )
    stream = RequestPlan()
    stream.list_pages(len(prs), PR_PAGE)
    stream.cursor_pages(entries, PR_PAGE)
    whole = bound_of(
        stream,
        f"{len(prs)} pull requests in pages of {PR_PAGE}, and the repository-wide activity stream "
        f"({entries:,} entries in cursor pages of {PR_PAGE})",
        connections,
        rows_in_scope=len(prs) + entries,
    )
    return cheapest(listing, whole)


def prs_by_id_everywhere(store: Any, scope: Scope, connections: int) -> Bound:
    """Repositories, then per repository one BBQL listing ``id = 1 OR id = 2 ...`` (one page
    holds the few matches) or one GET per id; the listing is cheaper from two ids on."""
    wanted = set(scope.pr_ids)
    plan = RequestPlan()
    found = 0

    def child(slug: str, page: int) -> None:
        nonlocal found
        matches = sum(1 for pr in _pull_requests(store, scope, slug) if pr["id"] in wanted)
        found += matches
        if len(wanted) <= 1:
            plan.add(page)
        else:
            plan.list_pages(matches, PR_PAGE, page)

    count = _per_repository(plan, store, scope, child)
    return bound_of(
        plan,
        f"list {count} repositories, then one listing per repository with `q=id = ... OR ...` "
        f"({found} pull requests found; one GET per id would cost {len(wanted)} per repository)",
        connections,
        rows_in_scope=found,
    )


def author_pairs_self_join(store: Any, scope: Scope, connections: int) -> Bound:
    prs = _pull_requests(store, scope, scope.repository)
    plan = RequestPlan()
    plan.list_pages(len(prs), PR_PAGE)
    return bound_of(
        plan,
        f"both references are the same scan: {len(prs)} pull requests in pages of {PR_PAGE}, listed once",
        connections,
        rows_in_scope=len(prs),
    )


def open_or_merged_authors_union(store: Any, scope: Scope, connections: int) -> Bound:
    prs = _pull_requests(store, scope, scope.repository)
    opened = sum(1 for pr in prs if pr["state"] == "OPEN")
    merged = sum(1 for pr in prs if pr["state"] == "MERGED")
    one = RequestPlan()
    one.list_pages(opened + merged, PR_PAGE)
    together = bound_of(
        one,
        f'one listing with `q=state = "OPEN" OR state = "MERGED"` ({opened + merged} pull requests in pages '
        f"of {PR_PAGE})",
        connections,
        rows_in_scope=len(prs),
    )
    two = RequestPlan()
    two.list_pages(opened, PR_PAGE)
    two.list_pages(merged, PR_PAGE)
    apart = bound_of(
        two,
        f"one listing per branch of the UNION ({opened} open, {merged} merged, pages of {PR_PAGE})",
        connections,
        rows_in_scope=len(prs),
    )
    return cheapest(together, apart)


def repeated(store: Any, scope: Scope, connections: int) -> Bound:
    return Bound(0, 0, "a repeat within the cache's lifetime needs no request")


BOUNDS: dict[str, BoundFunction] = {
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
    "recent_prs_again": repeated,
    "activity_per_pr": activity_per_pr,
    "prs_by_id_everywhere": prs_by_id_everywhere,
    "author_pairs_self_join": author_pairs_self_join,
    "open_or_merged_authors_union": open_or_merged_authors_union,
    "pr_comments_join_requests": pr_comments_join,
}
