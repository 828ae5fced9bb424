"""The dashboard in a real headless Chromium, on the emulator's demo data (small scale, ending
today, on the last 90 days as ``bbsql dashboard --demo`` opens): every chart draws bars, nothing
fails in the browser, clicking a bar filters the other charts, the 30-day preset changes them and
still has bars in every chart, the table downloads as CSV, another workspace redraws every chart
over its own repositories.

Screenshots are taken on every run; with BBSQL_UPDATE_SCREENSHOTS=1 they replace
docs/dashboard.png and docs/dashboard-filtered.png (shown in the README and docs/dashboard.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import (
    DEMO_ANCHOR,
    chart_annotations,
    chart_data,
    require_dash,
    severe_console_entries,
    start_chromium,
    wait_for,
)

from bitbucket_sql.metrics import METRICS, LiveSource, MetricParams, get_metric

require_dash()

from bitbucket_sql.dashboard import create_app, running_dashboard  # noqa: E402 - after the Dash check
from bitbucket_sql.dashboard.charts import CHARTS as CHARTS_SPEC  # noqa: E402
from bitbucket_sql.dashboard.charts import LABELS  # noqa: E402

DOCS = Path(__file__).resolve().parents[2] / "docs"
DAYS = 90
CHARTS = [f"chart-{metric.name}" for metric in METRICS]


@pytest.fixture(scope="module")
def source(demo_connection: str) -> Iterator[LiveSource]:
    live = LiveSource.connect(demo_connection)
    yield live
    live.close()


@pytest.fixture(scope="module")
def dashboard_url(source: LiveSource) -> Iterator[str]:
    with running_dashboard(create_app(source, days=DAYS)) as server:
        yield server.url


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(dashboard_url: str, downloads: Path) -> Iterator[Any]:
    driver = start_chromium(downloads)
    try:
        driver.get(dashboard_url)
        wait_until_drawn(driver)
        yield driver
    finally:
        driver.quit()


def status(driver: Any) -> str:
    return str(driver.find_element("id", "status").text)


def wait_until_drawn(driver: Any, scope_text: str | None = None) -> None:
    """Until the status names the expected scope and every chart has bars or says it has none."""
    wait_for(lambda: "Requests spent" in status(driver) and (scope_text is None or scope_text in status(driver)),
             what=f"the status line{f' with {scope_text!r}' if scope_text else ''}")
    wait_for(lambda: all(chart_data(driver, chart) or chart_annotations(driver, chart) for chart in CHARTS),
             what="every chart drawn")


def bar_count(driver: Any, chart: str) -> int:
    return sum(len(trace["x"] or []) for trace in chart_data(driver, chart))


def screenshot(driver: Any, tmp_path: Path, name: str, height: int) -> Path:
    driver.set_window_size(1400, height)
    path = tmp_path / name
    assert driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000  # a drawn page, not a blank one
    if os.environ.get("BBSQL_UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, DOCS / name)
    return path


def drawn_bars(driver: Any, chart: str) -> dict[tuple[str, Any], Any]:
    """(trace name, x) -> bar height, as plotly drew them."""
    return {(trace["name"], x): y for trace in chart_data(driver, chart)
            for x, y in zip(trace["x"] or [], trace["y"] or [], strict=True)}


def expected_bars(records: list[dict[str, Any]], name: str) -> dict[tuple[str, Any], Any]:
    """(trace name, x) -> value from the metric's rows: one trace per value column, or per value
    of the chart's colour column (repository, environment, age bucket)."""
    spec = CHARTS_SPEC[name]
    if spec.color:
        return {(str(r[spec.color]), r[spec.x]): r[spec.values[0]] for r in records}
    return {(LABELS.get(value, value), r[spec.x]): r[value] for r in records for value in spec.values}


def test_every_chart_renders_with_data(browser: Any, source: LiveSource, tmp_path: Path) -> None:
    today = DEMO_ANCHOR
    params = MetricParams("acme", start=today - dt.timedelta(days=DAYS - 1), end=today)
    for metric in METRICS:
        chart = f"chart-{metric.name}"
        expected = source.run(metric, params)  # cached: the dashboard just ran the same query
        assert expected.rows, f"{metric.name} has no rows on the demo data"
        assert bar_count(browser, chart) > 0, f"{metric.title} drew no bars"
        assert chart_annotations(browser, chart) == [], f"{metric.title} shows {chart_annotations(browser, chart)}"
        # the bars are the metric's numbers (the biggest categories when there are too many)
        drawn, wanted = drawn_bars(browser, chart), expected_bars(expected.records(), metric.name)
        categories = {x for _, x in drawn}
        spec = CHARTS_SPEC[metric.name]
        assert len(categories) == min(len({x for _, x in wanted}), spec.max_categories), metric.name
        assert drawn == pytest.approx({key: value for key, value in wanted.items() if key[1] in categories}), \
            metric.name
    assert "Requests spent:" in status(browser)
    assert "Rate limit:" in status(browser) and "left" in status(browser)
    assert not browser.find_elements("id", "status-errors")
    definitions = browser.find_element("id", "definitions").text
    for metric in METRICS:
        assert metric.title in definitions
    assert "DORA" in browser.find_element("id", "definition-lead_time").text
    table_cells = browser.find_elements("css selector", "#table td")
    assert len(table_cells) >= len(source.run(METRICS[0], params).columns)  # the table view shows rows
    assert severe_console_entries(browser) == []
    screenshot(browser, tmp_path, "dashboard.png", 2860)  # down to the DORA charts


