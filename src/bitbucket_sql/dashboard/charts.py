"""One bar chart per metric, drawn from the metric's records with plotly's graph objects.

Every bar whose row belongs to a repository carries that repository in ``customdata``, which is
what cross-filtering reads: clicking it makes the repository the dashboard's filter. Graph
objects (not plotly express) keep the dashboard free of a dataframe library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

#: at most this many categories on a chart's x axis (the table view shows every row)
MAX_CATEGORIES = 20
#: longer x labels (branch names) are cut on the axis; the bar's hover and the table have them whole
MAX_LABEL = 24
#: legend entries per line above a chart (it is about 460 pixels wide)
LEGEND_PER_LINE = 4


@dataclass(frozen=True)
class ChartSpec:
    """How a metric is drawn: x column, value columns (one trace each) or one value column split
    by ``color`` (one trace per value), axis title, percent axis, stacked or grouped bars."""

    x: str
    values: tuple[str, ...]
    y_title: str
    color: str | None = None
    stacked: bool = False
    percent: bool = False
    max_categories: int = MAX_CATEGORIES
    #: what clicking a bar does, shown under the chart
    hint: str = "Click a bar to filter every chart to its repository."


CHARTS: dict[str, ChartSpec] = {
    "pr_throughput": ChartSpec("week", ("merged",), "merged pull requests", color="repository", stacked=True),
    "time_to_first_review": ChartSpec("repository", ("median_hours", "p90_hours"), "hours"),
    "time_to_merge": ChartSpec("repository", ("median_hours", "p90_hours"), "hours"),
    "review_load": ChartSpec(
        "reviewer", ("review_requests", "still_open"), "pull requests", hint="Reviewers of the filtered pull requests."
    ),
    "open_prs_by_age": ChartSpec("repository", ("open_prs",), "open pull requests", color="age", stacked=True),
    "pipeline_success_rate": ChartSpec("repository", ("success_rate",), "successful runs", percent=True),
    "pipeline_duration": ChartSpec("repository", ("median_minutes", "p90_minutes"), "minutes"),
    "failed_pipelines_by_branch": ChartSpec(
        "branch", ("failed",), "failed runs", color="repository", stacked=True, max_categories=12
    ),
    "deployment_frequency": ChartSpec("repository", ("deployments",), "successful deployments", color="environment"),
    "lead_time": ChartSpec("repository", ("median_hours", "p90_hours"), "hours"),
    "change_failure_rate": ChartSpec("repository", ("change_failure_rate",), "failed production deployments", percent=True),
}

#: legend names of value columns (the others are shown as named)
LABELS = {
    "median_hours": "median",
    "p90_hours": "90th percentile",
    "median_minutes": "median",
    "p90_minutes": "90th percentile",
    "review_requests": "review requests",
    "still_open": "still open",
}


def _top_categories(records: list[dict[str, Any]], spec: ChartSpec) -> list[Any]:
    """The x categories to draw, in the metric's order, the biggest first when there are too many."""
    totals: dict[Any, float] = {}
    for record in records:
        totals[record[spec.x]] = totals.get(record[spec.x], 0.0) + float(record[spec.values[0]] or 0)
    categories = list(totals)
    if len(categories) > spec.max_categories:
        keep = set(sorted(categories, key=lambda c: -totals[c])[: spec.max_categories])
        categories = [c for c in categories if c in keep]
    return categories


def _bar(name: str, rows: list[dict[str, Any]], spec: ChartSpec, value: str) -> go.Bar:
    return go.Bar(
        name=name,
        x=[row[spec.x] for row in rows],
        y=[row[value] for row in rows],
        customdata=[row.get("repository") for row in rows],
    )


def figure(metric_name: str, title: str, records: list[dict[str, Any]]) -> go.Figure:
    """The metric's chart; an explicit 'no data' figure when the range holds no rows."""
    spec = CHARTS[metric_name]
    fig = go.Figure()
    categories = _top_categories(records, spec) if records else []
    shown = [record for record in records if record[spec.x] in set(categories)]
    if spec.color:
        groups: dict[Any, list[dict[str, Any]]] = {}
        for record in shown:
            groups.setdefault(record[spec.color], []).append(record)
        for group, rows in groups.items():
            fig.add_trace(_bar(str(group), rows, spec, spec.values[0]))
    else:
        for value in spec.values:
            fig.add_trace(_bar(LABELS.get(value, value), shown, spec, value))
    legend_lines = -(-len(fig.data) // LEGEND_PER_LINE)  # above the plot, under the title
    fig.update_layout(
        title={"text": title, "x": 0.01, "y": 0.98, "yanchor": "top"},
        barmode="stack" if spec.stacked else "group",
        margin={"l": 50, "r": 10, "t": 36 + 20 * max(legend_lines, 2), "b": 40},
        height=340,
        legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0, "font": {"size": 10}},
        yaxis={"title": {"text": spec.y_title}, "tickformat": ".0%" if spec.percent else None, "rangemode": "tozero",
               "range": [0, 1.05] if spec.percent else None},
        xaxis={"type": "category", "categoryorder": "array", "categoryarray": categories, "tickangle": -30,
               "automargin": True, "tickvals": categories, "ticktext": [_label(c) for c in categories]},
        clickmode="event",
    )
    if not shown:
        fig.add_annotation(text="no data in this range", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def _label(category: Any) -> str:
    text = str(category)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def error_figure(title: str, message: str) -> go.Figure:
    """What a chart shows when its metric failed (the status line says why, too)."""
    fig = go.Figure()
    fig.update_layout(title={"text": title, "x": 0.01}, height=320, xaxis={"visible": False}, yaxis={"visible": False})
    fig.add_annotation(text=message[:200], showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return fig
