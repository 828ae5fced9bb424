"""DESC NULLS LAST over an API that sorts nulls first when descending.

The emulator's data has no nulls in sortable columns, so this uses a small in-memory stand-in
for the client that follows the documented BBQL sort rule (nulls last ascending, first
descending) and understands the one filter the fetcher adds (``<field> != null``).
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterator
from typing import Any

from bitbucket_sql.catalog import registry
from bitbucket_sql.engine.analysis import RefFacts
from bitbucket_sql.engine.cache import TTLCache
from bitbucket_sql.engine.fetcher import Fetcher, ScanReport
from bitbucket_sql.engine.planner import plan_scan
from bitbucket_sql.engine.references import TableRef


class Recording:
    def __init__(self) -> None:
        self.requests = self.retries = self.bytes = 0


class SortingClient:
    """Serves a list of comments with the API's sort and null rules; counts requests."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.sent: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def recording(self) -> Iterator[Recording]:
        yield Recording()

    def paginate_many(self, requests: Any, *, pagelen: int | None, limit: int | None, return_errors: bool) -> Iterator[tuple[Any, Any]]:
        for key, _path, params in requests:
            self.sent.append(dict(params))
            items = list(self.items)
            if "updated_on != null" in (params.get("q") or ""):
                items = [item for item in items if item["updated_on"] is not None]
            if params.get("sort") == "-updated_on":
                present = sorted((i for i in items if i["updated_on"]), key=lambda i: i["updated_on"], reverse=True)
                items = [i for i in items if not i["updated_on"]] + present
            for item in items[:limit]:
                yield key, item


def comment(number: int, day: int | None) -> dict[str, Any]:
    stamp = None if day is None else datetime.datetime(2026, 1, day, tzinfo=datetime.UTC).isoformat()
    return {"id": number, "updated_on": stamp}


def plan_for(limit: int) -> Any:
    table = registry.get_table("pull_request_comments")
    ref = TableRef(0, "catalog", table.name, "acme", "acme", table=table)
    facts = RefFacts(0, alias="c", columns={"id", "updated_on"}, order_column="updated_on",
                     order_descending=True, order_nulls_first=False, limit=limit, only_table=True)
    plan = plan_scan(ref, facts, pushdown=True, links_allowed=set())
    plan.key_values = {"repository": frozenset({"api"}), "pull_request_id": frozenset({1})}
    return plan


def fetch(client: SortingClient, limit: int) -> list[int]:
    fetcher = Fetcher(client, max_fanout=10, pushdown=True, scan_cache=TTLCache(0, max_weight=1))
    plan = plan_for(limit)
    assert plan.sort == "-updated_on" and plan.limit == limit and plan.nulls_last_fix
    rows = fetcher.fetch(plan, {}, ScanReport(plan=plan))
    index = plan.table.column_names.index("id")
    return sorted(row[index] for row in rows)


def test_no_nulls_needs_one_request() -> None:
    client = SortingClient([comment(n, n) for n in range(1, 8)])
    assert fetch(client, 3) == [5, 6, 7]
    assert len(client.sent) == 1 and "q" not in client.sent[0]


def test_nulls_in_the_first_rows_are_replaced_by_the_top_non_null_rows() -> None:
    client = SortingClient([comment(1, None), comment(2, None), *[comment(n, n) for n in range(3, 9)]])
    got = fetch(client, 3)
    assert len(client.sent) == 2 and client.sent[1]["q"].endswith("updated_on != null")
    assert {6, 7, 8} <= set(got)  # the true top 3 by updated_on DESC NULLS LAST are all there
    assert set(got) <= {1, 2, 6, 7, 8}  # plus at most the null rows, which DuckDB orders last


def test_short_scope_is_complete_without_a_second_request() -> None:
    client = SortingClient([comment(1, None), comment(2, 5)])
    assert fetch(client, 3) == [1, 2]
    assert len(client.sent) == 1
