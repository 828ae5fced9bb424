"""The metrics: one definition each, in the order the dashboard shows them.

Every statement is plain DuckDB SQL over the catalog's tables, so it runs unchanged through the
live engine (where its predicates become BBQL, URLs and early stops) and over a ``bbsql sync``
file. Durations are computed from epoch seconds (``epoch(b) - epoch(a)``), so hours are exact
elapsed time, not counted calendar boundaries. Each metric's ``cost`` is what it needs live; the
request counts on the demo data are in docs/dashboard.md.
"""

from __future__ import annotations

from bitbucket_sql.metrics.model import Metric

#: Merged pull requests of the range. Metrics over it read the same columns with the same filter,
#: so their scans are one cache entry: the second metric costs no request while the cache holds.
MERGED_PULL_REQUESTS = """merged AS (
    SELECT p.repository, p.created_on, p.updated_on
    FROM {ws}.pull_requests AS p
    WHERE p.state = 'MERGED' AND p.updated_on >= {start} AND p.updated_on < {end} {repos:p}
)"""

#: Pipeline runs started in the range, shared the same way by the three pipeline metrics.
PIPELINE_RUNS = """runs AS (
    SELECT repository, target_ref_name, state_name, state_result_name, created_on, completed_on
    FROM {ws}.pipelines
    WHERE created_on >= {start} AND created_on < {end} {repos}
)"""

PR_THROUGHPUT = Metric(
    name="pr_throughput",
    title="Pull request throughput",
    definition=(
        "Pull requests merged per week and repository. Bitbucket has no 'merged at' field: a merged "
        "pull request's updated_on is when it was merged (unless someone commented afterwards)."
    ),
    sql="""
WITH """ + MERGED_PULL_REQUESTS + """
SELECT CAST(date_trunc('week', updated_on) AS DATE) AS week,
       repository,
       count(*) AS merged
FROM merged
GROUP BY week, repository
ORDER BY week, repository
""",
    cost="one request per repository (state and range are sent as BBQL)",
    tables=("pull_requests",),
)

TIME_TO_MERGE = Metric(
    name="time_to_merge",
    title="Time to merge",
    definition=(
        "For pull requests merged in the range: hours from opening to merging (updated_on), "
        "median and 90th percentile per repository."
    ),
    sql="""
WITH """ + MERGED_PULL_REQUESTS + """
SELECT repository,
       count(*) AS merged,
       median((epoch(updated_on) - epoch(created_on)) / 3600.0) AS median_hours,
       quantile_cont((epoch(updated_on) - epoch(created_on)) / 3600.0, 0.9) AS p90_hours
FROM merged
GROUP BY repository
ORDER BY repository
""",
    cost="one request per repository (shared with pull request throughput through the cache)",
    tables=("pull_requests",),
)

TIME_TO_FIRST_REVIEW = Metric(
    name="time_to_first_review",
    title="Time to first review",
    definition=(
        "For pull requests opened in the range that got a review: hours from opening to the first "
        "approval, change request or comment by someone other than the author, median and 90th "
        "percentile per repository."
    ),
    sql="""
WITH first_review AS (
    SELECT p.repository,
           p.id,
           min(epoch(coalesce(a.approval_date, a.changes_requested_date, a.comment_created_on))
               - epoch(p.created_on)) / 3600.0 AS hours
    FROM {ws}.pull_requests AS p
    JOIN {ws}.pull_request_activity AS a
      ON a.repository = p.repository AND a.pull_request_id = p.id
    WHERE p.created_on >= {start} AND p.created_on < {end} {repos:p}
      AND coalesce(a.approval_user_uuid, a.changes_requested_user_uuid, a.comment_user_uuid) <> p.author_uuid
    GROUP BY p.repository, p.id
)
SELECT repository,
       count(*) AS reviewed,
       median(hours) AS median_hours,
       quantile_cont(hours, 0.9) AS p90_hours
FROM first_review
GROUP BY repository
ORDER BY repository
""",
    cost=(
        "one request per repository for the pull requests, then one activity request per pull "
        "request opened in the range: the most expensive metric; narrow the range or the repositories"
    ),
    tables=("pull_requests", "pull_request_activity"),
)

