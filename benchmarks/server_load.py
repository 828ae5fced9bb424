"""``python -m benchmarks.server_load``: `bbsql serve` under 100 concurrent PostgreSQL clients.

Starts the emulator (with per-request latency) and the server in this process, then runs N
asyncpg clients at once, each connecting, running a mix of queries (catalog introspection,
one-repository lookups, workspace-wide aggregates, parameterised prepared statements) and
disconnecting. Reports per-kind latency percentiles, errors, and the Bitbucket requests each
kind cost (from the server's access log, cross-checked with the emulator's own count), and
writes them into docs/benchmarks.md between the ``server-load`` markers. Exits non-zero on
any error or when the access log's request total differs from the emulator's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- server-load:start -->", "<!-- server-load:end -->"
PASSWORD = "load-test"


@dataclass(frozen=True)
class LoadQuery:
    kind: str
    sql: str
    params: tuple[Any, ...] = ()


def query_mix(repositories: Sequence[str]) -> list[LoadQuery]:
    """What BI tools and people send: catalog first, then lookups, aggregates and prepared queries."""
    mix = [
        LoadQuery(
            "catalog",
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_attribute a "
            "ON a.attrelid = c.oid WHERE n.nspname = 'acme' AND c.relkind = 'r' AND a.attnum > 0",
        ),
        LoadQuery(
            "repositories",
            "SELECT slug, language, updated_on FROM repositories ORDER BY updated_on DESC LIMIT 5",
        ),
        LoadQuery(
            "open_prs_by_author",
            "SELECT author_display_name, count(*) FROM pull_requests WHERE state = 'OPEN' GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
        ),
    ]
    for repo in repositories:
        mix.append(
            LoadQuery(
                "prs_of_repository",
                "SELECT id, title, state, created_on FROM pull_requests WHERE repository = $1 "
                "ORDER BY created_on DESC LIMIT 5",
                (repo,),
            )
        )
    return mix


@dataclass
class Measurements:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    connect_s: list[float] = field(default_factory=list)
    #: CPU seconds of this process (the server and the asyncpg clients; not the emulator's)
    cpu_s: float = 0.0


async def one_client(
    number: int, host: str, port: int, mix: list[LoadQuery], queries: int, seed: int, out: Measurements
) -> None:
    import asyncpg

    rng = random.Random(seed + number)
    started = time.perf_counter()
    try:
        connection = await asyncpg.connect(
            host=host, port=port, user="load", password=PASSWORD, database="acme", ssl=False, timeout=120
        )
    except Exception as error:  # noqa: BLE001 - every failure is counted and reported
        out.errors.append(f"client {number} connect: {error}")
        return
    out.connect_s.append(time.perf_counter() - started)
    try:
        for _ in range(queries):
            query = rng.choice(mix)
            began = time.perf_counter()
            try:
                await connection.fetch(query.sql, *query.params)
            except Exception as error:  # noqa: BLE001
                out.errors.append(f"client {number} {query.kind}: {error}")
                continue
            out.latencies[query.kind].append(time.perf_counter() - began)
    finally:
        await connection.close()


class AccessLogCollector(logging.Handler):
    """Keeps the server's access-log statements: requests per statement, for the per-kind costs."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        entry = json.loads(record.getMessage())
        if entry.get("event") == "statement":
            self.statements.append(entry)


def _kind_of(statement: str, mix: list[LoadQuery]) -> str:
    for query in mix:
        if " ".join(query.sql.split()) == statement:
            return query.kind
    return "other"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


