"""The client's one bounded worker pool, and running many jobs on it with back-pressure.

Every concurrent request a client makes runs on this pool, so MaxConcurrency bounds the whole
connection. Work is submitted inside a copy of the submitting context, which carries the active
``client.recording()`` into the worker threads. Workers only ever run single requests; the
scheduling loops run in the caller's thread, so nested fan-outs cannot deadlock the pool (and a
loop started *on* a worker thread runs its jobs inline).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from bitbucket_sql.api.errors import BitbucketError

_worker = threading.local()


def on_worker_thread() -> bool:
    """Whether the current thread is one of a client pool's workers."""
    return bool(getattr(_worker, "active", False))


def _as_worker(fn: Callable[..., Any], *args: Any) -> Any:
    _worker.active = True
    try:
        return fn(*args)
    finally:
        _worker.active = False


class WorkerPool:
    """A lazily started ``ThreadPoolExecutor`` of ``size`` threads."""

    def __init__(self, size: int, name: str = "bbsql-http") -> None:
        self.size = size
        self._name = name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` on a worker inside a copy of the caller's context."""
        context = contextvars.copy_context()
        with self._lock:
            if self._closed:
                raise BitbucketError("the connection is closed", hint="Open a new connection")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=self.size, thread_name_prefix=self._name)
            return self._executor.submit(context.run, _as_worker, fn, *args)

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)


def run_bounded(
    pool: WorkerPool,
    jobs: Iterator[tuple[Any, Any]],
    fn: Callable[[Any], Any],
    *,
    return_errors: bool,
    window: int,
) -> Iterator[tuple[Any, Any]]:
    """Run ``fn(arg)`` for each ``(key, arg)`` with at most ``window`` jobs queued or running.

    Yields ``(key, result)`` in completion order. A failure raises (pending jobs are cancelled),
    or with ``return_errors`` yields ``(key, BitbucketError)`` and carries on.
    """
    if on_worker_thread():
        for key, arg in jobs:
            try:
                yield key, fn(arg)
            except BitbucketError as error:
                if not return_errors:
                    raise
                yield key, error
        return
    inflight: dict[Future[Any], Any] = {}
    exhausted = False
    try:
        while True:
            while not exhausted and len(inflight) < window:
                try:
                    key, arg = next(jobs)
                except StopIteration:
                    exhausted = True
                    break
                inflight[pool.submit(fn, arg)] = key
            if not inflight:
                return
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            for future in done:
                key = inflight.pop(future)
                failure = future.exception()
                if failure is None:
                    yield key, future.result()
                elif isinstance(failure, BitbucketError) and return_errors:
                    yield key, failure
                else:
                    raise failure
    finally:
        for future in inflight:
            future.cancel()
