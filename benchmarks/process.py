"""Whole-process benchmarks: start-up, repeats across processes, incremental refresh, memory.

The query suite (:mod:`benchmarks.harness`) measures ``Engine.execute`` inside one Python process.
These scenarios measure what a user of ``bbsql query`` sees: each run is a new process (the
``bbsql`` console script of this environment) against the same emulator, with its own home and
cache directories, so nothing is shared between runs except what the product itself keeps on
disk. Requests are the emulator's own count (reset before each process); wall time runs from
starting the process to reaping it; peak memory is the process's ``ru_maxrss`` from ``wait4``.

* **Start-up**: ``SELECT 1``, a catalog query, a 1-request query (cold cache) and the same query
  answered from the persistent cache: the median wall time of several runs. The floor is the
  interpreter's own start (``python -c pass``) plus one latency per request.
* **Cross-process repeat**: a query in a new process, then again in another new process with the
  same cache directory; the bound of the second is 0 requests. Also the same filter asking for
  other columns.
* **Incremental refresh**: a workspace-wide query, then N changes made through the emulator's API,
  then the query again once the cache's TTL has passed; its requests against a cold run's, and
  its answer must equal the cold run's.
* **Memory**: peak RSS of reading every row of ``commits`` and ``pull_request_activity`` through
  the DB-API (:mod:`benchmarks.memory_probe`) against the JSON bytes transferred, and of
  ``bbsql query -f parquet -o FILE`` / ``-f csv -o FILE`` exports.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.ours import DEMO_API_TOKEN, DEMO_USER, connection_string
from benchmarks.queries import QUERIES_BY_KEY
from benchmarks.scope import Scope

Log = Callable[[str], None]

PROCESS_TIMEOUT_S = 900.0
PR_PAGE = 50
PAGE = 100


@dataclass
class ProcessRun:
    """One finished process: wall time, the emulator's request count, peak RSS, its output."""

    wall_s: float
    requests: int
    peak_rss: int  # bytes
    returncode: int
    cpu_s: float = 0.0  # user + system CPU of the process: less sensitive than wall time to a busy machine
    routes: dict[str, int] = field(default_factory=dict)  # the emulator's count per route template
    stdout: str = field(repr=False, default="")
    stderr: str = field(repr=False, default="")

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class StartupFigure:
    label: str
    sql: str
    runs: list[ProcessRun]
    floor_s: float  # interpreter start plus one latency per request of the first run

    @property
    def median_s(self) -> float:
        return statistics.median(r.wall_s for r in self.runs)

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(r.cpu_s for r in self.runs)

    @property
    def requests(self) -> int:
        return max((r.requests for r in self.runs), default=0)


@dataclass
class RepeatFigure:
    label: str
    first_sql: str
    second_sql: str
    first: ProcessRun
    second: ProcessRun
    bound: int = 0  # a repeat within the TTL needs no request


@dataclass
class RefreshFigure:
    label: str
    sql: str
    changes: int
    first: ProcessRun
    refresh: ProcessRun
    cold: ProcessRun
    cold_bound: int
    refresh_bound: int
    same_answer: bool
    ttl_s: float


@dataclass
class MemoryFigure:
    label: str
    how: str  # "DB-API fetchmany" or the bbsql command line
    run: ProcessRun
    rows: int | None
    json_bytes: int | None

    @property
    def ratio(self) -> float | None:
        return self.run.peak_rss / self.json_bytes if self.json_bytes else None


@dataclass
class ProcessFigures:
    """Everything the whole-process scenarios measured (each list may be empty when skipped)."""

    interpreter_s: float = 0.0
    load_average: float | None = None  # 1-minute load average just before the scenarios
    startup: list[StartupFigure] = field(default_factory=list)
    repeats: list[RepeatFigure] = field(default_factory=list)
    refreshes: list[RefreshFigure] = field(default_factory=list)
    memory: list[MemoryFigure] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def bbsql_command() -> list[str]:
    """The ``bbsql`` console script of this environment (what users run), else ``python -m``."""
    script = Path(sys.executable).with_name("bbsql")
    if script.exists():
        return [str(script)]
    found = shutil.which("bbsql")
    return [found] if found else [sys.executable, "-m", "bitbucket_sql.cli.main"]


