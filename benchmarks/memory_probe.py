"""``python -m benchmarks.memory_probe SQL [BATCH]``: run one query through the DB-API in a process of its own.

The parent (:mod:`benchmarks.process`) reads this process's peak resident memory when it ends;
this side reads the rows the way an ETL script would (``fetchmany(BATCH)``, 10,000 unless given, keeping none)
and prints what the query cost as one JSON line: rows, JSON bytes transferred, requests. The
connection comes from ``BBSQL_CONNECTION``, as for ``bbsql``.
"""

from __future__ import annotations

import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    if len(arguments) not in (1, 2) or (len(arguments) == 2 and not arguments[1].isdigit()):
        print("usage: python -m benchmarks.memory_probe SQL [BATCH]", file=sys.stderr)
        return 2
    batch_rows = int(arguments[1]) if len(arguments) == 2 else 10_000
    import bitbucket_sql

    connection = bitbucket_sql.connect(os.environ["BBSQL_CONNECTION"])
    try:
        cursor = connection.cursor()
        cursor.execute(arguments[0])
        rows = 0
        while batch := cursor.fetchmany(batch_rows):
            rows += len(batch)
        stats = cursor.stats
        print(json.dumps({"rows": rows, "bytes": int(stats.bytes), "requests": int(stats.requests)}))
    finally:
        connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
