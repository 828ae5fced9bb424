"""Every metric's numbers, from the engine's SQL, equal the same metric computed by hand from the
emulator's raw HTTP answers (httpx, no engine), over the demo data.

The ranges are the dashboard's defaults, the last 90 and the last 30 days of demo data that ends
today, and every metric must have rows in both (the demo keeps merging, building and deploying up
to its last day); a third run narrows to two repositories, as the dashboard's filter does.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from raw_api import DEMO_ANCHOR, RawApi, timestamp

from bitbucket_sql.metrics import METRICS, LiveSource, MetricParams, get_metric

Rows = dict[tuple[Any, ...], tuple[Any, ...]]

TODAY = DEMO_ANCHOR
ALL = MetricParams("acme", start=TODAY - dt.timedelta(days=89), end=TODAY)
LAST_30_DAYS = MetricParams("acme", start=TODAY - dt.timedelta(days=29), end=TODAY)


def quantile_cont(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (DuckDB's quantile_cont)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (position - lower) * (ordered[upper] - ordered[lower])


def summary(values: list[float]) -> tuple[int, float, float]:
    return len(values), statistics.median(values), quantile_cont(values, 0.9)


def in_range(moment: dt.datetime | None, params: MetricParams) -> bool:
    return moment is not None and params.start_instant <= moment < params.end_instant


def hours(later: dt.datetime, earlier: dt.datetime) -> float:
    return (later - earlier).total_seconds() / 3600


def week_of(moment: dt.datetime) -> dt.date:
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def chosen(raw: RawApi, params: MetricParams) -> list[str]:
    return [slug for slug in raw.repositories if not params.repositories or slug in params.repositories]


def pull_requests(raw: RawApi, params: MetricParams) -> Iterable[tuple[str, dict[str, Any]]]:
    for slug in chosen(raw, params):
        for pr in raw.pull_requests[slug]:
            yield slug, pr


# --- the metrics by hand -------------------------------------------------------------------

def pr_throughput(raw: RawApi, params: MetricParams) -> Rows:
    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    for slug, pr in pull_requests(raw, params):
        merged_on = timestamp(pr["updated_on"])
        if pr["state"] == "MERGED" and in_range(merged_on, params):
            assert merged_on is not None
            counts[(week_of(merged_on), slug)] += 1
    return {key: (count,) for key, count in counts.items()}


def time_to_merge(raw: RawApi, params: MetricParams) -> Rows:
    durations: dict[str, list[float]] = defaultdict(list)
    for slug, pr in pull_requests(raw, params):
        merged_on, opened_on = timestamp(pr["updated_on"]), timestamp(pr["created_on"])
        if pr["state"] == "MERGED" and in_range(merged_on, params):
            assert merged_on is not None and opened_on is not None
            durations[slug].append(hours(merged_on, opened_on))
    return {(slug,): summary(values) for slug, values in durations.items()}


def _review_moment(entry: dict[str, Any], author: str | None) -> dt.datetime | None:
    for kind, field in (("approval", "date"), ("changes_requested", "date"), ("comment", "created_on")):
        if kind in entry:
            user = (entry[kind].get("user") or {}).get("uuid")
            if user is None or user == author:
                return None
            return timestamp(entry[kind].get(field))
    return None


def time_to_first_review(raw: RawApi, params: MetricParams) -> Rows:
    durations: dict[str, list[float]] = defaultdict(list)
    for slug, pr in pull_requests(raw, params):
        opened_on = timestamp(pr["created_on"])
        if not in_range(opened_on, params):
            continue
        assert opened_on is not None
        author = (pr.get("author") or {}).get("uuid")
        moments = [m for e in raw.activity(slug, pr["id"]) if (m := _review_moment(e, author)) is not None]
        if moments:
            durations[slug].append(hours(min(moments), opened_on))
    return {(slug,): summary(values) for slug, values in durations.items()}


def review_load(raw: RawApi, params: MetricParams) -> Rows:
    requests: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _, pr in pull_requests(raw, params):
        if in_range(timestamp(pr["created_on"]), params):
            for reviewer in pr.get("reviewers") or []:
                counts = requests[reviewer.get("display_name")]
                counts[0] += 1
                counts[1] += pr["state"] == "OPEN"
    return {(name,): tuple(counts) for name, counts in requests.items()}


def open_prs_by_age(raw: RawApi, params: MetricParams) -> Rows:
    now = dt.datetime.now(dt.UTC)
    buckets: dict[tuple[str, str], list[float]] = defaultdict(list)
    for slug, pr in pull_requests(raw, params):
        if pr["state"] != "OPEN":
            continue
        opened_on = timestamp(pr["created_on"])
        assert opened_on is not None
        age = (now - opened_on).total_seconds()
        days = age / 86400
        label = ("< 1 day" if days < 1 else "1-7 days" if days < 7 else "7-30 days" if days < 30
                 else "30-90 days" if days < 90 else "90+ days")
        buckets[(slug, label)].append(days)
    return {key: (len(ages), float(int(max(ages)))) for key, ages in buckets.items()}


def runs(raw: RawApi, params: MetricParams) -> Iterable[tuple[str, dict[str, Any]]]:
    for slug in chosen(raw, params):
        for run in raw.pipelines[slug]:
            if in_range(timestamp(run["created_on"]), params):
                yield slug, run


def _result(run: dict[str, Any]) -> str | None:
    return ((run.get("state") or {}).get("result") or {}).get("name")


def pipeline_success_rate(raw: RawApi, params: MetricParams) -> Rows:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for slug, run in runs(raw, params):
        result = _result(run)
        if result in ("SUCCESSFUL", "FAILED", "ERROR"):
            counts[slug][0 if result == "SUCCESSFUL" else 1] += 1
    return {(slug,): (ok + bad, ok, bad, ok / (ok + bad)) for slug, (ok, bad) in counts.items()}


def pipeline_duration(raw: RawApi, params: MetricParams) -> Rows:
    durations: dict[str, list[float]] = defaultdict(list)
    for slug, run in runs(raw, params):
        completed_on = timestamp(run.get("completed_on"))
        if run["state"]["name"] == "COMPLETED" and completed_on is not None:
            created_on = timestamp(run["created_on"])
            assert created_on is not None
            durations[slug].append((completed_on - created_on).total_seconds() / 60)
    return {(slug,): summary(values) for slug, values in durations.items()}


def failed_pipelines_by_branch(raw: RawApi, params: MetricParams) -> Rows:
    failures: dict[tuple[str, str], list[dt.datetime]] = defaultdict(list)
    for slug, run in runs(raw, params):
        if _result(run) in ("FAILED", "ERROR"):
            branch = (run.get("target") or {}).get("ref_name") or "(no branch)"
            created_on = timestamp(run["created_on"])
            assert created_on is not None
            failures[(slug, branch)].append(created_on)
    return {key: (len(moments), max(moments)) for key, moments in failures.items()}


def deployments(raw: RawApi, params: MetricParams) -> Iterable[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Deployments completed in the range with their environment (deployments whose environment
    is unknown are left out, as the SQL's inner join does)."""
    for slug in chosen(raw, params):
        environments = {env["uuid"]: env for env in raw.environments[slug]}
        for deployment in raw.deployments[slug]:
            environment = environments.get((deployment.get("environment") or {}).get("uuid"))
            if environment is not None and in_range(timestamp(deployment["state"].get("completed_on")), params):
                yield slug, deployment, environment