class Sandbox:
    """A home and cache directory of its own, so runs share only what the product keeps on disk."""

    def __init__(self, root: Path, name: str) -> None:
        self.home = root / name
        self.cache = self.home / ".cache"
        self.cache.mkdir(parents=True, exist_ok=True)

    def environment(self, connection: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BBSQL_")}
        # An installed package's modules are byte-compiled once; a machine that forbids writing
        # bytecode (PYTHONDONTWRITEBYTECODE) would make every process compile ours again (~0.5 s).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(
            HOME=str(self.home),
            XDG_CACHE_HOME=str(self.cache),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            BBSQL_CONNECTION=connection,
            NO_COLOR="1",
        )
        return env


#: A tiny parent for each measured process. Linux carries the parent's peak RSS into a child
#: that it forks (or vforks) and that then execs, so a child spawned straight from the harness
#: (hundreds of MiB with the emulator's data) would report the harness's peak. This parent is a
#: bare interpreter of a few MiB: it spawns the command, reaps it with wait4, and writes the
#: child's own wall time and peak RSS to the file named in argv[1].
SPAWNER = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
finished = time.perf_counter()
with open(sys.argv[1], "w") as out:
    json.dump({"wall": finished - started, "cpu": usage.ru_utime + usage.ru_stime,
               "rss_kib": usage.ru_maxrss, "status": status}, out)
sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def run_process(command: Sequence[str], env: dict[str, str], emulator: Any | None) -> ProcessRun:
    """Run ``command`` to its end: its wall time and peak RSS (measured by :data:`SPAWNER`) and
    the emulator's request count."""
    if emulator is not None:
        emulator.reset_stats()
    with tempfile.TemporaryDirectory(prefix="bbsql-bench-run-") as scratch:
        report = Path(scratch) / "usage.json"
        out_path, err_path = Path(scratch) / "stdout", Path(scratch) / "stderr"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            spawner = [sys.executable, "-I", "-S", "-c", SPAWNER, str(report), *command]
            try:
                finished = subprocess.run(
                    spawner,
                    stdout=out,
                    stderr=err,
                    stdin=subprocess.DEVNULL,
                    env=env,
                    timeout=PROCESS_TIMEOUT_S,
                )
                returncode = finished.returncode
            except subprocess.TimeoutExpired:
                returncode = -9
        usage = (
            json.loads(report.read_text()) if report.exists() else {"wall": PROCESS_TIMEOUT_S, "rss_kib": 0}
        )
        counted: dict[str, Any] = emulator.stats() if emulator is not None else {"total": 0, "routes": {}}
        return ProcessRun(
            wall_s=float(usage["wall"]),
            cpu_s=float(usage.get("cpu", 0.0)),
            routes={str(k): int(v) for k, v in counted.get("routes", {}).items()},
            requests=int(counted["total"]),
            peak_rss=int(usage["rss_kib"]) * 1024,
            returncode=returncode,
            stdout=out_path.read_text("utf-8", "replace"),
            stderr=err_path.read_text("utf-8", "replace"),
        )


def _failed(run: ProcessRun, what: str) -> str | None:
    if run.ok:
        return None
    last = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
    return f"{what}: exit {run.returncode}: {last}"


