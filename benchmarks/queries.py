"""The benchmark suite: questions a data engineer asks of Bitbucket, as SQL for bitbucket-sql.

Each :class:`BenchQuery` carries its SQL (filled in from the run's :class:`~benchmarks.scope.Scope`)
and a note on its scope. The same question answered by hand with atlassian-python-api lives in
:mod:`benchmarks.baseline`, its lower bound in :mod:`benchmarks.bounds`, all under the same key.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.scope import Scope

#: The queries the ``--scaling`` run repeats at small, medium and large scale.
SCALING_KEYS = ("recent_prs", "commits_per_author", "open_prs_by_author")

#: The repository the scaling run asks about (it exists at every scale).
SCALING_REPOSITORY = "api"


def literal(value: object) -> str:
    """A SQL string literal (values come from the store, but quote them properly anyway)."""
    return "'" + str(value).replace("'", "''") + "'"


@dataclass(frozen=True)
class BenchQuery:
    key: str
    title: str
    template: str  # str.format fields: the Scope's attributes, already quoted as SQL literals
    scope_note: str = ""
    repeat_of: str | None = None  # run on the same connection right after this earlier query
    connection_options: str = ""  # extra connection properties for our side ("MaxFanout=...")
    workspace_wide: bool = False  # reads every repository of the workspace
    ordered: bool = False  # the row order is part of the answer: compare it too, not just the rows
    above_bound_reason: str = ""  # why our engine needs more requests than the bound, when it does
    outlier: bool = False  # found by random queries to cost far more than it should (issue 14)
    requires_property: str = ""  # a connection property the engine must know for this query to run

    @property
    def is_repeat(self) -> bool:
        """A repeat is answered from the cache: reported apart, never in the totals."""
        return self.repeat_of is not None

    def sql(self, scope: Scope) -> str:
        values = {name: literal(getattr(scope, name)) for name in scope.__dataclass_fields__}
        values["top_n"] = str(scope.top_n)
        values["everywhere_n"] = str(scope.everywhere_n)
        values["pr_ids"] = ", ".join(str(number) for number in scope.pr_ids)
        return self.template.format(**values).strip()


#: Query 13, measured twice: under the default goal and under ``Optimize=requests``.
PR_COMMENTS_JOIN_SQL = """
SELECT p.id, p.title, count(c.id) AS comments, max(c.created_on) AS last_comment
FROM pull_requests AS p
LEFT JOIN pull_request_comments AS c
  ON c.repository = p.repository AND c.pull_request_id = p.id
WHERE p.repository = {repository} AND p.state = 'MERGED' AND p.updated_on >= {year_start}
GROUP BY p.id, p.title
ORDER BY p.id
"""

QUERIES: tuple[BenchQuery, ...] = (
    BenchQuery(
        "recent_prs",
        "Recent pull requests of one repository",
        """
SELECT id, title, state, author_display_name, created_on
FROM pull_requests
WHERE repository = {repository}
ORDER BY created_on DESC
LIMIT {top_n}
""",
        "The 20 newest pull requests in any state of the busiest repository.",
    ),
    BenchQuery(
        "open_prs_by_author",
        "Open pull requests across the workspace by author",
        """
SELECT author_display_name, count(*) AS open_pull_requests
FROM pull_requests
WHERE state = 'OPEN'
GROUP BY author_display_name
ORDER BY open_pull_requests DESC, author_display_name
""",
        "Every repository of the workspace.",
        workspace_wide=True,
    ),
    BenchQuery(
        "merged_per_week",
        "Merged pull requests per week",
        """
SELECT CAST(date_trunc('week', updated_on) AS DATE) AS week, count(*) AS merged
FROM pull_requests
WHERE repository = {repository} AND state = 'MERGED' AND updated_on >= {year_start}
GROUP BY week
ORDER BY week
""",
        "One repository, this year; a merged pull request's `updated_on` is its merge time.",
    ),
    BenchQuery(
        "time_to_merge",
        "Mean time to merge per repository",
        """
SELECT repository, count(*) AS merged,
       avg(epoch(updated_on) - epoch(created_on)) / 3600 AS mean_hours_to_merge
FROM pull_requests
WHERE state = 'MERGED' AND updated_on >= {recent_start}
GROUP BY repository
ORDER BY repository
""",
        "Every repository, pull requests merged in the last 90 days.",
        workspace_wide=True,
    ),
    BenchQuery(
        "unapproved_open_prs",
        "Open pull requests with no approval",
        """
