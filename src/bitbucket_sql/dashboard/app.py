"""The Dash app: filters, one chart per metric, a table with CSV download, the definitions.

The app is a thin view: every number comes from :mod:`bitbucket_sql.metrics` through a
:class:`~bitbucket_sql.metrics.MetricSource` (live engine or sync file). One callback runs the
metrics for the current filters and keeps their rows in a store; the charts, the table and the
download are drawn from that store, so changing the table's metric costs no request. Clicking a
bar sets the repository filter to the bar's repository (cross-filtering): the metrics run again
with ``repository IN (...)``, which the engine turns into request URLs for that repository only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import warnings
from typing import Any

import dash
from dash import Input, Output, State, ctx, dash_table, dcc, html

from bitbucket_sql.dashboard.charts import CHARTS, error_figure, figure
from bitbucket_sql.metrics import METRICS, MetricParams, MetricSource

#: the date-range presets offered beside the date picker, in days
PRESETS = (30, 90, 180, 365)

_CARD = {"border": "1px solid #ddd", "borderRadius": "6px", "padding": "6px", "background": "white"}


def _chart_id(name: str) -> str:
    return f"chart-{name}"


def _definitions() -> html.Div:
    """Every metric's definition; the DORA ones first, as the page's reference."""
    ordered = sorted(METRICS, key=lambda metric: not metric.dora)
    items = [
        html.Li(
            [html.B(metric.title + (" (DORA)" if metric.dora else "") + ": "), metric.definition],
            id=f"definition-{metric.name}",
        )
        for metric in ordered
    ]
    return html.Div(
        [html.H2("Definitions"), html.Ul(items)],
        id="definitions",
        style={**_CARD, "marginTop": "12px", "fontSize": "14px"},
    )


def _filters(source: MetricSource, days: int) -> html.Div:
    workspaces = source.workspaces()
    today = dt.datetime.now(dt.UTC).date()
    return html.Div(
        [
            html.Div([html.Label("Workspace"), dcc.Dropdown(
                id="workspace", options=workspaces, value=workspaces[0] if workspaces else None, clearable=False
            )], style={"width": "180px"}),
            html.Div([html.Label("Project"), dcc.Dropdown(id="project", options=[], value=None, placeholder="all")],
                     style={"width": "160px"}),
            html.Div([html.Label("Repositories"), dcc.Dropdown(
                id="repository", options=[], value=[], multi=True, placeholder="all"
            )], style={"minWidth": "260px", "flex": "1"}),
            html.Div([html.Label("Date range"), dcc.DatePickerRange(
                id="dates",
                start_date=(today - dt.timedelta(days=days - 1)).isoformat(),
                end_date=today.isoformat(),
                display_format="YYYY-MM-DD",
            )]),
            html.Div([html.Label("Last"), dcc.RadioItems(
                id="preset",
                options=[{"label": f" {n} days", "value": n} for n in PRESETS],
                value=days if days in PRESETS else None,
                inline=True,
                inputStyle={"marginLeft": "8px"},
            )]),
            html.Button("Clear filters", id="clear", n_clicks=0, style={"height": "36px", "alignSelf": "end"}),
        ],
        style={"display": "flex", "gap": "14px", "flexWrap": "wrap", "alignItems": "end", **_CARD},
    )


def _charts() -> html.Div:
    cells = []
    for metric in METRICS:
        spec = CHARTS[metric.name]
        cells.append(html.Div(
            [dcc.Graph(id=_chart_id(metric.name), config={"displaylogo": False}),
             html.Div(spec.hint, style={"fontSize": "12px", "color": "#666"})],
            style=_CARD,
        ))
    return html.Div(
        cells,
        style={"display": "grid", "gridTemplateColumns": "repeat(auto-fill, minmax(460px, 1fr))", "gap": "12px",
               "marginTop": "12px"},
    )


def _table() -> html.Div:
    return html.Div(
        [
            html.H2("Table"),
            html.Div([
                dcc.Dropdown(id="table-metric", options=[{"label": m.title, "value": m.name} for m in METRICS],
                             value=METRICS[0].name, clearable=False, style={"width": "320px"}),
                html.Button("Download CSV", id="download-button", n_clicks=0),
                dcc.Download(id="download"),
            ], style={"display": "flex", "gap": "12px", "alignItems": "center"}),
            _data_table(),
        ],
        style={**_CARD, "marginTop": "12px"},
    )


def _data_table() -> Any:
    """Dash 4 announces DataTable's move out of the built-in components (to dash-ag-grid) in a
    future major version; it is still built in, so the notice is not shown to every user."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*The dash_table.DataTable will be removed", category=DeprecationWarning)
        return dash_table.DataTable(  # type: ignore[attr-defined]  # generated component, not in the stubs
            id="table", page_size=15, sort_action="native",
            style_table={"overflowX": "auto", "marginTop": "8px"},
            style_cell={"fontFamily": "sans-serif", "fontSize": "13px"},
        )