class Scenarios:
    """Runs the scenarios against a live emulator and collects :class:`ProcessFigures`."""

    def __init__(self, emulator: Any, scope: Scope, root: Path, *, log: Log, repeats: int = 5) -> None:
        self.emulator = emulator
        self.scope = scope
        self.root = root
        self.log = log
        self.repeats = repeats
        self.figures = ProcessFigures()
        self.latency_s = float(emulator.config.latency_ms) / 1000.0
        self._sandboxes = 0

    def connection(self, extra: str = "") -> str:
        return connection_string(self.emulator.base_url, self.scope.workspace, 8, extra)

    def sandbox(self) -> Sandbox:
        self._sandboxes += 1
        return Sandbox(self.root, f"run-{self._sandboxes}")

    def bbsql(self, sandbox: Sandbox, sql: str, *options: str, extra: str = "") -> ProcessRun:
        command = [*bbsql_command(), "query", *options, sql]
        return run_process(command, sandbox.environment(self.connection(extra)), self.emulator)

    def note(self, run: ProcessRun, what: str) -> ProcessRun:
        problem = _failed(run, what)
        if problem:
            self.figures.errors.append(problem)
            self.log(f"process: {problem}")
        return run

    # --- start-up ------------------------------------------------------------------------------

    def measure_startup(self) -> None:
        interpreter = [
            run_process([sys.executable, "-c", "pass"], dict(os.environ), None) for _ in range(self.repeats)
        ]
        self.figures.interpreter_s = statistics.median(r.wall_s for r in interpreter)
        one_request = QUERIES_BY_KEY["recent_prs"].sql(self.scope)
        self.note(self.bbsql(self.sandbox(), one_request, "-f", "csv"), "compiling (not measured)")
        cases = (
            ("`SELECT 1`", "SELECT 1"),
            ("catalog query", "SELECT count(*) AS columns FROM information_schema.columns"),
            ("1-request query, cold cache", one_request),
        )
        for label, sql in cases:
            runs = [
                self.note(self.bbsql(self.sandbox(), sql, "-f", "csv"), label) for _ in range(self.repeats)
            ]
            self._add_startup(label, sql, runs)
        warm = self.sandbox()
        self.note(self.bbsql(warm, one_request, "-f", "csv"), "priming the cache")
        runs = [self.note(self.bbsql(warm, one_request, "-f", "csv"), "cached") for _ in range(self.repeats)]
        self._add_startup("same query, answered from the persistent cache", one_request, runs)

    def _add_startup(self, label: str, sql: str, runs: list[ProcessRun]) -> None:
        requests = runs[0].requests if runs else 0
        figure = StartupFigure(label, sql, runs, self.figures.interpreter_s + requests * self.latency_s)
        self.figures.startup.append(figure)
        self.log(f"process: start-up {label}: median {figure.median_s:.2f} s, {figure.requests} requests")

    # --- repeats across processes -------------------------------------------------------------

    def measure_repeats(self) -> None:
        open_prs = "SELECT repository, id, title FROM pull_requests WHERE state = 'OPEN'"
        other_columns = (
            "SELECT repository, id, author_display_name, created_on FROM pull_requests WHERE state = 'OPEN'"
        )
        cases = (
            ("recent_prs (one repository)", QUERIES_BY_KEY["recent_prs"].sql(self.scope), None),
            (
                "open_prs_by_author (every repository)",
                QUERIES_BY_KEY["open_prs_by_author"].sql(self.scope),
                None,
            ),
            ("same filter, other columns", open_prs, other_columns),
        )
        for label, first_sql, second_sql in cases:
            sandbox = self.sandbox()
            first = self.note(self.bbsql(sandbox, first_sql, "-f", "csv"), f"{label}, first process")
            second_sql = second_sql or first_sql
            second = self.note(self.bbsql(sandbox, second_sql, "-f", "csv"), f"{label}, second process")
            self.figures.repeats.append(RepeatFigure(label, first_sql, second_sql, first, second))
            self.log(f"process: repeat {label}: {first.requests} then {second.requests} requests")

    # --- incremental refresh -----------------------------------------------------------------

    def measure_refresh(self, changes: int = 10, ttl_s: float = 2.0) -> None:
        sql = (
            "SELECT repository, state, count(*) AS pull_requests, max(updated_on) AS last_update "
            "FROM pull_requests GROUP BY repository, state ORDER BY repository, state"
        )
        extra = f"CacheTTL={ttl_s:g}"
        cold_bound = self._pull_request_listing_bound()
        sandbox = self.sandbox()
        first = self.note(self.bbsql(sandbox, sql, "-f", "csv", extra=extra), "refresh: first run")
        changed = make_changes(self.emulator, self.scope.workspace, changes)
        time.sleep(ttl_s + 0.5)  # past the TTL: the next run must check for changes
        refresh = self.note(
            self.bbsql(sandbox, sql, "-f", "csv", extra=extra), "refresh: run after the changes"
        )
        cold = self.note(self.bbsql(self.sandbox(), sql, "-f", "csv", extra=extra), "refresh: cold run")
        refresh_bound = self._refresh_bound(changed)
        figure = RefreshFigure(
            f"pull requests of every repository, after {changes} changes",
            sql,
            changes,
            first,
            refresh,
            cold,
            cold_bound=cold_bound,
            refresh_bound=refresh_bound,
            same_answer=sorted(refresh.stdout.splitlines()) == sorted(cold.stdout.splitlines()),
            ttl_s=ttl_s,
        )
        if refresh.ok and cold.ok and not figure.same_answer:
            self.figures.errors.append("refresh: the answer after the changes differs from a cold run's")
        self.figures.refreshes.append(figure)
        self.log(
            f"process: refresh after {changes} changes: {refresh.requests} requests (bound {refresh_bound}), "
            f"cold {cold.requests} (bound {cold_bound}), same answer: {figure.same_answer}"
        )

    def _slugs(self) -> list[str]:
        return sorted(self.emulator.store.workspaces[self.scope.workspace].repositories)

    def _pull_request_listing_bound(self) -> int:
        store = self.emulator.store
        slugs = self._slugs()
        pages = sum(
            max(1, math.ceil(len(store.repo_data(self.scope.workspace, s).pullrequests) / PR_PAGE))
            for s in slugs
        )
        return math.ceil(len(slugs) / PAGE) + pages

    def _refresh_bound(self, changed: dict[str, int]) -> int:
        """The repository listing again, then per repository the pull requests sorted by
        ``-updated_on`` down to the first one not changed since the last run."""
        slugs = self._slugs()
        return math.ceil(len(slugs) / PAGE) + sum(
            max(1, math.ceil((changed.get(slug, 0) + 1) / PR_PAGE)) for slug in slugs
        )

    # --- memory ---------------------------------------------------------------------------------

    def measure_memory(self) -> None:
        output = self.root / "export"
        for table, batch in (("commits", 10_000), ("commits", 1_000), ("pull_request_activity", 10_000)):
            sql = f"SELECT * FROM {table}"
            env = self.sandbox().environment(self.connection())
            env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])  # the probe is in benchmarks/
            run = self.note(
                run_process([sys.executable, "-m", "benchmarks.memory_probe", sql, str(batch)], env, self.emulator),
                f"memory: {sql}",
            )
            probe = _probe_output(run)
            self.figures.memory.append(
                MemoryFigure(
                    f"`{sql}`", f"DB-API, fetchmany({batch})", run, probe.get("rows"), probe.get("bytes")
                )
            )
            self.log(f"process: memory {sql} fetchmany({batch}): {run.peak_rss / 2**20:.0f} MiB peak, {probe}")
        commits_bytes = self.figures.memory[0].json_bytes if self.figures.memory else None
        for fmt in ("parquet", "csv"):
            target = output.with_suffix(f".{fmt}")
            run = self.note(
                self.bbsql(self.sandbox(), "SELECT * FROM commits", "-f", fmt, "-o", str(target)),
                f"memory: export to {fmt}",
            )
            self.figures.memory.append(
                MemoryFigure(
                    "`SELECT * FROM commits`",
                    f"`bbsql query -f {fmt} -o FILE`",
                    run,
                    None,
                    commits_bytes,
                )
            )
            self.log(f"process: memory export {fmt}: {run.peak_rss / 2**20:.0f} MiB peak")
        # constant memory: the same export over a third, two thirds and all of the repositories
        slugs = self._slugs()
        for part in (3, 1.5):
            bound = slugs[min(len(slugs) - 1, int(len(slugs) / part))]
            sql = f"SELECT * FROM commits WHERE repository < '{bound}'"
            run = self.note(self.bbsql(self.sandbox(), sql, "-f", "csv", "-o", str(output.with_suffix(".csv"))),
                            f"memory: export of part of commits ({bound})")
            self.figures.memory.append(MemoryFigure(f"`{sql}`", "`bbsql query -f csv -o FILE`", run, None, None))
            self.log(f"process: memory export csv below {bound}: {run.peak_rss / 2**20:.0f} MiB peak")
        served = self._served("SELECT * FROM commits")
        if served is not None:
            self.figures.memory.append(MemoryFigure(
                "`SELECT * FROM commits`", "`bbsql serve` (the server process) while psql reads it", served, None,
                commits_bytes))
            self.log(f"process: memory server: {served.peak_rss / 2**20:.0f} MiB peak, {served.requests} requests")
        floor = self.note(self.bbsql(self.sandbox(), "SELECT 1", "-f", "csv"), "memory: SELECT 1")
        self.figures.memory.append(MemoryFigure("`SELECT 1`", "`bbsql query` (the floor)", floor, 1, 0))

    def _served(self, sql: str) -> ProcessRun | None:
        """``bbsql serve`` as a process of its own while psql reads ``sql`` through it (a BI extract):
        the server's peak RSS (measured by :data:`SPAWNER`) and the requests psql's query cost."""
        psql = shutil.which("psql")
        if psql is None:
            self.figures.errors.append("memory: psql is not installed (Debian package postgresql-client): "
                                       "no figure for the server")
            return None
        from bitbucket_sql.server.auth import make_verifier

        sandbox = self.sandbox()
        port = _free_port()
        config = sandbox.home / "server.toml"
        config.write_text(
            f'[server]\nhost = "127.0.0.1"\nport = {port}\n\n'
            f'[databases.bench]\nconnection = "{self.connection()}"\n\n'
            f'[users.bench]\npassword = "{make_verifier("bench")}"\ndatabases = {{ bench = "read" }}\n'
        )
        report = sandbox.home / "server-usage.json"
        command = [*bbsql_command(), "serve", "--config", str(config), "--no-tds",
                   "--access-log", str(sandbox.home / "access.log")]
        spawner = subprocess.Popen([sys.executable, "-I", "-S", "-c", SPAWNER, str(report), *command],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   env=sandbox.environment(self.connection()))
        returncode = -1
        requests = 0
        try:
            if not _listening(port, spawner, 60.0):
                self.figures.errors.append("memory: `bbsql serve` did not start listening within 60 s")
                return None
            self.emulator.reset_stats()
            read = subprocess.run(
                [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port), "-U", "bench",
                 "bench", "-c", sql, "-o", os.devnull],
                capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S,
                env={**os.environ, "PGPASSWORD": "bench", "PSQLRC": os.devnull},
            )
            returncode, requests = read.returncode, int(self.emulator.stats()["total"])
            if read.returncode != 0:
                self.figures.errors.append(f"memory: psql through the server: exit {read.returncode}: "
                                           f"{(read.stderr.strip().splitlines() or ['(no output)'])[-1]}")
        finally:
            _stop_children(spawner)
        usage = json.loads(report.read_text()) if report.exists() else {"wall": 0.0, "rss_kib": 0}
        return ProcessRun(wall_s=float(usage["wall"]), cpu_s=float(usage.get("cpu", 0.0)), requests=requests,
                          peak_rss=int(usage["rss_kib"]) * 1024, returncode=returncode)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int, process: subprocess.Popen[bytes], within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline and process.poll() is None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def _stop_children(spawner: subprocess.Popen[bytes]) -> None:
    """Stop what :data:`SPAWNER` started (SIGTERM, then SIGKILL) so that it reports the child's usage."""
    try:
        children = Path(f"/proc/{spawner.pid}/task/{spawner.pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(child), signal.SIGTERM)
    try:
        spawner.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(child), signal.SIGKILL)
        spawner.wait(timeout=30)


