"""Run-time knobs of one emulator instance, shared by the middleware and the test handle.

Tests change faults, rate limits and latency while the server runs (``handle.set_fault_rate``)
and move the emulator's clock forward to expire tokens or roll the rate-limit window without
sleeping. Plain attribute writes from the test thread are safe: each is a single reference
assignment and the server reads them once per request.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

#: Methods that change state: what scripted faults count by default.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Outcomes a scripted fault may have: an error status, a dropped connection, or a response held
#: back for ``timeout_seconds`` and then dropped (the client's read timeout fires first).
FAULT_OUTCOMES = ("500", "502", "503", "drop", "timeout")


@dataclass
class ScriptedFault:
    """One armed fault: the ``nth`` matching request from now fails (then ``times - 1`` more).

    ``after_apply`` lets the route run (and change the store) before the fault replaces its answer,
    which is how a client sees a POST that reached the server but whose answer was lost.
    """

    outcome: str
    nth: int = 1
    times: int = 1
    after_apply: bool = False
    methods: frozenset[str] = WRITE_METHODS
    path_contains: str | None = None
    timeout_seconds: float = 5.0
    seen: int = 0
    fired: int = 0

    def describe(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "nth": self.nth,
            "times": self.times,
            "after_apply": self.after_apply,
            "methods": sorted(self.methods),
            "path_contains": self.path_contains,
            "timeout_seconds": self.timeout_seconds,
            "seen": self.seen,
            "fired": self.fired,
        }


class Clock:
    """Wall-clock seconds plus an adjustable offset (for token expiry and rate-limit windows)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Pretend ``seconds`` have passed; never moves backwards."""
        if seconds < 0:
            raise ValueError(f"cannot move the emulator clock backwards ({seconds} s)")
        self._offset += seconds


class Controls:
    """Faults, rate limit and latency settings plus the random sources that drive them."""

    def __init__(
        self,
        *,
        seed: int,
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        rate_limit: int | None = None,
        retry_after: int | None = None,
        fault_rate: float = 0.0,
        clock: Clock | None = None,
    ) -> None:
        self.seed = seed
        self.clock = clock or Clock()
        self._lock = threading.Lock()
        self.latency_ms = latency_ms
        self.jitter_ms = jitter_ms
        self.rate_limit = rate_limit
        self.retry_after = retry_after
        self.fault_rate = fault_rate
        self.fault_random = random.Random(seed)
        self.latency_random = random.Random(seed + 1)
        self.rate_limit_generation = 0
        self.scripted_faults: list[ScriptedFault] = []
        self.set_fault_rate(fault_rate)
        self.set_latency(latency_ms, jitter_ms)
        self.set_rate_limit(rate_limit, retry_after)

    def set_fault_rate(self, fault_rate: float, seed: int | None = None) -> None:
        """Make ``fault_rate`` of API requests fail; restarts the fault sequence from ``seed``.

        Restarting means the same rate and seed produce the same faults for the same request
        sequence, whatever happened before.
        """
        if not 0.0 <= fault_rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {fault_rate}")
        with self._lock:
            self.fault_rate = fault_rate
            self.fault_random = random.Random(self.seed if seed is None else seed)

    def set_rate_limit(self, rate_limit: int | None, retry_after: int | None = None) -> None:
        """Allow ``rate_limit`` requests per credential per rolling hour (None = unlimited).

        Also forgets the requests counted so far, so a test starts from a clean window.
        """
        if rate_limit is not None and rate_limit < 1:
            raise ValueError(f"rate limit must be a positive number of requests per hour, got {rate_limit}")
        if retry_after is not None and retry_after < 0:
            raise ValueError(f"retry-after must be zero or more seconds, got {retry_after}")
        with self._lock:
            self.rate_limit = rate_limit
            self.retry_after = retry_after
            self.rate_limit_generation += 1

    def set_latency(self, latency_ms: float, jitter_ms: float = 0.0) -> None:
        """Delay each API response by ``latency_ms`` plus uniform jitter in [0, ``jitter_ms``]."""
        if latency_ms < 0 or jitter_ms < 0:
            raise ValueError(f"latency and jitter must not be negative, got {latency_ms} / {jitter_ms}")
        with self._lock:
            self.latency_ms = latency_ms
            self.jitter_ms = jitter_ms

    def draw_fault(self) -> str | None:
        """The fault for the next API request: "500", "502", "503", "drop", or None."""
        with self._lock:
            if self.fault_rate <= 0.0:
                return None
            if self.fault_random.random() >= self.fault_rate:
                return None
            return self.fault_random.choice(("500", "502", "503", "drop"))

    def fail_requests(
        self,
        outcome: str = "500",
        *,
        nth: int = 1,
        times: int = 1,
        after_apply: bool = False,
        methods: frozenset[str] | set[str] | list[str] | tuple[str, ...] | None = None,
        path_contains: str | None = None,
        timeout_seconds: float = 5.0,
    ) -> ScriptedFault:
        """Arm a fault: the ``nth`` API request from now whose method is in ``methods`` (writes by
        default) and whose path contains ``path_contains`` fails with ``outcome``, and so do the
        ``times - 1`` matching requests after it. Several armed faults count independently."""
        if outcome not in FAULT_OUTCOMES:
            raise ValueError(f"fault outcome must be one of {', '.join(FAULT_OUTCOMES)}, got {outcome!r}")
        if nth < 1 or times < 1:
            raise ValueError(f"nth and times must be at least 1, got nth={nth}, times={times}")
        if timeout_seconds < 0:
            raise ValueError(f"timeout_seconds must not be negative, got {timeout_seconds}")
        wanted = WRITE_METHODS if methods is None else frozenset(m.upper() for m in methods)
        fault = ScriptedFault(outcome, nth, times, after_apply, wanted, path_contains, timeout_seconds)
        with self._lock:
            self.scripted_faults.append(fault)
        return fault

    def clear_scripted_faults(self) -> None:
        with self._lock:
            self.scripted_faults.clear()

    def draw_scripted_fault(self, method: str, path: str) -> ScriptedFault | None:
        """The armed fault this request triggers, if any (each matching request advances every
        matching fault's count; spent faults are dropped)."""
        chosen: ScriptedFault | None = None
        with self._lock:
            for fault in self.scripted_faults:
                if method not in fault.methods or (fault.path_contains and fault.path_contains not in path):
                    continue
                fault.seen += 1
                if chosen is None and fault.seen >= fault.nth and fault.fired < fault.times:
                    fault.fired += 1
                    chosen = fault
            self.scripted_faults = [f for f in self.scripted_faults if f.fired < f.times]
        return chosen

    def draw_delay_seconds(self) -> float:
        with self._lock:
            jitter = self.latency_random.uniform(0.0, self.jitter_ms) if self.jitter_ms else 0.0
            return (self.latency_ms + jitter) / 1000.0
