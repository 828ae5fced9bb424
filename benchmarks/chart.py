"""PNG charts of a benchmark run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.patches import Patch  # noqa: E402

from benchmarks.measure import QueryOutcome, ScalingPoint  # noqa: E402

OURS, BOUND, TUNED, BASELINE = "#1f77b4", "#2ca02c", "#ff7f0e", "#d62728"


def _bars(axis, labels: list[str], series: list[tuple[str, str, list[float | None]]], xlabel: str) -> None:
    """Horizontal grouped bars on a log axis. A log axis cannot show 0, so zeros and values that
    were not measured are written as text at the left edge instead of drawn."""
    series = [entry for entry in series if any(value is not None for value in entry[2])]  # a side not run
    height = 0.8 / len(series)
    positions = range(len(labels))
    for index, (name, colour, values) in enumerate(series):
        ys = [p + (index - (len(series) - 1) / 2) * height for p in positions]
        shown = [(y, v) for y, v in zip(ys, values, strict=True) if v]
        axis.barh([y for y, _ in shown], [v for _, v in shown], height=height, color=colour, label=name)
        for y, value in zip(ys, values, strict=True):
            if not value:
                text = "0" if value == 0 else "not measured"
                axis.annotate(
                    text,
                    (0, y),
                    xycoords=("axes fraction", "data"),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=6,
                    color=colour,
                )
    # Explicit handles: a series drawn with no bars at all (every value 0) would get a wrong swatch.
    handles = [Patch(color=colour, label=name) for name, colour, _ in series]
    axis.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, fontsize=8, frameon=False
    )
    axis.set_yticks(list(positions))
    axis.set_yticklabels(labels, fontsize=8)
    axis.set_xscale("log")
    axis.set_xlabel(xlabel)
    axis.grid(axis="x", which="major", alpha=0.3)


def write_chart(outcomes: Sequence[QueryOutcome], latency_ms: float, path: Path) -> None:
    """Requests (left) and time (right) per query: ours, the lower bound, both baselines."""
    labels = [f"{n}. {o.key}" for n, o in enumerate(outcomes, 1)]
    requests: list[tuple[str, str, list[float | None]]] = [
        ("bitbucket-sql", OURS, [o.ours.requests if o.ours else None for o in outcomes]),
        ("lower bound", BOUND, [float(o.bound.requests) for o in outcomes]),
        (
            "tuned script (requests, 8 threads)",
            TUNED,
            [o.tuned.requests if o.tuned else None for o in outcomes],
        ),
        ("atlassian-python-api", BASELINE, [o.baseline.requests if o.baseline else None for o in outcomes]),
    ]
    times: list[tuple[str, str, list[float | None]]] = [
        ("bitbucket-sql", OURS, [o.ours.wall_s if o.ours else None for o in outcomes]),
        ("latency bound", BOUND, [o.bound.latency_s(latency_ms) for o in outcomes]),
        (
            "tuned script (requests, 8 threads)",
            TUNED,
            [o.tuned.wall_s if o.tuned else None for o in outcomes],
        ),
        ("atlassian-python-api", BASELINE, [o.baseline.wall_s if o.baseline else None for o in outcomes]),
    ]
    figure, (left, right) = plt.subplots(1, 2, figsize=(14, 0.45 * len(outcomes) + 2.5), sharey=True)
    _bars(left, labels, requests, "HTTP requests (log scale)")
    _bars(right, labels, times, "wall time in seconds (log scale)")
    left.invert_yaxis()  # query 1 at the top (the axes share y, so once is enough)
    left.set_title("Requests per query")
    right.set_title(f"Time per query ({latency_ms:g} ms per request)")
    left.set_xlim(left=0.5)  # a bar for 1 request must have a length on the log axis
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_scaling_chart(points: Sequence[ScalingPoint], path: Path) -> None:
    """Requests and time per scale, one colour per query (ours solid, the bound dashed)."""
    scales = list(dict.fromkeys(p.scale for p in points))
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    for index, key in enumerate(dict.fromkeys(p.key for p in points)):
        series = [p for p in points if p.key == key]
        xs = [scales.index(p.scale) for p in series]
        colour = f"C{index}"
        left.plot(xs, [max(p.bound.requests, 0.5) for p in series], "--", color=colour, alpha=0.6)
        right.plot(xs, [p.bound.latency_s(p.latency_ms) for p in series], "--", color=colour, alpha=0.6)
        measured = [(x, p.ours) for x, p in zip(xs, series, strict=True) if p.ours is not None]
        left.plot([x for x, _ in measured], [o.requests for _, o in measured], "o-", color=colour, label=key)
        right.plot([x for x, _ in measured], [o.wall_s for _, o in measured], "o-", color=colour, label=key)
    for axis, ylabel in ((left, "HTTP requests (log)"), (right, "wall time in seconds (log)")):
        axis.set_xticks(range(len(scales)))
        axis.set_xticklabels(scales)
        axis.set_xlabel("emulator scale")
        axis.set_yscale("log")
        axis.set_ylabel(ylabel)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    left.set_title("Requests by scale (solid: ours, dashed: lower bound)")
    right.set_title("Time by scale (solid: ours, dashed: latency bound)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