REVIEW_LOAD = Metric(
    name="review_load",
    title="Review load per reviewer",
    definition=(
        "Review requests per reviewer on pull requests opened in the range (from the reviewers "
        "list), and how many of those pull requests are still open."
    ),
    sql="""
SELECT r.reviewer->>'display_name' AS reviewer,
       count(*) AS review_requests,
       count(*) FILTER (WHERE p.state = 'OPEN') AS still_open
FROM {ws}.pull_requests AS p, unnest(CAST(CAST(p.reviewers AS JSON) AS JSON[])) AS r(reviewer)
WHERE p.created_on >= {start} AND p.created_on < {end} {repos:p}
GROUP BY reviewer
ORDER BY review_requests DESC, reviewer
""",
    cost="one request per repository (reviewers are added to the fields)",
    tables=("pull_requests",),
)

OPEN_PRS_BY_AGE = Metric(
    name="open_prs_by_age",
    title="Open pull requests by age",
    definition=(
        "Pull requests open now, per repository and age bucket (days since opening). A snapshot: "
        "the date range does not apply."
    ),
    sql="""
SELECT p.repository,
       CASE WHEN epoch(now()) - epoch(p.created_on) < 86400 THEN '< 1 day'
            WHEN epoch(now()) - epoch(p.created_on) < 7 * 86400 THEN '1-7 days'
            WHEN epoch(now()) - epoch(p.created_on) < 30 * 86400 THEN '7-30 days'
            WHEN epoch(now()) - epoch(p.created_on) < 90 * 86400 THEN '30-90 days'
            ELSE '90+ days' END AS age,
       count(*) AS open_prs,
       max(floor((epoch(now()) - epoch(p.created_on)) / 86400)) AS oldest_days
FROM {ws}.pull_requests AS p
WHERE p.state = 'OPEN' {repos:p}
GROUP BY ALL
ORDER BY p.repository, min(p.created_on) DESC
""",
    cost="one request per repository (state = 'OPEN' is sent as BBQL)",
    uses_dates=False,
    tables=("pull_requests",),
)

PIPELINE_SUCCESS_RATE = Metric(
    name="pipeline_success_rate",
    title="Pipeline success rate",
    definition=(
        "Of the pipeline runs started in the range that finished with a verdict (SUCCESSFUL, FAILED "
        "or ERROR; stopped and expired runs say nothing about the code), the share that succeeded, "
        "per repository."
    ),
    sql="""WITH """ + PIPELINE_RUNS + """
SELECT repository,
       count(*) AS runs,
       count(*) FILTER (WHERE state_result_name = 'SUCCESSFUL') AS successful,
       count(*) FILTER (WHERE state_result_name IN ('FAILED', 'ERROR')) AS failed,
       count(*) FILTER (WHERE state_result_name = 'SUCCESSFUL') / count(*) AS success_rate
FROM runs
WHERE state_result_name IN ('SUCCESSFUL', 'FAILED', 'ERROR')
GROUP BY repository
ORDER BY repository
""",
    cost="pages of newest runs per repository until the range starts (sort=-created_on, range early stop)",
    tables=("pipelines",),
)

PIPELINE_DURATION = Metric(
    name="pipeline_duration",
    title="Pipeline duration",
    definition=(
        "Minutes from creation to completion of the pipeline runs started in the range that "
        "completed, median and 90th percentile per repository."
    ),
    sql="""WITH """ + PIPELINE_RUNS + """
SELECT repository,
       count(*) AS runs,
       median((epoch(completed_on) - epoch(created_on)) / 60.0) AS median_minutes,
       quantile_cont((epoch(completed_on) - epoch(created_on)) / 60.0, 0.9) AS p90_minutes
FROM runs
WHERE state_name = 'COMPLETED' AND completed_on IS NOT NULL
GROUP BY repository
ORDER BY repository
""",
    cost="the pipeline pages of pipeline success rate, shared through the cache",
    tables=("pipelines",),
)

FAILED_PIPELINES_BY_BRANCH = Metric(
    name="failed_pipelines_by_branch",
    title="Failed pipelines by branch",
    definition="Pipeline runs started in the range that FAILED or ended in ERROR, per repository and branch.",
    sql="""WITH """ + PIPELINE_RUNS + """
SELECT repository,
       coalesce(target_ref_name, '(no branch)') AS branch,
       count(*) AS failed,
       max(created_on) AS last_failed_on
FROM runs
WHERE state_result_name IN ('FAILED', 'ERROR')
GROUP BY ALL
ORDER BY failed DESC, repository, branch
""",
    cost="the pipeline pages of pipeline success rate, shared through the cache",
    tables=("pipelines",),
)

