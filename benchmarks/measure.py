"""What one side (ours or the baseline) measured for one query, and the whole run's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.compare import Difference
from benchmarks.schedule import Bound


@dataclass
class SideResult:
    """One side's answer and cost for one query.

    ``requests`` is what the client counted, ``emulator_requests`` what the server counted; the
    harness fails when they differ. ``rows_fetched`` counts API items transferred (every element
    of ``values`` plus every single-object GET), ``rows_returned`` the rows of the answer.
    ``local_s`` is wall time during which no HTTP request of this side was in flight (see
    :mod:`benchmarks.http_wait`), measured the same way on every side.
    """

    requests: int
    emulator_requests: int
    rows_fetched: int
    rows_returned: int
    bytes: int
    wall_s: float
    local_s: float
    rows: list[tuple[Any, ...]] = field(default_factory=list, repr=False)
    cache_hits: int = 0


@dataclass
class QueryOutcome:
    """Everything measured for one benchmark query."""

    key: str
    title: str
    sql: str
    scope_note: str
    bound: Bound
    ours: SideResult | None = None
    ours_error: str | None = None
    baseline: SideResult | None = None
    baseline_error: str | None = None
    difference: Difference | None = None
    connection_options: str = ""
    tuned: SideResult | None = None
    tuned_error: str | None = None
    tuned_difference: Difference | None = None
    repeat: bool = False  # answered from the cache: reported apart, never in the totals
    outlier: bool = False

    @property
    def answers_differ(self) -> bool:
        return bool(self.difference) or bool(self.tuned_difference)


@dataclass
class RunSettings:
    """How the run was made; printed at the top of the report."""

    scale: str
    latency_ms: float
    jitter_ms: float
    max_concurrency: int
    seed: int
    baseline: bool
    tuned: bool = True
    load_average: float | None = None  # 1-minute load average just before the suite
    emulator_start_s: float = 0.0
    emulator_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class ScalingPoint:
    """One query at one scale, for the scaling table."""

    scale: str
    key: str
    title: str
    rows_in_scope: int
    ours: SideResult | None
    ours_error: str | None
    bound: Bound
    latency_ms: float
    emulator_start_s: float
