"""EXPLAIN of a write: a dry run that shows the reads and the exact write requests, and sends no write.

The reads that find the target rows (UPDATE/DELETE) or produce the inserted rows (INSERT ...
SELECT) are planned like any query and shown with that query's own EXPLAIN lines; they are also
run, since the write requests cannot be known without the rows. The write requests follow, one
line each with method, path and JSON body, secrets masked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bitbucket_sql.catalog.model import TableDef, WriteOp

from ..explain import plural
from .parse import WriteStatement
from .requests import WriteRequest

if TYPE_CHECKING:
    from ..engine import Engine


def explain_write(
    engine: Engine,
    statement: WriteStatement,
    table: TableDef,
    op: WriteOp,
    requests: Sequence[WriteRequest],
    reads: Sequence[str],
) -> list[str]:
    lines = [f"Write: {statement.verb} {table.name}: {op.method} {op.path}"
             + (f" (OAuth scope {op.scope})" if op.scope else "")]
    if reads:
        for index, read_sql in enumerate(reads, start=1):
            title = "finding the target rows" if statement.kind != "insert" else "reading the rows to insert"
            lines.append(f"Read {index} ({title}): {read_sql}")
            plan = [str(row[0]) for row in engine.explain(read_sql).rows]
            lines += [f"  {line}" for line in plan if not line.startswith("Note: EXPLAIN")]
    else:
        lines.append("Rows: from VALUES, evaluated locally (no request)")
    if reads:
        lines.append("Note: the reads above ran (the write requests cannot be known without the rows).")
    lines.append(f"Write requests ({plural(len(requests), 'request')}, none sent: EXPLAIN is a dry run):")
    for request in requests:
        body = request.shown_body()
        lines.append(f"  {request.method} {request.path}" + (f"   body: {body}" if body is not None else ""))
    if len(requests) > engine.settings.max_fanout:
        lines.append(f"Note: {plural(len(requests), 'request')} is more than MaxFanout={engine.settings.max_fanout}; "
                     f"running this statement would be refused.")
    lines.append("Note: Bitbucket has no transactions; each request is applied as it is sent (autocommit).")
    return lines
