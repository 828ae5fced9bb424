"""Strategy estimates from counts the scan cache knows (issue 14): the listings per parent a
join needs that are cached cost no request, and their rows replace the fixed guess of rows per
parent; the choice follows (a join whose comment listings are all cached reads none again)."""

from __future__ import annotations

from typing import Any

from engine_helpers import canonical

from bitbucket_sql.engine import Engine, strategies
from bitbucket_sql.engine.strategies.kinds import PerParentListing

COMMENTS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments"
REPO_ACTIVITY = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/activity"


def test_cached_parents_cost_no_request() -> None:
    from bitbucket_sql.catalog import registry
    from bitbucket_sql.engine.planner import ScanPlan

    table = registry.get_table("pull_request_comments")
    assert table is not None
    plan = ScanPlan(ref=None, table=table, workspace="acme")
    cold = PerParentListing().estimate(plan, strategies.Context(parents=40))
    warm = PerParentListing().estimate(plan, strategies.Context(parents=40, cached_parents=30, rows_per_parent=3.0))
    assert cold.requests == 40
    assert warm.requests == 10 and "30 of them from the scan cache (from 30 cached listings)" in warm.basis


def test_a_join_whose_listings_per_parent_are_cached_sends_none(
    make_engine: Any, reference: Engine, emulator: Any
) -> None:
    engine = make_engine(Cache="memory", CacheTTL=300)
    ids = [row[0] for row in reference.execute("SELECT id FROM pull_requests WHERE repository = 'api'").rows]
    listed = ", ".join(str(i) for i in ids)
    # one comment listing per pull request, cached (the pull requests named by literals)
    engine.execute(f"SELECT id FROM pull_request_comments WHERE repository = 'api' AND pull_request_id IN ({listed})")
    join = ("SELECT p.id, c.id FROM pull_requests p JOIN pull_request_comments c "
            "ON c.repository = p.repository AND c.pull_request_id = p.id WHERE p.repository = 'api'")
    emulator.reset_stats()
    result = engine.execute(join)
    routes = emulator.stats()["routes"]
    assert COMMENTS not in routes and REPO_ACTIVITY not in routes, routes
    assert canonical(result.rows) == canonical(reference.execute(join).rows)
