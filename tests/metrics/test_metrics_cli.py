"""The metrics from the command line: ``bbsql metrics`` lists and shows them, ``bbsql query
--metric NAME -p key=value`` runs one through the engine, with clear errors for bad parameters."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from raw_api import DEMO_ANCHOR

from _helpers_connect import connection_string_for
from bitbucket_sql.cli.main import cli
from bitbucket_sql.metrics import (
    METRICS,
    LiveSource,
    MetricError,
    MetricParams,
    get_metric,
    params_from_pairs,
)

TODAY = DEMO_ANCHOR


@pytest.fixture(scope="module")
def connection(demo_emulator: Any) -> str:
    return connection_string_for(demo_emulator)


@pytest.fixture(scope="module")
def source(connection: str) -> Iterator[LiveSource]:
    live = LiveSource.connect(connection)
    yield live
    live.close()


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"BBSQL_CONNECTION": ""})


def test_metrics_lists_every_metric() -> None:
    result = run("metrics")
    assert result.exit_code == 0
    for metric in METRICS:
        assert metric.name in result.output and metric.title in result.output
    assert result.output.count("(DORA)") == 3


def test_metrics_shows_one_with_its_definition_and_sql() -> None:
    result = run("metrics", "lead_time")
    assert result.exit_code == 0
    assert get_metric("lead_time").definition[:60] in " ".join(result.output.split())
    assert "JOIN {ws}.commits AS c" in result.output


def test_query_metric_answers_like_python(connection: str, source: LiveSource) -> None:
    result = run("query", "-c", connection, "--metric", "time_to_merge", "-p", "repository=api,web",
                 "-p", "days=30", "-f", "json")
    assert result.exit_code == 0, result.output
    expected = source.run(get_metric("time_to_merge"), MetricParams(
        "acme", repositories=("api", "web"), start=TODAY - dt.timedelta(days=29), end=TODAY))
    rows = json.loads(result.stdout)
    assert [row["repository"] for row in rows] == ["api", "web"]
    assert [(row["repository"], row["merged"], row["median_hours"]) for row in rows] == [
        (r[0], r[1], pytest.approx(r[2])) for r in expected.rows]


def test_project_means_its_repositories(source: LiveSource) -> None:
    params = params_from_pairs(["project=api", "start=2026-01-01", "end=2026-03-31"], "acme", source)
    in_api = [slug for slug, project in source.repositories("acme") if project == "API"]
    assert in_api and list(params.repositories) == in_api
    assert (params.first_day, params.last_day) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


@pytest.mark.parametrize(("pairs", "message"), [
    (["colour=red"], "use workspace, repository, project, start, end, days"),
    (["start=yesterday"], "start='yesterday' is not a date; write it as YYYY-MM-DD"),
    (["days=0"], "days='0' must be a whole number of days"),
    (["start=2026-03-01", "end=2026-02-01"], "swap start and end"),
])
def test_bad_parameters_are_named(pairs: list[str], message: str) -> None:
    with pytest.raises(MetricError, match=message.replace("(", r"\(").replace(")", r"\)")):
        params_from_pairs(pairs, "acme")


def test_unknown_metric_and_bad_parameter_are_one_line_errors(connection: str) -> None:
    result = run("query", "-c", connection, "--metric", "lead_tme")
    assert result.exit_code == 1
    assert "unknown metric 'lead_tme'" in result.output and "lead_time" in result.output
    result = run("query", "-c", connection, "--metric", "lead_time", "-p", "since=2026-01-01")
    assert result.exit_code == 1 and "is not key=value with a known key" in result.output
    result = run("query", "-c", connection, "--metric", "lead_time", "SELECT 1")
    assert result.exit_code == 2 and "either SQL or --metric" in result.output