SELECT repository, id, title, author_display_name
FROM pull_requests
WHERE state = 'OPEN'
  AND NOT coalesce(list_bool_or(CAST(json_extract(participants, '$[*].approved') AS BOOLEAN[])), false)
ORDER BY repository, id
""",
        "Every repository of the workspace; approvals come from the `participants` of each pull request.",
        workspace_wide=True,
    ),
    BenchQuery(
        "commits_per_author",
        "Commits per author in a date range",
        """
SELECT author_raw, count(*) AS commits
FROM commits
WHERE repository = {repository} AND date >= {commits_start} AND date < {commits_end}
GROUP BY author_raw
ORDER BY commits DESC, author_raw
""",
        "One repository, its last 90 days of commits (no server-side filter; the listing's topological "
        "order does not make dates decrease, so every page is read).",
    ),
    BenchQuery(
        "last_commits",
        "The last N commits of a branch",
        """
SELECT hash, date, author_raw, message
FROM branch_commits
WHERE repository = {repository} AND branch = {main_branch}
ORDER BY position
LIMIT {top_n}
""",
        "The 20 newest commits of the busiest repository's main branch in the order the API lists "
        "them (`/commits/{branch}`, newest first in topological order; `position` 0 is the branch head). "
        "`position` is unique within a branch, so the answer has no ties; it is compared row by row, in "
        "order, with the baseline's first 20 commits of that listing.",
        ordered=True,
    ),
    BenchQuery(
        "failed_pipelines_with_steps",
        "Failed pipelines this month with their steps",
        """
SELECT p.repository, p.build_number, p.created_on, s.name AS step, s.state_result_name AS step_result
FROM pipelines AS p
JOIN pipeline_steps AS s
  ON s.repository = p.repository AND s.pipeline_uuid = p.uuid
WHERE p.state_result_name = 'FAILED' AND p.created_on >= {month_start}
ORDER BY p.repository, p.build_number, s.name
""",
        'Every repository of the workspace; "this month" is the last month with data. Runs with the '
        "default `MaxFanout`: the engine lists steps only for the pipelines that pass the filters.",
        workspace_wide=True,
    ),
    BenchQuery(
        "deployment_frequency",
        "Deployment frequency per environment",
        """
SELECT environment_uuid, CAST(date_trunc('month', state_completed_on) AS DATE) AS month,
       count(*) AS deployments,
       count(*) FILTER (WHERE state_status_name = 'SUCCESSFUL') AS successful
FROM deployments
GROUP BY environment_uuid, month
ORDER BY environment_uuid, month
""",
        "Every repository of the workspace, per environment and month.",
        workspace_wide=True,
    ),
    BenchQuery(
        "repositories_by_language",
        "Repositories by language",
        """
SELECT language, count(*) AS repositories
FROM repositories
GROUP BY language
ORDER BY repositories DESC, language
""",
    ),
    BenchQuery(
        "main_branch_restrictions",
        "Branch restrictions on main branches",
        """
SELECT r.slug AS repository, b.kind, b.value
FROM repositories AS r
JOIN branch_restrictions AS b
  ON b.repository = r.slug AND b.pattern = r.mainbranch_name
ORDER BY r.slug, b.kind
""",
        "Every repository of the workspace.",
        workspace_wide=True,
    ),
    BenchQuery(
        "workspace_admins",
        "Members with admin permissions",
        """
SELECT user_display_name, user_uuid
FROM workspace_permissions
WHERE permission = 'owner'
ORDER BY user_display_name
""",
        "Workspace owners (Bitbucket's administrator permission).",
    ),
    BenchQuery(
        "pr_comments_join",
        "Pull requests joined with their comments",
        PR_COMMENTS_JOIN_SQL,
        "One repository, pull requests merged this year.",
        # at its bound: the engine reads the merged pull requests and the repository-wide activity
        # stream (strategies.CommentsFromActivity), as the bound does; shown only if that changes
        above_bound_reason=(
            "the cost estimates chose one comment listing per merged pull request (fewer rounds, more "
            "requests) over the repository-wide activity stream; `Optimize=requests` (query 20) always "
            "takes the stream"
        ),
    ),
    BenchQuery(
        "latest_prs_everywhere",
        "Most recently updated pull requests across all repositories",
        """