def test_clicking_a_bar_filters_the_other_charts(browser: Any, tmp_path: Path) -> None:
    merge = chart_data(browser, "chart-time_to_merge")
    repository = merge[0]["customdata"][0]
    assert len({slug for trace in chart_data(browser, "chart-pipeline_success_rate") for slug in trace["x"]}) > 1
    bar = browser.find_elements("css selector", "#chart-time_to_merge .bars .point path")[0]
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).move_to_element(bar).pause(0.3).click().perform()
    wait_until_drawn(browser, f"acme: {repository},")
    for chart in ("chart-pipeline_success_rate", "chart-time_to_first_review", "chart-time_to_merge"):
        wait_for(lambda chart=chart: {x for t in chart_data(browser, chart) for x in t["x"]} == {repository},
                 what=f"{chart} to show only {repository}")
    for chart in CHARTS:
        if chart != "chart-review_load":  # reviewers, not repositories
            shown = {slug for trace in chart_data(browser, chart) for slug in trace["customdata"] or []}
            assert shown <= {repository}, f"{chart} still shows {shown - {repository}}"
    throughput = chart_data(browser, "chart-pr_throughput")
    assert {trace["name"] for trace in throughput} == {repository}
    assert severe_console_entries(browser) == []
    screenshot(browser, tmp_path, "dashboard-filtered.png", 1100)
    browser.find_element("id", "clear").click()
    wait_until_drawn(browser, "acme: all repositories,")


def test_a_shorter_date_range_changes_the_charts(browser: Any) -> None:
    before = bar_count(browser, "chart-pr_throughput")
    label = next(e for e in browser.find_elements("css selector", "#preset label") if e.text.strip() == "30 days")
    label.click()
    start = (DEMO_ANCHOR - dt.timedelta(days=29)).isoformat()
    wait_until_drawn(browser, f"{start} to")
    wait_for(lambda: 0 < bar_count(browser, "chart-pr_throughput") < before, what="fewer throughput bars")
    for chart in CHARTS:  # the demo is busy up to its last day: a month has data in every chart
        assert bar_count(browser, chart) > 0, f"{chart} drew no bars for the last 30 days"
        assert chart_annotations(browser, chart) == [], f"{chart} shows {chart_annotations(browser, chart)}"
    label = next(e for e in browser.find_elements("css selector", "#preset label") if e.text.strip() == f"{DAYS} days")
    label.click()
    wait_until_drawn(browser, f"{(DEMO_ANCHOR - dt.timedelta(days=DAYS - 1)).isoformat()} to")


def test_table_downloads_as_csv(browser: Any, downloads: Path, source: LiveSource) -> None:
    today = DEMO_ANCHOR
    expected = source.run(get_metric("pr_throughput"), MetricParams("acme", start=today - dt.timedelta(days=DAYS - 1),
                                                                    end=today))
    browser.find_element("id", "download-button").click()
    target = downloads / "pr_throughput.csv"
    wait_for(target.exists, what="the downloaded CSV")
    with target.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == expected.columns
    assert rows[1:] == [[str(value) for value in record.values()] for record in expected.records()]


def choose_workspace(driver: Any, workspace: str) -> None:
    driver.find_element("id", "workspace").click()
    option = wait_for(lambda: next((o for o in driver.find_elements("css selector", "[role=listbox] [role=option]")
                                    if o.text.strip() == workspace), None), what=f"the {workspace} option")
    option.click()
    wait_until_drawn(driver, f"{workspace}: all repositories,")


def test_the_workspace_filter_switches_every_chart(browser: Any, source: LiveSource) -> None:
    choose_workspace(browser, "globex")
    globex = {slug for slug, _ in source.repositories("globex")}
    wait_for(lambda: {x for t in chart_data(browser, "chart-time_to_merge") for x in t["x"]} <= globex,
             what="time to merge over globex's repositories")
    for chart in CHARTS:
        if chart != "chart-review_load":  # reviewers, not repositories
            shown = {slug for trace in chart_data(browser, chart) for slug in trace["customdata"] or []}
            assert shown <= globex, f"{chart} shows {shown - globex} outside globex"
    assert bar_count(browser, "chart-pr_throughput") > 0
    assert severe_console_entries(browser) == []
    choose_workspace(browser, "acme")
