"""Writes: time and requests of a bulk INSERT (DB-API ``executemany``) and a DELETE by WHERE.

``python -m benchmarks.writes [--rows 40] [--latency-ms 100]`` starts the emulator (tiny scale) with
the given latency per request, creates ``--rows`` tags on repository ``api`` with one
``executemany`` and deletes them with one ``DELETE ... WHERE name LIKE``, at MaxConcurrency 1 and 8,
and prints a Markdown table. Each row is one request whatever the concurrency (Bitbucket has no
bulk endpoint); concurrency only shortens the wall time.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import bitbucket_sql
from bitbucket_sql.emulator import run_emulator


@dataclass(frozen=True)
class WriteTiming:
    concurrency: int
    insert_s: float
    insert_requests: int
    delete_s: float
    delete_requests: int
    deleted: int


def measure(rows: int, latency_ms: float, concurrencies: tuple[int, ...] = (1, 8)) -> list[WriteTiming]:
    timings = []
    with run_emulator(scale="tiny", seed=1) as emulator:
        base = (f"BaseURL={emulator.base_url};Workspace=acme;AuthScheme=APIToken;User=demo@example.com;"
                f"APIToken=demo-api-token;CacheTTL=0")
        for concurrency in concurrencies:
            with bitbucket_sql.connect(f"{base};MaxConcurrency={concurrency}") as connection:
                cursor = connection.cursor()
                cursor.execute("SELECT target_hash FROM branches WHERE repository = 'api' AND name = 'main'")
                head = cursor.fetchall()[0][0]
                emulator.set_latency(latency_ms)
                started = time.monotonic()
                cursor.executemany("INSERT INTO tags (repository, name, target_hash) VALUES ('api', ?, ?)",
                                   [(f"bench-{concurrency}-{index}", head) for index in range(rows)])
                insert_s, insert_requests = time.monotonic() - started, cursor.stats.requests
                started = time.monotonic()
                cursor.execute(f"DELETE FROM tags WHERE repository = 'api' AND name LIKE 'bench-{concurrency}-%'")
                timings.append(WriteTiming(concurrency, insert_s, insert_requests, time.monotonic() - started,
                                           cursor.stats.requests, cursor.rowcount))
                emulator.set_latency(0)
    return timings


def render(timings: list[WriteTiming], rows: int, latency_ms: float) -> str:
    lines = [f"{rows} rows, {latency_ms:g} ms per request:", "",
             "| MaxConcurrency | executemany INSERT | requests | DELETE ... WHERE | requests (incl. the read) |",
             "| --- | --- | --- | --- | --- |"]
    lines += [f"| {t.concurrency} | {t.insert_s:.2f} s | {t.insert_requests} | {t.delete_s:.2f} s | "
              f"{t.delete_requests} |" for t in timings]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    args = parser.parse_args(argv)
    print(render(measure(args.rows, args.latency_ms), args.rows, args.latency_ms))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