def _probe_output(run: ProcessRun) -> dict[str, int]:
    for line in reversed(run.stdout.strip().splitlines()):
        try:
            found = json.loads(line)
        except ValueError:
            continue
        if isinstance(found, dict):
            return {k: int(v) for k, v in found.items()}
    return {}


def make_changes(emulator: Any, workspace: str, count: int) -> dict[str, int]:
    """``count`` changes through the emulator's API, spread over repositories: open pull requests
    alternately renamed (PUT) and declined (POST .../decline). Returns changes per repository."""
    import httpx

    store = emulator.store
    slugs = sorted(store.workspaces[workspace].repositories)
    candidates: list[tuple[str, int]] = []
    for round_ in range(count):
        for slug in slugs:
            opened = sorted(
                pr["id"]
                for pr in store.repo_data(workspace, slug).pullrequests.values()
                if pr["state"] == "OPEN"
            )
            if round_ < len(opened):
                candidates.append((slug, opened[round_]))
            if len(candidates) >= count:
                break
        if len(candidates) >= count:
            break
    changed: dict[str, int] = {}
    with httpx.Client(base_url=emulator.base_url, auth=(DEMO_USER, DEMO_API_TOKEN), timeout=60) as client:
        for index, (slug, number) in enumerate(candidates):
            path = f"/repositories/{workspace}/{slug}/pullrequests/{number}"
            if index % 2:
                response = client.post(f"{path}/decline", json={})
            else:
                response = client.put(path, json={"title": f"Renamed for the refresh benchmark ({index})"})
            response.raise_for_status()
            changed[slug] = changed.get(slug, 0) + 1
    return changed


def run_scenarios(
    emulator: Any,
    scope: Scope,
    *,
    log: Log = print,
    repeats: int = 5,
    only: Sequence[str] = ("startup", "repeats", "refresh", "memory"),
) -> ProcessFigures:
    """Every whole-process scenario in ``only``; the refresh changes the emulator's data, so it
    runs after the others that read pull requests."""
    with tempfile.TemporaryDirectory(prefix="bbsql-bench-") as root:
        scenarios = Scenarios(emulator, scope, Path(root), log=log, repeats=repeats)
        scenarios.figures.load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        steps = {
            "startup": scenarios.measure_startup,
            "repeats": scenarios.measure_repeats,
            "memory": scenarios.measure_memory,
            "refresh": scenarios.measure_refresh,
        }
        for name, step in steps.items():
            if name in only:
                try:
                    step()
                except Exception as error:  # noqa: BLE001 - recorded in the report and fails the run
                    scenarios.figures.errors.append(f"{name}: {type(error).__name__}: {error}")
                    log(f"process: {name} failed: {error}")
        return scenarios.figures
