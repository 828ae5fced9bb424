"""The cost line of a query (``5 rows in 0.42 s, 3 requests``) and other one-line words.

Kept apart from :mod:`._display` (rich tables) so that the commands that only print this line
(``bbsql query -f csv``, the progress line) do not load rich at start-up.
"""

from __future__ import annotations

from typing import Any


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``1 request``, ``2 requests``, ``0 retries`` (with ``plural_form='retries'``)."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def stats_line(result: Any, *, plan: bool = False) -> str:
    """``5 rows in 0.42 s, 3 requests, 1 retry, 2 from cache``: what the query cost.

    ``plan`` is for EXPLAIN output, whose rows are plan lines rather than data. A streamed
    result (``result.stream``) counts the rows written, once they are.
    """
    stats = result.stats
    parts = [plural(stats.requests, "request")]
    if stats.retries:
        parts.append(plural(stats.retries, "retry", "retries"))
    if stats.cache_hits:
        parts.append(f"{stats.cache_hits} from cache")
    affected = getattr(result, "affected_rows", None)  # an INSERT/UPDATE/DELETE: the rows it changed
    returned = stats.rows_returned if getattr(result, "stream", None) is not None else len(result.rows)
    what = ("plan" if plan else f"{plural(affected, 'row')} changed" if affected is not None
            else plural(returned, "row"))
    return f"{what} in {stats.elapsed_s:.2f} s, {', '.join(parts)}"


def is_explain(sql: str) -> bool:
    return sql.lstrip().upper().startswith("EXPLAIN")
