"""Subqueries pass keys as the equivalent join does.

``col IN (SELECT x FROM t WHERE ...)``, ``(a, b) IN (SELECT x, y ...)``, a correlated EXISTS or
scalar subquery, a CTE and a derived table joined to a child. Before, each of these listed every
scope of the child: at small scale the subquery form of a join listed every repository's pull
requests (18 requests for the two Go repositories, where the join form makes 4), and the others
read the comments of every pull request of the workspace (575 requests where the join makes 9). Each case checks the
answer against the unpushed ground truth (``pushdown=False``) and the requests the emulator saw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from engine_helpers import canonical

from bitbucket_sql.engine import Engine

REPOS = "GET /2.0/repositories/{workspace}"
PRS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
COMMENTS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments"


def _run(engine: Engine, emulator: Any, sql: str) -> tuple[list[Any], dict[str, int]]:
    emulator.reset_stats()
    rows = engine.execute(sql).rows
    return rows, emulator.stats()["routes"]


@pytest.fixture(scope="module")
def fresh(make_engine: Callable[..., Engine]) -> Callable[[], Engine]:
    """A new engine per query (no cache carried between the cases)."""
    return lambda: make_engine(CacheTTL=0)


def _language_with_fewest_repositories(reference: Engine) -> tuple[str, int]:
    language, count = reference.execute(
        "SELECT language, count(*) AS n FROM repositories GROUP BY language ORDER BY n, language LIMIT 1"
    ).rows[0]
    return str(language), int(count)


def test_repositories_chosen_by_a_subquery_are_the_only_ones_listed(
    fresh: Callable[[], Engine], reference: Engine, emulator: Any
) -> None:
    language, chosen = _language_with_fewest_repositories(reference)
    total = reference.execute("SELECT count(*) FROM repositories").rows[0][0]
    assert chosen < total
    sql = f"SELECT count(*) FROM pull_requests WHERE repository IN (SELECT slug FROM repositories WHERE language = '{language}')"
    rows, routes = _run(fresh(), emulator, sql)
    assert rows == reference.execute(sql).rows
    assert routes[REPOS] == 1
    assert routes[PRS] <= chosen * 2  # the chosen repositories' pages, not every repository's (tiny: 1 page each)


def test_pull_requests_chosen_by_a_subquery_are_the_only_ones_whose_comments_are_listed(
    fresh: Callable[[], Engine], reference: Engine, emulator: Any
) -> None:
    repo, open_prs, all_prs = reference.execute(
        "SELECT repository, count(*) FILTER (WHERE state = 'OPEN'), count(*) FROM pull_requests "
        "GROUP BY repository ORDER BY count(*) DESC, repository LIMIT 1").rows[0]
    assert open_prs < all_prs
    sql = (f"SELECT pull_request_id, count(*) FROM pull_request_comments WHERE repository = '{repo}' AND pull_request_id IN "
           f"(SELECT id FROM pull_requests WHERE repository = '{repo}' AND state = 'OPEN') GROUP BY pull_request_id")
    rows, routes = _run(fresh(), emulator, sql)
    assert canonical(rows) == canonical(reference.execute(sql).rows)
    assert routes.get(COMMENTS, 0) <= open_prs


@pytest.mark.parametrize(
    "sql",
    [
        # the subquery's own GROUP BY / HAVING / LIMIT narrow what it returns: keys stay a superset
        "SELECT id, repository FROM pull_requests WHERE repository IN "
        "(SELECT repository FROM pull_requests GROUP BY repository HAVING count(*) > 3 ORDER BY repository LIMIT 2)",
        "SELECT count(*) FROM pull_requests WHERE repository IN (SELECT DISTINCT slug FROM repositories "
        "WHERE language IS NOT NULL ORDER BY slug LIMIT 1)",
        # correlated: left to DuckDB
        "SELECT r.slug FROM repositories r WHERE r.slug IN (SELECT p.repository FROM pull_requests p "
        "WHERE p.repository = r.slug AND p.state = 'OPEN')",
        # NOT IN is not a key source
        "SELECT count(*) FROM pull_requests WHERE repository NOT IN (SELECT slug FROM repositories WHERE language = 'go')",
        # a subquery naming no repository at all, and one naming none that exists
        "SELECT count(*) FROM pull_requests WHERE repository IN (SELECT b.repository FROM branches b WHERE b.repository = 'nope')",
        "SELECT count(*) FROM pull_requests WHERE repository IN (SELECT slug FROM repositories WHERE language = 'cobol')",
        # under an OR the IN is not a filter of every row
        "SELECT count(*) FROM pull_requests WHERE state = 'OPEN' OR repository IN (SELECT slug FROM repositories WHERE language = 'go')",
        # nested: the inner subquery limits the middle one, which limits the outer scan
        "SELECT count(*) FROM pull_request_comments WHERE repository IN (SELECT repository FROM pull_requests "
        "WHERE state = 'OPEN' AND repository IN (SELECT slug FROM repositories WHERE language = 'go'))",
    ],
)
def test_in_subqueries_answer_as_without_pushdown(fresh: Callable[[], Engine], reference: Engine, sql: str) -> None:
    assert canonical(fresh().execute(sql).rows) == canonical(reference.execute(sql).rows)


CHILD_OF_OPEN = [
    "SELECT p.id FROM pull_requests p WHERE p.repository = '{repo}' AND p.state = 'OPEN' AND EXISTS "
    "(SELECT 1 FROM pull_request_comments c WHERE c.repository = p.repository AND c.pull_request_id = p.id)",
    "SELECT p.id FROM pull_requests p WHERE p.repository = '{repo}' AND p.state = 'OPEN' AND NOT EXISTS "
    "(SELECT 1 FROM pull_request_comments c WHERE c.repository = p.repository AND c.pull_request_id = p.id)",
    "SELECT p.id, (SELECT count(*) FROM pull_request_comments c WHERE c.repository = p.repository "
    "AND c.pull_request_id = p.id) FROM pull_requests p WHERE p.repository = '{repo}' AND p.state = 'OPEN'",
    "WITH o AS (SELECT id, repository FROM pull_requests WHERE state = 'OPEN' AND repository = '{repo}') "
    "SELECT o.id, count(c.id) FROM o JOIN pull_request_comments c ON c.repository = o.repository "
    "AND c.pull_request_id = o.id GROUP BY o.id",
    "SELECT p.id, count(*) FROM (SELECT * FROM pull_requests WHERE repository = '{repo}') p "
    "JOIN pull_request_comments c ON c.repository = p.repository AND c.pull_request_id = p.id "
    "WHERE p.state = 'OPEN' GROUP BY p.id",
    "SELECT c.pull_request_id, count(*) FROM pull_request_comments c WHERE (c.repository, c.pull_request_id) IN "
    "(SELECT repository, id FROM pull_requests WHERE state = 'OPEN' AND repository = '{repo}') GROUP BY 1",
]


@pytest.mark.parametrize("template", CHILD_OF_OPEN)
def test_comments_are_listed_only_for_the_open_pull_requests_the_subquery_names(
    fresh: Callable[[], Engine], reference: Engine, emulator: Any, template: str
) -> None:
    repo, open_prs, all_prs = reference.execute(
        "SELECT repository, count(*) FILTER (WHERE state = 'OPEN'), count(*) FROM pull_requests "
        "GROUP BY repository ORDER BY count(*) DESC, repository LIMIT 1").rows[0]
    assert 0 < open_prs < all_prs
    sql = template.format(repo=repo)
    rows, routes = _run(fresh(), emulator, sql)
    assert canonical(rows) == canonical(reference.execute(sql).rows)
    assert routes.get(COMMENTS, 0) <= open_prs
    assert routes.get(REPOS, 0) <= 1
