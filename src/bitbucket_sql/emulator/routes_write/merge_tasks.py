"""Asynchronous pull-request merges: 202 + ``Location`` and the task-status endpoint.

Bitbucket answers ``POST .../merge?async=true`` (or a synchronous merge that exceeds its timeout)
with 202 and a ``Location`` pointing at ``.../merge/task-status/{task_id}``; polling that answers
``{"task_status": "PENDING"}`` until the merge is done, then ``"SUCCESS"`` with ``merge_result``
(the merged pull request), or the error envelope when the merge failed.

The emulator makes this deterministic: a queued merge is applied on the poll after
``pending_polls`` PENDING answers, or once the emulator clock passes ``complete_after_seconds``
(whichever comes first; ``tick`` runs before every API request), so a client that never polls
still sees the merge land. ``mode`` says when a merge is asynchronous: ``"requested"`` (only with
``async=true``, the default) or ``"always"`` (every merge behaves like one that timed out).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..middleware.controls import Clock
from ..serializers.common import JSON

MERGE_MODES = ("requested", "always")


class MergeFailed(Exception):
    """A queued merge that could not be applied: answered in the error envelope when polled."""

    def __init__(self, status: int, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.detail = detail


@dataclass
class MergeTask:
    task_id: str
    workspace: str
    repo_slug: str
    pr_id: int
    apply: Callable[[], JSON]
    queued_at: float
    polls: int = 0
    status: str = "PENDING"  # PENDING | SUCCESS | FAILED
    result: JSON | None = None
    error: MergeFailed | None = None


@dataclass
class MergeTasks:
    """Queued merges of one emulator instance (on ``app.state.merge_tasks``)."""

    clock: Clock
    mode: str = "requested"
    pending_polls: int = 1
    complete_after_seconds: float = 30.0
    tasks: dict[str, MergeTask] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def configure(
        self,
        *,
        mode: str | None = None,
        pending_polls: int | None = None,
        complete_after_seconds: float | None = None,
    ) -> None:
        if mode is not None and mode not in MERGE_MODES:
            raise ValueError(f"merge mode must be one of {', '.join(MERGE_MODES)}, got {mode!r}")
        if pending_polls is not None and pending_polls < 0:
            raise ValueError(f"pending_polls must not be negative, got {pending_polls}")
        if complete_after_seconds is not None and complete_after_seconds < 0:
            raise ValueError(f"complete_after_seconds must not be negative, got {complete_after_seconds}")
        self.mode = mode if mode is not None else self.mode
        self.pending_polls = pending_polls if pending_polls is not None else self.pending_polls
        if complete_after_seconds is not None:
            self.complete_after_seconds = complete_after_seconds

    def is_async(self, requested: bool) -> bool:
        return requested or self.mode == "always"

    def queue(self, workspace: str, repo_slug: str, pr_id: int, apply: Callable[[], JSON]) -> MergeTask:
        with self._lock:
            task_id = f"merge-{next(self._ids):06d}"
        task = MergeTask(task_id, workspace, repo_slug, pr_id, apply, self.clock.now())
        self.tasks[task_id] = task
        return task

    def pending_for(self, workspace: str, repo_slug: str, pr_id: int) -> MergeTask | None:
        return next(
            (
                task
                for task in self.tasks.values()
                if task.status == "PENDING"
                and (task.workspace, task.repo_slug, task.pr_id) == (workspace, repo_slug, pr_id)
            ),
            None,
        )

    def complete(self, task: MergeTask) -> None:
        """Apply the merge now (hold ``store.lock``)."""
        if task.status != "PENDING":
            return
        try:
            task.result = task.apply()
            task.status = "SUCCESS"
        except MergeFailed as exc:
            task.error = exc
            task.status = "FAILED"

    def poll(self, task: MergeTask) -> None:
        """One task-status request: PENDING for the first ``pending_polls`` polls, then done."""
        if task.status == "PENDING":
            task.polls += 1
            if task.polls > self.pending_polls:
                self.complete(task)

    def tick(self) -> None:
        """Complete every queued merge whose time has come (hold ``store.lock``)."""
        now = self.clock.now()
        for task in list(self.tasks.values()):
            if task.status == "PENDING" and now - task.queued_at >= self.complete_after_seconds:
                self.complete(task)