def _status(deployment: dict[str, Any]) -> str | None:
    return ((deployment.get("state") or {}).get("status") or {}).get("name")


def deployment_frequency(raw: RawApi, params: MetricParams) -> Rows:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for slug, deployment, environment in deployments(raw, params):
        if _status(deployment) == "SUCCESSFUL":
            counts[(environment["name"], slug)] += 1
    weeks = (params.end_instant - params.start_instant).total_seconds() / (7 * 86400)
    return {key: (count, count / weeks) for key, count in counts.items()}


def _production(environment: dict[str, Any]) -> bool:
    return (environment.get("environment_type") or {}).get("name") == "Production"


def lead_time(raw: RawApi, params: MetricParams) -> Rows:
    durations: dict[str, list[float]] = defaultdict(list)
    for slug, deployment, environment in deployments(raw, params):
        if _production(environment) and _status(deployment) == "SUCCESSFUL":
            authored = {commit["hash"]: timestamp(commit["date"]) for commit in raw.commits[slug]}
            commit_date = authored.get((deployment.get("commit") or {}).get("hash"))
            completed_on = timestamp(deployment["state"]["completed_on"])
            if commit_date is not None and completed_on is not None:
                durations[slug].append(hours(completed_on, commit_date))
    return {(slug,): summary(values) for slug, values in durations.items()}