DEPLOYMENT_FREQUENCY = Metric(
    name="deployment_frequency",
    title="Deployment frequency",
    dora=True,
    definition=(
        "DORA: how often an organization successfully releases to production. Measured per "
        "environment (production is the DORA figure): successful deployments that completed in "
        "the range, and the same per week of the range."
    ),
    sql="""
SELECT e.name AS environment,
       d.repository,
       count(*) AS deployments,
       count(*) / ((epoch({end}) - epoch({start})) / (7 * 86400.0)) AS per_week
FROM {ws}.deployments AS d
JOIN {ws}.environments AS e ON e.repository = d.repository AND e.uuid = d.environment_uuid
WHERE d.state_status_name = 'SUCCESSFUL'
  AND d.state_completed_on >= {start} AND d.state_completed_on < {end} {repos:d}
GROUP BY e.name, e.rank, d.repository
ORDER BY e.rank, e.name, d.repository
""",
    cost="one deployments request per repository, and one environments request per repository that deployed",
    tables=("deployments", "environments"),
)

LEAD_TIME_FOR_CHANGES = Metric(
    name="lead_time",
    title="Lead time for changes",
    dora=True,
    definition=(
        "DORA: the amount of time it takes a commit to get into production. Measured as hours "
        "from the author date of the deployed commit to the completion of its successful "
        "deployment to a Production environment, for deployments completed in the range: median "
        "and 90th percentile per repository."
    ),
    sql="""
SELECT d.repository,
       count(*) AS deployments,
       median((epoch(d.state_completed_on) - epoch(c.date)) / 3600.0) AS median_hours,
       quantile_cont((epoch(d.state_completed_on) - epoch(c.date)) / 3600.0, 0.9) AS p90_hours
FROM {ws}.deployments AS d
JOIN {ws}.environments AS e ON e.repository = d.repository AND e.uuid = d.environment_uuid
JOIN {ws}.commits AS c ON c.repository = d.repository AND c.hash = d.commit_hash
WHERE e.environment_type_name = 'Production' AND d.state_status_name = 'SUCCESSFUL'
  AND d.state_completed_on >= {start} AND d.state_completed_on < {end} {repos:d}
GROUP BY d.repository
ORDER BY d.repository
""",
    cost=(
        "deployments and environments per repository, and the commit listing of each repository "
        "that deployed (commits have no server-side filter)"
    ),
    tables=("deployments", "environments", "commits"),
)

CHANGE_FAILURE_RATE = Metric(
    name="change_failure_rate",
    title="Change failure rate",
    dora=True,
    definition=(
        "DORA: the percentage of deployments causing a failure in production. Measured as the "
        "share of deployments to a Production environment completed in the range whose status is "
        "FAILED, per repository (Bitbucket records no incidents, so a failed production deployment "
        "stands for a failed change)."
    ),
    sql="""
SELECT d.repository,
       count(*) AS deployments,
       count(*) FILTER (WHERE d.state_status_name = 'FAILED') AS failed,
       count(*) FILTER (WHERE d.state_status_name = 'FAILED') / count(*) AS change_failure_rate
FROM {ws}.deployments AS d
JOIN {ws}.environments AS e ON e.repository = d.repository AND e.uuid = d.environment_uuid
WHERE e.environment_type_name = 'Production' AND d.state_status_name IN ('SUCCESSFUL', 'FAILED')
  AND d.state_completed_on >= {start} AND d.state_completed_on < {end} {repos:d}
GROUP BY d.repository
ORDER BY d.repository
""",
    cost=(
        "the deployments listings of deployment frequency (shared through the cache), and one "
        "environments request per repository that deployed"
    ),
    tables=("deployments", "environments"),
)

#: every metric, in the dashboard's order
METRICS: tuple[Metric, ...] = (
    PR_THROUGHPUT,
    TIME_TO_FIRST_REVIEW,
    TIME_TO_MERGE,
    REVIEW_LOAD,
    OPEN_PRS_BY_AGE,
    PIPELINE_SUCCESS_RATE,
    PIPELINE_DURATION,
    FAILED_PIPELINES_BY_BRANCH,
    DEPLOYMENT_FREQUENCY,
    LEAD_TIME_FOR_CHANGES,
    CHANGE_FAILURE_RATE,
)
