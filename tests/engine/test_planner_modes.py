"""The modes that bound a listing's rows are strategy-owned types (``strategies.modes``): the
planner sets them, and the strategies, EXPLAIN and scan sharing ask the type, not a flag."""

from __future__ import annotations

from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.strategies.modes import ListingLimit, RangeStop, UserValues, reads_pages_in_sequence


def explain(engine: Engine, sql: str) -> str:
    return "\n".join(row[0] for row in engine.execute(f"EXPLAIN {sql}").rows)


def test_a_range_bound_is_a_range_stop_that_reads_pages_in_sequence(engine: Engine) -> None:
    text = explain(engine, "SELECT uuid FROM pipelines WHERE created_on >= TIMESTAMPTZ '2026-10-01 00:00:00+00'")
    assert "range early stop" in text and "adaptive page size" in text
    stop = RangeStop("created_on", "created_on >= X")
    column, predicate = stop  # the fetcher reads it as a pair
    assert (column, predicate) == ("created_on", "created_on >= X") and stop.sequential


def test_a_listing_order_limit_says_so(engine: Engine) -> None:
    text = explain(engine, "SELECT hash FROM branch_commits WHERE repository = 'api' AND branch = 'main' "
                           "ORDER BY position LIMIT 3")
    assert "limit per scope: 3 (the first rows of the API's own listing order)" in text
    assert not ListingLimit(3).sequential


def test_user_values_read_as_a_pair() -> None:
    users = UserValues("author_uuid", ("{a}", "{b}"))
    assert users[1] == users.values == ("{a}", "{b}") and users.explain  # AuthorListing says it


def test_sequence_follows_the_modes() -> None:
    from bitbucket_sql.catalog import registry
    from bitbucket_sql.engine.planner import ScanPlan

    pipelines = registry.get_table("pipelines")
    assert pipelines is not None
    plan = ScanPlan(ref=None, table=pipelines, workspace="acme")
    assert not reads_pages_in_sequence(plan)
    plan.range_stop = RangeStop("created_on", "created_on >= X")
    assert reads_pages_in_sequence(plan)