@contextlib.contextmanager
def emulator_process(scale: str, latency_ms: float) -> Iterator[str]:
    """`bbsql emulator` in its own process (Bitbucket is remote: it must not share our GIL); its base URL."""
    command = [sys.executable, "-m", "bitbucket_sql", "emulator", "--port", "0", "--scale", scale]
    command += ["--latency-ms", str(latency_ms)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.search(r"serving (http://\S+/2\.0)", line)
            if match:
                yield match.group(1)
                return
        raise RuntimeError(f"the emulator did not start (exit {process.wait()})")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _emulator_requests(base_url: str, reset: bool = False) -> int:
    import httpx

    root = base_url.rsplit("/2.0", 1)[0]
    if reset:
        httpx.post(f"{root}/_emulator/stats/reset", timeout=30).raise_for_status()
        return 0
    return int(httpx.get(f"{root}/_emulator/stats", timeout=30).json()["total"])


def _repositories(base_url: str, limit: int = 5) -> list[str]:
    import httpx

    response = httpx.get(
        f"{base_url}/repositories/acme",
        params={"pagelen": 100, "fields": "values.slug"},
        auth=("demo@example.com", "demo-api-token"),
        timeout=60,
    )
    response.raise_for_status()
    return sorted(value["slug"] for value in response.json()["values"])[:limit]


def run(arguments: argparse.Namespace) -> tuple[str, bool]:
    from bitbucket_sql.server.auth import make_verifier
    from bitbucket_sql.server.config import DatabaseConfig, Limits, ServerConfig, UserConfig
    from bitbucket_sql.server.listener import serve_in_thread

    collector = AccessLogCollector()
    access = logging.getLogger("bitbucket_sql.server.access")
    access.setLevel(logging.INFO)
    access.addHandler(collector)
    access.propagate = False

    with emulator_process(arguments.scale, arguments.latency_ms) as base_url:
        base = (
            f"BaseURL={base_url};Workspace=acme;AuthScheme=APIToken;User=demo@example.com;"
            f"APIToken=demo-api-token;MaxConcurrency={arguments.max_concurrency}"
        )
        repositories = _repositories(base_url)
        config = ServerConfig(
            host="127.0.0.1",
            port=0,
            limits=Limits(max_connections=arguments.clients + 10),
            databases={"acme": DatabaseConfig("acme", base)},
            users={"load": UserConfig("load", make_verifier(PASSWORD), {"acme": "read"})},
        )
        mix = query_mix(repositories)
        measurements = Measurements()
        with serve_in_thread(config) as server:
            _emulator_requests(base_url, reset=True)
            began = time.perf_counter()
            cpu_began = time.process_time()

            async def all_clients() -> None:
                await asyncio.gather(
                    *(
                        one_client(
                            n, "127.0.0.1", server.port, mix, arguments.queries, arguments.seed, measurements
                        )
                        for n in range(arguments.clients)
                    )
                )

            asyncio.run(all_clients())
            wall = time.perf_counter() - began
            measurements.cpu_s = time.process_time() - cpu_began
            emulator_requests = _emulator_requests(base_url)
    logged_requests = sum(int(s.get("requests", 0) or 0) for s in collector.statements)
    requests_by_kind: dict[str, list[int]] = defaultdict(list)
    for entry in collector.statements:
        requests_by_kind[_kind_of(entry["statement"], mix)].append(int(entry.get("requests", 0) or 0))
    report = render(arguments, measurements, wall, emulator_requests, logged_requests, requests_by_kind)
    ok = not measurements.errors and logged_requests == emulator_requests
    return report, ok


def render(
    arguments: argparse.Namespace,
    measurements: Measurements,
    wall: float,
    emulator_requests: int,
    logged_requests: int,
    requests_by_kind: dict[str, list[int]],
) -> str:
    total = sum(len(v) for v in measurements.latencies.values())
    all_latencies = [x for values in measurements.latencies.values() for x in values]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        "## `bbsql serve` under load",
        "",
        "<!-- Written by `python -m benchmarks.server_load`; re-run it to update this section. -->",
        "",
        f"{arguments.clients} concurrent asyncpg clients, each connecting (SCRAM-SHA-256), running "
        f"{arguments.queries} queries drawn from the mix below and disconnecting, against one `bbsql serve` "
        f"process; the emulator (scale `{arguments.scale}`, {arguments.latency_ms:g} ms latency per request) runs "
        "in a process of its own, as Bitbucket would; "
        f"`MaxConcurrency={arguments.max_concurrency}` per connection. Each connection has its own engine "
        "(and cache), so every query pays its own requests. "
        f"Run: {when}, `{' '.join(['python -m benchmarks.server_load', *arguments.argv])}`.",
        "",
        f"* **{total} queries in {wall:.1f} s ({total / wall:.1f} queries/s), "
        f"{len(measurements.errors)} errors**; p50 {percentile(all_latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(all_latencies, 0.99) * 1000:.0f} ms over all queries.",
        f"* Connection set-up (TCP + startup + SCRAM + session): p50 {percentile(measurements.connect_s, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(measurements.connect_s, 0.99) * 1000:.0f} ms.",
        f"* CPU of the server's process (with the {arguments.clients} asyncpg clients, without the emulator): "
        f"{measurements.cpu_s:.1f} s.",
        f"* Bitbucket requests: {emulator_requests:,} counted by the emulator, {logged_requests:,} in the "
        "server's access log" + (" (equal)." if emulator_requests == logged_requests else " (DIFFERENT)."),
        "",
        "| query kind | queries | p50 | p99 | max | requests per query |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind in sorted(measurements.latencies):
        values = measurements.latencies[kind]
        costs = requests_by_kind.get(kind, [])
        cost = f"{statistics.mean(costs):.1f}" if costs else "n/m"
        lines.append(
            f"| {kind} | {len(values)} | {percentile(values, 0.5) * 1000:.0f} ms | "
            f"{percentile(values, 0.99) * 1000:.0f} ms | {max(values) * 1000:.0f} ms | {cost} |"
        )
    if measurements.errors:
        lines += ["", "Errors (first 5):", "", *(f"* {e}" for e in measurements.errors[:5])]
    lines += [
        "",
        "The query kinds: `catalog` is a pg_catalog join like the ones BI tools send on connect (answered "
        "locally, zero requests); `repositories` lists the workspace's repositories (one request); "
        "`open_prs_by_author` filters every repository's pull requests by state (one request per "
        "repository); `prs_of_repository` is a prepared statement with the repository as a parameter "
        "(one request). Latency includes queueing: one Python process does every client's local work "
        "(authentication, the per-session catalog database, the engine's local DuckDB for every query) on "
        f"{os.cpu_count()} cores, at most 64 queries at once (catalog rows and Describe answers are "
        "shared between sessions); "
        f"the machine's load average was {arguments.load_before:.1f} just before the run (other work on it "
        "slows every figure here).",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END) + "\n?", re.DOTALL)
    text = (
        pattern.sub(lambda _m: section, text)
        if pattern.search(text)
        else text.rstrip("\n") + "\n\n" + section
    )
    path.write_text(text, encoding="utf-8")


def keep_section(path: Path, new_text: str) -> str:
    """``new_text`` plus this benchmark's section from the file it replaces (benchmarks.run's report)."""
    if not path.exists():
        return new_text
    match = re.search(
        re.escape(START) + ".*?" + re.escape(END) + "\n?", path.read_text(encoding="utf-8"), re.DOTALL
    )
    if match is None or START in new_text:
        return new_text
    return new_text.rstrip("\n") + "\n\n" + match.group(0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.server_load", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--queries", type=int, default=5, help="queries per client")
    parser.add_argument("--scale", default="small", choices=("tiny", "small", "medium"))
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--max-concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="'-' prints instead of writing")
    arguments = parser.parse_args(argv)
    arguments.argv = list(sys.argv[1:] if argv is None else argv)
    arguments.load_before = os.getloadavg()[0]
    section, ok = run(arguments)
    if str(arguments.output) == "-":
        print(section)
    else:
        write_section(arguments.output, section)
        print(section)
        print(f"written to {arguments.output}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
