"""PNG charts of a benchmark run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from benchmarks.measure import QueryOutcome, ScalingPoint  # noqa: E402

OURS, BOUND, BASELINE = "#1f77b4", "#2ca02c", "#d62728"


def _bars(axis, labels: list[str], series: list[tuple[str, str, list[float | None]]], xlabel: str) -> None:
    """Horizontal grouped bars on a log axis; missing values are left out, zeros drawn at 0.5."""
    height = 0.8 / len(series)
    positions = range(len(labels))
    for index, (name, colour, values) in enumerate(series):
        ys = [p + (index - (len(series) - 1) / 2) * height for p in positions]
        shown = [(y, v) for y, v in zip(ys, values, strict=True) if v is not None]
        if shown:
            axis.barh(
                [y for y, _ in shown],
                [max(v, 0.5) if "request" in xlabel else max(v, 0.001) for _, v in shown],
                height=height,
                color=colour,
                label=name,
            )
    axis.set_yticks(list(positions))
    axis.set_yticklabels(labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_xscale("log")
    axis.set_xlabel(xlabel)
    axis.grid(axis="x", which="major", alpha=0.3)


def write_chart(outcomes: Sequence[QueryOutcome], latency_ms: float, path: Path) -> None:
    """Requests (left) and time (right) per query: ours, the lower bound, the baseline."""
    labels = [f"{n}. {o.key}" for n, o in enumerate(outcomes, 1)]
    requests = [
        ("bitbucket-sql", OURS, [o.ours.requests if o.ours else None for o in outcomes]),
        ("lower bound", BOUND, [float(o.bound.requests) for o in outcomes]),
        ("atlassian-python-api", BASELINE, [o.baseline.requests if o.baseline else None for o in outcomes]),
    ]
    times = [
        ("bitbucket-sql", OURS, [o.ours.wall_s if o.ours else None for o in outcomes]),
        ("latency bound", BOUND, [o.bound.latency_s(latency_ms) for o in outcomes]),
        ("atlassian-python-api", BASELINE, [o.baseline.wall_s if o.baseline else None for o in outcomes]),
    ]
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 0.45 * len(outcomes) + 2), sharey=True)
    _bars(left, labels, requests, "HTTP requests (log scale)")
    _bars(right, labels, times, "wall time in seconds (log scale)")
    left.set_title("Requests per query")
    right.set_title(f"Time per query ({latency_ms:g} ms per request)")
    left.legend(loc="lower right", fontsize=8)
    right.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_scaling_chart(points: Sequence[ScalingPoint], path: Path) -> None:
    """Requests and time against rows in scope, one line per query (ours solid, bound dashed)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    keys = list(dict.fromkeys(p.key for p in points))
    for index, key in enumerate(keys):
        series = sorted((p for p in points if p.key == key), key=lambda p: p.rows_in_scope)
        colour = f"C{index}"
        xs = [max(p.rows_in_scope, 1) for p in series]
        measured = [(x, p) for x, p in zip(xs, series, strict=True) if p.ours]
        left.plot(xs, [p.bound.requests for p in series], "--", color=colour, alpha=0.6)
        right.plot(xs, [p.bound.latency_s(p.latency_ms) for p in series], "--", color=colour, alpha=0.6)
        if measured:
            left.plot(
                [x for x, _ in measured],
                [p.ours.requests for _, p in measured],
                "o-",
                color=colour,
                label=key,
            )
            right.plot(
                [x for x, _ in measured], [p.ours.wall_s for _, p in measured], "o-", color=colour, label=key
            )
        for x, p in zip(xs, series, strict=True):
            left.annotate(p.scale, (x, p.bound.requests), fontsize=7, alpha=0.7)
    for axis, ylabel in ((left, "HTTP requests"), (right, "wall time (s)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("API rows in the query's scope (log)")
        axis.set_ylabel(ylabel)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    left.set_title("Requests by data size (solid: ours, dashed: lower bound)")
    right.set_title("Time by data size (solid: ours, dashed: latency bound)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