def create_app(source: MetricSource, *, days: int = 90, title: str = "Bitbucket engineering metrics") -> dash.Dash:
    """The dashboard over ``source``; ``days`` is the initial date range (ending today)."""
    app = dash.Dash(__name__, title=title, serve_locally=True)
    origin = "live through the engine (cached)" if source.live else "from a sync file: no requests"
    app.layout = html.Div(
        [
            html.H1(title, style={"margin": "4px 0"}),
            html.Div(f"Data: {origin}", id="origin", style={"color": "#555"}),
            _filters(source, days),
            dcc.Loading(html.Div(id="status", style={"margin": "8px 2px", "fontSize": "14px"}), type="dot"),
            dcc.Store(id="results"),
            _charts(),
            _table(),
            _definitions(),
        ],
        style={"fontFamily": "sans-serif", "background": "#f6f7f9", "padding": "12px"},
    )
    _register_callbacks(app, source)
    return app


def _register_callbacks(app: dash.Dash, source: MetricSource) -> None:
    chart_ids = [_chart_id(metric.name) for metric in METRICS]
    spent: dict[str, int] = {"total": 0}

    @app.callback(
        Output("project", "options"),
        Output("repository", "options"),
        Input("workspace", "value"),
        Input("project", "value"),
    )
    def repository_options(workspace: str | None, project: str | None) -> tuple[list[str], list[str]]:
        if not workspace:
            return [], []
        repositories = source.repositories(workspace)
        projects = sorted({key for _, key in repositories if key})
        slugs = [slug for slug, key in repositories if not project or key == project]
        return projects, slugs

    @app.callback(
        Output("repository", "value"),
        Output("project", "value"),
        Input("workspace", "value"),
        Input("clear", "n_clicks"),
        *[Input(chart_id, "clickData") for chart_id in chart_ids],
        prevent_initial_call=True,
    )
    def cross_filter(workspace: str | None, _clear: int, *_clicks: Any) -> tuple[Any, Any]:
        """A clicked bar's repository becomes the filter (the project stays); a new workspace or
        Clear resets both."""
        trigger = ctx.triggered_id
        if trigger in ("workspace", "clear"):
            return [], None
        click = ctx.triggered[0]["value"] if ctx.triggered else None
        points = (click or {}).get("points") or []
        repository = points[0].get("customdata") if points else None
        if not repository:
            return dash.no_update, dash.no_update
        return [repository], dash.no_update

    @app.callback(
        Output("dates", "start_date"),
        Output("dates", "end_date"),
        Input("preset", "value"),
        prevent_initial_call=True,
    )
    def preset_range(days: int | None) -> tuple[Any, Any]:
        if not days:
            return dash.no_update, dash.no_update
        today = dt.datetime.now(dt.UTC).date()
        return (today - dt.timedelta(days=days - 1)).isoformat(), today.isoformat()

    @app.callback(
        Output("results", "data"),
        Output("status", "children"),
        Input("workspace", "value"),
        Input("project", "value"),
        Input("repository", "value"),
        Input("dates", "start_date"),
        Input("dates", "end_date"),
    )
    def run_metrics(
        workspace: str | None, project: str | None, repositories: list[str] | None, start: str | None, end: str | None
    ) -> tuple[dict[str, Any], list[Any]]:
        if not workspace:
            return {}, ["Choose a workspace."]
        chosen = list(repositories or [])
        if project and not chosen:
            chosen = [slug for slug, key in source.repositories(workspace) if key == project]
        params = MetricParams(
            workspace=workspace,
            repositories=tuple(chosen),
            start=dt.date.fromisoformat(start[:10]) if start else None,
            end=dt.date.fromisoformat(end[:10]) if end else None,
        )
        results: dict[str, Any] = {}
        requests = 0
        errors: list[str] = []
        for metric in METRICS:
            try:
                result = source.run(metric, params)
            except Exception as error:  # noqa: BLE001 - one failing metric must not blank the page
                message = str(error).splitlines()[0] if str(error) else type(error).__name__
                results[metric.name] = {"error": message}
                errors.append(f"{metric.title}: {message}")
                continue
            requests += result.requests
            results[metric.name] = {"columns": result.columns, "records": result.records(),
                                    "requests": result.requests}
        spent["total"] += requests
        return results, _status(source, params, requests, spent["total"], errors)

    @app.callback(*[Output(chart_id, "figure") for chart_id in chart_ids], Input("results", "data"))
    def draw(results: dict[str, Any] | None) -> list[Any]:
        figures = []
        for metric in METRICS:
            entry = (results or {}).get(metric.name) or {"records": []}
            if "error" in entry:
                figures.append(error_figure(metric.title, entry["error"]))
            else:
                figures.append(figure(metric.name, metric.title, entry["records"]))
        return figures

    @app.callback(
        Output("table", "data"),
        Output("table", "columns"),
        Input("results", "data"),
        Input("table-metric", "value"),
    )
    def table(results: dict[str, Any] | None, name: str) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        entry = (results or {}).get(name) or {}
        columns = entry.get("columns") or []
        return entry.get("records") or [], [{"name": column, "id": column} for column in columns]

    @app.callback(
        Output("download", "data"),
        Input("download-button", "n_clicks"),
        State("results", "data"),
        State("table-metric", "value"),
        prevent_initial_call=True,
    )
    def download(_clicks: int, results: dict[str, Any] | None, name: str) -> Any:
        entry = (results or {}).get(name) or {}
        return dcc.send_string(records_to_csv(entry.get("columns") or [], entry.get("records") or []), f"{name}.csv")


def records_to_csv(columns: list[str], records: list[dict[str, Any]]) -> str:
    """The table as CSV text (header, then one line per row)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def _status(
    source: MetricSource, params: MetricParams, requests: int, total: int, errors: list[str]
) -> list[Any]:
    scope = ", ".join(params.repositories) if params.repositories else "all repositories"
    parts: list[Any] = [
        html.Span(f"{params.workspace}: {scope}, {params.first_day} to {params.last_day}. ", id="status-scope"),
    ]
    if source.live:
        parts.append(html.Span(f"Requests spent: {requests} for this view, {total} since the dashboard started. ",
                               id="status-requests"))
        limit = source.rate_limit()
        if limit is not None:
            parts.append(html.Span(
                f"Rate limit: {limit.used_last_hour} of {limit.limit} requests used in the last hour, "
                f"{limit.remaining} left.", id="status-rate-limit"))
    else:
        parts.append(html.Span("Requests spent: 0 (sync file).", id="status-requests"))
    if errors:
        parts.append(html.Div([html.B("Errors: "), "; ".join(errors)], id="status-errors", style={"color": "#b00"}))
    return parts