def change_failure_rate(raw: RawApi, params: MetricParams) -> Rows:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for slug, deployment, environment in deployments(raw, params):
        status = _status(deployment)
        if _production(environment) and status in ("SUCCESSFUL", "FAILED"):
            counts[slug][0] += 1
            counts[slug][1] += status == "FAILED"
    return {(slug,): (total, failed, failed / total) for slug, (total, failed) in counts.items()}


#: metric -> (its computation by hand, how many leading columns form the row's key)
BY_HAND: dict[str, tuple[Callable[[RawApi, MetricParams], Rows], int]] = {
    "pr_throughput": (pr_throughput, 2),
    "time_to_first_review": (time_to_first_review, 1),
    "time_to_merge": (time_to_merge, 1),
    "review_load": (review_load, 1),
    "open_prs_by_age": (open_prs_by_age, 2),
    "pipeline_success_rate": (pipeline_success_rate, 1),
    "pipeline_duration": (pipeline_duration, 1),
    "failed_pipelines_by_branch": (failed_pipelines_by_branch, 2),
    "deployment_frequency": (deployment_frequency, 2),
    "lead_time": (lead_time, 1),
    "change_failure_rate": (change_failure_rate, 1),
}


def as_rows(rows: list[tuple[Any, ...]], key_width: int) -> Rows:
    keyed = {tuple(row[:key_width]): tuple(row[key_width:]) for row in rows}
    assert len(keyed) == len(rows), "a metric's key columns identify its rows"
    return keyed


def assert_same(engine: Rows, by_hand: Rows) -> None:
    assert set(engine) == set(by_hand)
    for key, values in by_hand.items():
        for got, want in zip(engine[key], values, strict=True):
            if isinstance(want, float):
                assert got == pytest.approx(want, rel=1e-9, abs=1e-9), key
            else:
                assert got == want, key


@pytest.fixture(scope="module")
def source(demo_emulator: Any) -> Any:
    from _helpers_connect import connection_string_for

    live = LiveSource.connect(connection_string_for(demo_emulator))
    yield live
    live.close()


def test_every_metric_is_checked() -> None:
    assert set(BY_HAND) == {metric.name for metric in METRICS}


@pytest.mark.parametrize("days", [90, 30])
@pytest.mark.parametrize("name", list(BY_HAND))
def test_metric_equals_the_raw_api(name: str, days: int, source: Any, raw: RawApi) -> None:
    compute, key_width = BY_HAND[name]
    params = ALL if days == 90 else LAST_30_DAYS
    result = source.run(get_metric(name), params)
    expected = compute(raw, params)
    assert expected, f"the demo data should give {name} rows over the last {days} days"
    assert_same(as_rows(result.rows, key_width), expected)


@pytest.mark.parametrize("name", list(BY_HAND))
def test_metric_filtered_to_two_repositories(name: str, source: Any, raw: RawApi) -> None:
    compute, key_width = BY_HAND[name]
    narrowed = MetricParams("acme", repositories=("api", "web"), start=ALL.start, end=ALL.end)
    result = source.run(get_metric(name), narrowed)
    assert_same(as_rows(result.rows, key_width), compute(raw, narrowed))
