"""Triggered pipelines that run: PENDING, then IN_PROGRESS, then COMPLETED, by the emulator clock.

A pipeline started through ``POST .../pipelines`` is registered here. Before every API request
(``tick``, from :class:`~bitbucket_sql.emulator.middleware.progress.ProgressMiddleware`) each
registered run is moved to the state its age on the emulator clock calls for: PENDING for
``pending_seconds``, IN_PROGRESS (steps running) for ``running_seconds``, then COMPLETED with
``result``. Tests move through the states without sleeping with ``emu.advance_time(seconds)``
and change the timing or the result with ``emu.set_pipeline_timing(...)``; the timing is fixed
per run when it is triggered. Stopping a run takes it off the list. The defaults (10 s pending,
120 s running) are long enough that a test reading a run it just triggered sees it unfinished
even on a slow machine, and short enough to watch a run finish in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..middleware.controls import Clock
from ..serializers import objects as o
from ..serializers.common import JSON, iso, zulu

RESULTS = ("SUCCESSFUL", "FAILED", "ERROR")


@dataclass(frozen=True)
class PipelineTiming:
    pending_seconds: float = 10.0
    running_seconds: float = 120.0
    result: str = "SUCCESSFUL"


@dataclass
class _Run:
    pipeline: JSON
    steps: dict[str, JSON]
    started_clock: float
    timing: PipelineTiming
    phase: str = "PENDING"


@dataclass
class PipelineRuns:
    """The runs in flight of one emulator instance (on ``app.state.pipeline_runs``)."""

    clock: Clock
    timing: PipelineTiming = field(default_factory=PipelineTiming)
    _runs: dict[str, _Run] = field(default_factory=dict)

    def configure(
        self,
        *,
        pending_seconds: float | None = None,
        running_seconds: float | None = None,
        result: str | None = None,
    ) -> PipelineTiming:
        current = self.timing
        timing = PipelineTiming(
            current.pending_seconds if pending_seconds is None else float(pending_seconds),
            current.running_seconds if running_seconds is None else float(running_seconds),
            current.result if result is None else result.upper(),
        )
        if timing.pending_seconds < 0 or timing.running_seconds < 0:
            raise ValueError("pipeline pending and running seconds must not be negative")
        if timing.result not in RESULTS:
            raise ValueError(f"pipeline result must be one of {', '.join(RESULTS)}, got {result!r}")
        self.timing = timing
        return timing

    def start(self, pipeline: JSON, steps: dict[str, JSON]) -> None:
        """Register a just-triggered (PENDING) pipeline; hold ``store.lock``."""
        self._runs[pipeline["uuid"]] = _Run(pipeline, steps, self.clock.now(), self.timing)
        self._advance(self._runs[pipeline["uuid"]])

    def forget(self, pipeline_uuid: str) -> None:
        self._runs.pop(pipeline_uuid, None)

    def tick(self) -> None:
        """Bring every run to the state its age calls for; hold ``store.lock``."""
        for run in list(self._runs.values()):
            self._advance(run)

    def _advance(self, run: _Run) -> None:
        age = self.clock.now() - run.started_clock
        timing = run.timing
        if run.phase == "PENDING" and age >= timing.pending_seconds:
            self._set_running(run)
        if run.phase == "IN_PROGRESS" and age >= timing.pending_seconds + timing.running_seconds:
            self._set_completed(run)
            self._runs.pop(run.pipeline["uuid"], None)

    @staticmethod
    def _moment(run: _Run, seconds: float) -> str:
        created = datetime.fromisoformat(run.pipeline["created_on"].replace("Z", "+00:00"))
        return zulu(iso(created + timedelta(seconds=seconds)))

    def _set_running(self, run: _Run) -> None:
        run.phase = "IN_PROGRESS"
        run.pipeline["state"] = o.pipeline_state("IN_PROGRESS", None)
        started = self._moment(run, run.timing.pending_seconds)
        for step in run.steps.values():
            step["state"] = o.pipeline_step_state("IN_PROGRESS", None)
            step["started_on"] = started

    def _set_completed(self, run: _Run) -> None:
        run.phase = "COMPLETED"
        timing = run.timing
        seconds = int(round(timing.running_seconds))
        finished = self._moment(run, timing.pending_seconds + timing.running_seconds)
        run.pipeline["state"] = o.pipeline_state("COMPLETED", timing.result)
        run.pipeline.update(completed_on=finished, build_seconds_used=seconds, duration_in_seconds=seconds)
        for step in run.steps.values():
            step["state"] = o.pipeline_step_state("COMPLETED", timing.result)
            step.update(completed_on=finished, duration_in_seconds=seconds, build_seconds_used=seconds)