SELECT repository, id, title, state, updated_on
FROM pull_requests
ORDER BY updated_on DESC
LIMIT {everywhere_n}
""",
        "The 10 most recently updated pull requests: a LIMIT query sorted by date over every repository.",
        workspace_wide=True,
    ),
    BenchQuery(
        "recent_prs_again",
        "Recent pull requests of one repository, again (cache)",
        """
SELECT id, title, state, author_display_name, created_on
FROM pull_requests
WHERE repository = {repository}
ORDER BY created_on DESC
LIMIT {top_n}
""",
        "Query 1 repeated on the same connection: answered from the cache.",
        repeat_of="recent_prs",
    ),
    BenchQuery(
        "activity_per_pr",
        "Activity per pull request (LEFT JOIN to pull_request_activity)",
        """
SELECT p.id, p.title, count(a.pull_request_id) AS events
FROM pull_requests AS p
LEFT JOIN pull_request_activity AS a
  ON a.repository = p.repository AND a.pull_request_id = p.id
WHERE p.repository = {repository}
GROUP BY p.id, p.title
ORDER BY p.id
""",
        "Every pull request of one repository with its number of activity entries. Fuzz-found outlier: "
        "the engine read each pull request's activity (one listing per pull request) where the "
        "repository-wide stream costs a few cursor pages.",
        outlier=True,
    ),
    BenchQuery(
        "prs_by_id_everywhere",
        "Pull requests by id in every repository (`id IN (...)` without a repository)",
        """
SELECT repository, id, title
FROM pull_requests
WHERE id IN ({pr_ids})
ORDER BY repository, id
""",
        "Pull requests 1, 2 and 3 of every repository. Fuzz-found outlier: the engine sent one GET per id "
        "per repository where one BBQL listing per repository answers it.",
        workspace_wide=True,
        outlier=True,
    ),
    BenchQuery(
        "author_pairs_self_join",
        "Pairs of pull requests by the same author (self-join)",
        """
SELECT a.author_display_name, count(*) AS pairs
FROM pull_requests AS a
JOIN pull_requests AS b
  ON b.repository = a.repository AND b.author_display_name = a.author_display_name AND b.id > a.id
WHERE a.repository = {repository} AND b.repository = {repository}
GROUP BY a.author_display_name
ORDER BY pairs DESC, a.author_display_name
""",
        "One repository, every pull request paired with the later ones by the same author. Fuzz-found "
        "outlier: a table referenced twice in one query was scanned twice.",
        outlier=True,
    ),
    BenchQuery(
        "open_or_merged_authors_union",
        "Authors of open or merged pull requests (UNION of one table)",
        """
SELECT author_display_name FROM pull_requests WHERE repository = {repository} AND state = 'OPEN'
UNION
SELECT author_display_name FROM pull_requests WHERE repository = {repository} AND state = 'MERGED'
ORDER BY author_display_name
""",
        "One repository. Fuzz-found outlier: each branch of a UNION over one table was its own scan.",
        outlier=True,
    ),
    BenchQuery(
        "pr_comments_join_requests",
        "Pull requests joined with their comments, `Optimize=requests`",
        PR_COMMENTS_JOIN_SQL,
        "Query 13 with the connection asking for the fewest requests rather than the lowest latency.",
        connection_options="Optimize=requests",
        outlier=True,
        requires_property="Optimize",
    ),
)

QUERIES_BY_KEY: dict[str, BenchQuery] = {query.key: query for query in QUERIES}


def select_queries(keys: str | None) -> tuple[BenchQuery, ...]:
    """The queries named in a comma-separated ``--queries`` value (all when None), in suite order."""
    if not keys:
        return QUERIES
    wanted = [key.strip() for key in keys.split(",") if key.strip()]
    unknown = [key for key in wanted if key not in QUERIES_BY_KEY]
    if unknown:
        raise ValueError(
            f"unknown query key(s): {', '.join(unknown)}; choose from {', '.join(QUERIES_BY_KEY)}"
        )
    return tuple(query for query in QUERIES if query.key in wanted)


def unsupported(query: BenchQuery) -> str | None:
    """Why this build of the engine cannot run ``query`` (a connection property it does not know
    yet), or None. Such a query is left out of the run and named in the report's notes."""
    if not query.requires_property:
        return None
    from bitbucket_sql.api.settings import PROPERTIES

    if any(p.name.lower() == query.requires_property.lower() for p in PROPERTIES):
        return None
    return f"the engine has no `{query.requires_property}` connection property yet"
