"""What the metrics cost live: each pushes its filters into the requests (EXPLAIN shows them),
a repository filter becomes request URLs, and metrics over the same rows share one cached scan."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import pytest
from raw_api import DEMO_ANCHOR, RawApi, timestamp

from _helpers_connect import connection_string_for
from bitbucket_sql.metrics import LiveSource, MetricParams, get_metric, render

TODAY = DEMO_ANCHOR
RANGE = {"start": TODAY - dt.timedelta(days=89), "end": TODAY}
#: metrics that read one listing per repository: the pull requests or the pipelines of the range
ONE_LISTING = (
    "pr_throughput", "time_to_merge", "review_load", "open_prs_by_age",
    "pipeline_success_rate", "pipeline_duration", "failed_pipelines_by_branch",
)


@pytest.fixture
def uncached(demo_emulator: Any) -> Iterator[LiveSource]:
    """A source without caches: every run reaches the API, so its requests are its own."""
    source = LiveSource.connect(connection_string_for(demo_emulator, CacheTTL="0"))
    yield source
    source.close()


@pytest.fixture
def cached(demo_emulator: Any) -> Iterator[LiveSource]:
    source = LiveSource.connect(connection_string_for(demo_emulator, CacheTTL="300"))
    yield source
    source.close()


def plan(source: LiveSource, name: str, params: MetricParams) -> str:
    sql, values = render(get_metric(name), params)
    return "\n".join(line for (line,) in source.engine.explain(sql, values).rows)


@pytest.mark.parametrize("name", ONE_LISTING)
def test_one_request_per_repository(name: str, uncached: LiveSource, raw: RawApi) -> None:
    everywhere = uncached.run(get_metric(name), MetricParams("acme", **RANGE))
    assert everywhere.requests == 1 + len(raw.repositories)  # the repository listing, then one per repository
    one = uncached.run(get_metric(name), MetricParams("acme", repositories=("api",), **RANGE))
    assert one.requests == 1


def test_pull_request_filters_travel_as_bbql(uncached: LiveSource) -> None:
    text = plan(uncached, "pr_throughput", MetricParams("acme", repositories=("api",), **RANGE))
    assert "keys from filters: repository IN ('api')" in text
    assert 'q: state = "MERGED" AND updated_on >= ' in text
    assert "local:" not in text


def test_pipeline_range_stops_early(uncached: LiveSource) -> None:
    text = plan(uncached, "pipeline_success_rate", MetricParams("acme", **RANGE))
    assert "sort: -created_on   range early stop" in text


def test_first_review_reads_activity_of_the_range_only(uncached: LiveSource, raw: RawApi) -> None:
    params = MetricParams("acme", repositories=("api",), **RANGE)
    opened = [pr for pr in raw.pull_requests["api"]
              if params.start_instant <= timestamp(pr["created_on"]) < params.end_instant]  # type: ignore[operator]
    result = uncached.run(get_metric("time_to_first_review"), params)
    assert result.requests == 1 + len(opened)


def test_deployment_metrics_read_deployments_and_environments(uncached: LiveSource, raw: RawApi) -> None:
    params = MetricParams("acme", repositories=("api",), **RANGE)
    assert uncached.run(get_metric("deployment_frequency"), params).requests == 2
    assert uncached.run(get_metric("change_failure_rate"), params).requests == 2
    commit_pages = max(1, math.ceil(len(raw.commits["api"]) / 100))
    assert uncached.run(get_metric("lead_time"), params).requests == 2 + commit_pages


def test_metrics_over_the_same_rows_share_the_cached_scan(cached: LiveSource) -> None:
    params = MetricParams("acme", **RANGE)
    assert cached.run(get_metric("pr_throughput"), params).requests > 0
    assert cached.run(get_metric("time_to_merge"), params).requests == 0
    assert cached.run(get_metric("pipeline_success_rate"), params).requests > 0
    assert cached.run(get_metric("pipeline_duration"), params).requests == 0
    assert cached.run(get_metric("failed_pipelines_by_branch"), params).requests == 0
    deployments = cached.run(get_metric("deployment_frequency"), params)
    failures = cached.run(get_metric("change_failure_rate"), params)
    assert failures.requests < deployments.requests  # the deployments listings come from the cache
