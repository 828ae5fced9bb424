"""Cost-based fetch strategies (issue 14): the outliers the fuzzer found, fixed and counted.

Each query is checked twice: the answer equals the same query over every row fetched without
any filter (the ``reference`` engine, pushdown off), and the requests the emulator counted equal
what the chosen strategy should send, worked out from the emulator's own data.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from engine_helpers import canonical

from bitbucket_sql.engine import Engine

PRS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
ONE_PR = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}"
REPOS = "GET /2.0/repositories/{workspace}"
PR_ACTIVITY = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/activity"
REPO_ACTIVITY = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/activity"
COMMENTS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments"
PAGE = 50  # pull requests and activity: Bitbucket's largest page


def counted(engine: Engine, emulator: Any, sql: str) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    emulator.reset_stats()
    result = engine.execute(sql)
    return result.rows, emulator.stats()["routes"]


def busiest_repository(emulator: Any) -> str:
    store = emulator.store
    slugs = [repo["slug"] for workspace, repo in store.repositories() if workspace == "acme"]
    return max(slugs, key=lambda slug: len(store.repo_data("acme", slug).pullrequests))


@pytest.fixture(scope="module")
def repo(emulator: Any) -> str:
    return busiest_repository(emulator)


@pytest.fixture(scope="module")
def requests_engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine(Optimize="requests")


@pytest.fixture(scope="module")
def latency_engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine(Optimize="latency")


def test_left_join_to_activity_reads_the_repository_wide_stream(
    latency_engine: Engine, reference: Engine, emulator: Any, repo: str
) -> None:
    sql = (f"SELECT p.id, p.title, count(a.pull_request_id) AS events FROM pull_requests AS p "
           f"LEFT JOIN pull_request_activity AS a ON a.repository = p.repository AND a.pull_request_id = p.id "
           f"WHERE p.repository = '{repo}' GROUP BY p.id, p.title ORDER BY p.id")
    rows, routes = counted(latency_engine, emulator, sql)
    assert rows == reference.execute(sql).rows
    data = emulator.store.repo_data("acme", repo)
    entries = sum(len(entries) for entries in data.pr_activity.values())
    assert routes == {PRS: math.ceil(len(data.pullrequests) / PAGE), REPO_ACTIVITY: math.ceil(entries / PAGE)}


def test_comments_join_under_optimize_requests_reads_the_activity_stream(
    requests_engine: Engine, latency_engine: Engine, reference: Engine, emulator: Any, repo: str
) -> None:
    sql = (f"SELECT p.id, p.title, count(c.id) AS comments, max(c.created_on) AS last_comment "
           f"FROM pull_requests AS p LEFT JOIN pull_request_comments AS c "
           f"ON c.repository = p.repository AND c.pull_request_id = p.id "
           f"WHERE p.repository = '{repo}' AND p.state = 'MERGED' GROUP BY p.id, p.title ORDER BY p.id")
    data = emulator.store.repo_data("acme", repo)
    merged = [pr for pr in data.pullrequests.values() if pr["state"] == "MERGED"]
    entries = sum(len(entries) for entries in data.pr_activity.values())
    expected = reference.execute(sql).rows

    rows, routes = counted(requests_engine, emulator, sql)
    assert rows == expected
    assert routes == {PRS: math.ceil(len(merged) / PAGE), REPO_ACTIVITY: math.ceil(entries / PAGE)}

    rows, _ = counted(latency_engine, emulator, sql)
    assert rows == expected


@pytest.mark.parametrize(
    ("optimize", "parents", "chosen", "requests"),
    [  # pr_comments_join at medium scale: 46 merged pull requests of one repository
        ("requests", 46, "comments from the repository activity stream", 17),
        ("latency", 46, "listing per parent", 46),  # 6 rounds instead of 17
        ("latency", 2, "comments from the repository activity stream", 1),  # fewer requests, same rounds
    ],
)
def test_the_goal_decides_between_per_parent_and_the_stream(
    optimize: str, parents: int, chosen: str, requests: int
) -> None:
    from bitbucket_sql.catalog import registry
    from bitbucket_sql.engine import strategies
    from bitbucket_sql.engine.analysis import Link
    from bitbucket_sql.engine.planner import ScanPlan

    table = registry.get_table("pull_request_comments")
    assert table is not None
    plan = ScanPlan(ref=None, table=table, workspace="acme",
                    links={"repository": Link("repository", 1, "repository"), "pull_request_id": Link("pull_request_id", 1, "id")})
    context = strategies.Context(concurrency=8, optimize=optimize, parents=parents, outer_scopes=1, parents_filtered=True)
    choice = strategies.choose(plan, context)
    assert (choice.strategy.name, choice.cost.requests) == (chosen, requests)
    assert {strategy.name for strategy, _ in choice.alternatives} == {
        "listing per parent", "comments from the repository activity stream"}


def test_comment_columns_from_the_activity_stream_equal_the_listing(
    requests_engine: Engine, reference: Engine, emulator: Any, repo: str
) -> None:
    sql = (f"SELECT c.* FROM pull_requests AS p JOIN pull_request_comments AS c "
           f"ON c.repository = p.repository AND c.pull_request_id = p.id WHERE p.repository = '{repo}'")
    rows, routes = counted(requests_engine, emulator, sql)
    assert REPO_ACTIVITY in routes and COMMENTS not in routes
    assert canonical(rows) == canonical(reference.execute(sql).rows)


def test_self_join_scans_the_table_once(engine: Engine, reference: Engine, emulator: Any, repo: str) -> None:
    sql = (f"SELECT a.author_display_name, count(*) AS pairs FROM pull_requests AS a JOIN pull_requests AS b "
           f"ON b.repository = a.repository AND b.author_display_name = a.author_display_name AND b.id > a.id "
           f"WHERE a.repository = '{repo}' AND b.repository = '{repo}' "
           f"GROUP BY a.author_display_name ORDER BY pairs DESC, a.author_display_name")
    rows, routes = counted(engine, emulator, sql)
    assert rows == reference.execute(sql).rows
    prs = len(emulator.store.repo_data("acme", repo).pullrequests)
    assert routes == {PRS: math.ceil(prs / PAGE)}
    plan = "\n".join(row[0] for row in engine.execute(f"EXPLAIN {sql}").rows)
    assert "shared: reads the rows of a" in plan


def test_union_of_one_table_is_one_scan(engine: Engine, reference: Engine, emulator: Any, repo: str) -> None:
    sql = (f"SELECT author_display_name FROM pull_requests WHERE repository = '{repo}' AND state = 'OPEN' "
           f"UNION SELECT author_display_name FROM pull_requests WHERE repository = '{repo}' AND state = 'MERGED' "
           f"ORDER BY author_display_name")
    rows, routes = counted(engine, emulator, sql)
    assert rows == reference.execute(sql).rows
    data = emulator.store.repo_data("acme", repo)
    wanted = sum(1 for pr in data.pullrequests.values() if pr["state"] in ("OPEN", "MERGED"))
    assert routes == {PRS: max(1, math.ceil(wanted / PAGE))}


def test_ids_without_a_repository_are_one_listing_per_repository(
    engine: Engine, reference: Engine, emulator: Any
) -> None:
    sql = "SELECT repository, id, title FROM pull_requests WHERE id IN (1, 2, 3) ORDER BY repository, id"
    rows, routes = counted(engine, emulator, sql)
    assert rows == reference.execute(sql).rows
    repositories = len(reference.execute("SELECT slug FROM repositories").rows)
    assert routes == {REPOS: 1, PRS: repositories}
    assert ONE_PR not in routes


def test_limit_asks_for_only_the_rows_it_needs(engine: Engine, reference: Engine, emulator: Any, repo: str) -> None:
    sql = f"SELECT id, title FROM pull_requests WHERE repository = '{repo}' ORDER BY created_on DESC LIMIT 4"
    emulator.reset_stats()
    with engine.client.recording() as recording:
        result = engine.execute(sql)
    assert len(recording.records) == 1 and "pagelen=4" in recording.records[0].url
    assert result.stats.rows_fetched == 4
    assert result.rows == reference.execute(sql).rows


def test_optimize_is_chosen_from_the_headroom(make_engine: Callable[..., Engine]) -> None:
    from bitbucket_sql.engine import strategies

    connection = make_engine(RateLimitPerHour=10_000_000)  # the suite's own requests leave ample headroom
    assert connection.settings.optimize is None
    assert strategies.goal(connection.settings, connection.client) == strategies.LATENCY

    class Low:
        rate_limit = type("Status", (), {"near_limit": False, "remaining": 100, "limit": 1000})()

    assert strategies.goal(connection.settings, Low()) == strategies.REQUESTS


@pytest.mark.parametrize(
    "sql",
    [
        # a branch with ORDER BY ... LIMIT keeps its own sorted scan; the other is not merged into it
        "(SELECT id FROM pull_requests WHERE repository = '{repo}' ORDER BY created_on DESC LIMIT 2) "
        "UNION ALL (SELECT id FROM pull_requests WHERE repository = '{repo}' AND state = 'DECLINED')",
        # a subquery on the same table, scope and filter: one scan
        "SELECT id FROM pull_requests WHERE repository = '{repo}' AND state = 'MERGED' AND id IN "
        "(SELECT max(id) FROM pull_requests WHERE repository = '{repo}' AND state = 'MERGED')",
        # a CTE used twice with different outer filters
        "WITH prs AS (SELECT * FROM pull_requests WHERE repository = '{repo}') "
        "SELECT (SELECT count(*) FROM prs WHERE state = 'OPEN'), (SELECT count(*) FROM prs WHERE state = 'MERGED')",
        # different scopes are never merged
        "SELECT id FROM pull_requests WHERE repository = '{repo}' UNION ALL "
        "SELECT id FROM pull_requests WHERE repository = 'api' AND state = 'OPEN'",
    ],
)
def test_shared_and_merged_scans_answer_like_unfiltered_reads(
    engine: Engine, reference: Engine, sql: str, repo: str
) -> None:
    query = sql.format(repo=repo)
    assert canonical(engine.execute(query).rows) == canonical(reference.execute(query).rows)


# --- pull requests of a few authors: the workspace-wide listing, chosen by cost (issue 17) -----------

USER_PRS = "GET /2.0/workspaces/{workspace}/pullrequests/{selected_user}"


def authors_by_reach(emulator: Any) -> list[str]:
    """Current members of acme who authored pull requests, the ones in most repositories first."""
    store = emulator.store
    members = store.workspaces["acme"].members
    reach: dict[str, set[str]] = {}
    for slug in store.workspaces["acme"].repositories:
        for pr in store.repo_data("acme", slug).pullrequests.values():
            if pr["author"]["uuid"] in members:
                reach.setdefault(pr["author"]["uuid"], set()).add(slug)
    return sorted(reach, key=lambda uuid: (-len(reach[uuid]), uuid))


def explained(engine: Engine, sql: str) -> str:
    return "\n".join(row[0] for row in engine.execute("EXPLAIN " + sql).rows)


def test_one_author_across_the_workspace_is_the_members_and_one_listing(
    make_engine: Callable[..., Engine], reference: Engine, emulator: Any
) -> None:
    uuid = authors_by_reach(emulator)[0]
    sql = f"SELECT repository, id, state FROM pull_requests WHERE author_uuid = '{uuid}'"
    fresh = make_engine()  # nothing cached: the members are listed by this query
    emulator.reset_stats()
    result = fresh.execute(sql)
    routes = emulator.stats()["routes"]
    assert canonical(result.rows) == canonical(reference.execute(sql).rows)
    assert len({row[0] for row in result.rows}) > 1  # the author's pull requests span repositories
    assert result.stats.requests == 2  # the members, then the author's listing
    assert routes.get(USER_PRS) == 1 and PRS not in routes and REPOS not in routes
    plan = explained(fresh, sql)
    assert "strategy: listing per author" in plan and "alternative: listing per scope" in plan, plan
    assert "Estimate: ~2 requests for the whole query" in plan, plan  # what the run sent


@pytest.mark.parametrize("authors", [3, 4])
def test_a_few_authors_in_named_repositories_are_read_per_repository(
    make_engine: Callable[..., Engine], reference: Engine, emulator: Any, authors: int
) -> None:
    """Two repositories named: 2 listings beat the members listing plus one listing per author."""
    values = authors_by_reach(emulator)[:authors]
    assert len(values) == authors
    listed = ", ".join(f"'{value}'" for value in values)
    sql = f"SELECT repository, id, state FROM pull_requests WHERE author_uuid IN ({listed}) AND repository IN ('api', 'web')"
    for optimize in ("latency", "requests"):
        fresh = make_engine(optimize=optimize)
        emulator.reset_stats()
        result = fresh.execute(sql)
        routes = emulator.stats()["routes"]
        assert canonical(result.rows) == canonical(reference.execute(sql).rows)
        assert result.rows
        assert result.stats.requests == routes[PRS] == 2 and USER_PRS not in routes, routes
        plan = explained(fresh, sql)
        assert "strategy: listing per scope" in plan, plan
        assert f"alternative: listing per author, ~{1 + authors} requests" in plan, plan


def test_one_author_in_many_named_repositories_uses_the_author_listing_to_save_requests(
    make_engine: Callable[..., Engine], reference: Engine, emulator: Any
) -> None:
    """Optimize=requests: the members plus one listing (2) beat one listing per named repository."""
    uuid = authors_by_reach(emulator)[0]
    slugs = sorted(emulator.store.workspaces["acme"].repositories)
    assert len(slugs) > 2
    listed = ", ".join(f"'{slug}'" for slug in slugs[:-1])  # every repository but one: its rows are dropped
    sql = f"SELECT repository, id FROM pull_requests WHERE author_uuid = '{uuid}' AND repository IN ({listed})"
    fresh = make_engine(optimize="requests")
    emulator.reset_stats()
    result = fresh.execute(sql)
    routes = emulator.stats()["routes"]
    assert canonical(result.rows) == canonical(reference.execute(sql).rows)
    assert result.rows and all(row[0] in slugs[:-1] for row in result.rows)
    assert result.stats.requests == 2 and routes.get(USER_PRS) == 1 and PRS not in routes, routes
