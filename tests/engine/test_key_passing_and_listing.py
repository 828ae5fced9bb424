"""Parent filters before key passing, range early stops, branch histories, the default Repository.

Each test checks the exact requests (emulator route counters and the client's accounting) and
that the result equals the unpushed ground truth (``pushdown=False``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from engine_helpers import canonical

from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import KeyNotFoundError
from bitbucket_sql.engine.planner import ScanPlan

REPOS = "GET /2.0/repositories/{workspace}"
PIPELINES = "GET /2.0/repositories/{workspace}/{repo_slug}/pipelines"
STEPS = "GET /2.0/repositories/{workspace}/{repo_slug}/pipelines/{pipeline_uuid}/steps"
BRANCHES = "GET /2.0/repositories/{workspace}/{repo_slug}/refs/branches"
BRANCH_HISTORY = "GET /2.0/repositories/{workspace}/{repo_slug}/commits/{revision:path}"
PRS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
COMMENTS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments"

FAILED_WITH_STEPS = """
SELECT p.repository, p.build_number, p.created_on, s.name AS step, s.state_result_name AS step_result
FROM pipelines AS p
JOIN pipeline_steps AS s ON s.repository = p.repository AND s.pipeline_uuid = p.uuid
WHERE p.state_result_name = 'FAILED' AND p.created_on >= ?
ORDER BY p.repository, p.build_number, s.name
"""


def run(engine: Engine, emulator: Any, sql: str, params: list[Any] | None = None) -> tuple[Any, list[tuple[str, dict[str, list[str]]]], dict[str, int]]:
    emulator.reset_stats()
    with engine.client.recording() as recording:
        result = engine.execute(sql, params)
    sent = [(urlsplit(r.url).path.removeprefix("/2.0"), parse_qs(urlsplit(r.url).query)) for r in recording.records]
    assert len(sent) == result.stats.requests
    return result, sent, emulator.stats()["routes"]


@pytest.fixture(scope="module")
def bound(reference: Engine) -> Any:
    """A created_on bound that keeps some but not all pipelines (the newest ~third)."""
    rows = reference.execute("SELECT created_on FROM pipelines ORDER BY created_on DESC").rows
    return rows[len(rows) // 3][0]


def test_only_keys_of_parents_passing_local_filters_are_passed(
    make_engine: Callable[..., Engine], reference: Engine, emulator: Any, bound: Any
) -> None:
    engine = make_engine(MaxFanout=50000)
    result, sent, routes = run(engine, emulator, FAILED_WITH_STEPS, [bound])
    expected = reference.execute(FAILED_WITH_STEPS, [bound]).rows
    assert result.rows == expected
    repositories = reference.execute("SELECT count(*) FROM repositories").rows[0][0]
    failed = reference.execute(
        "SELECT count(*) FROM pipelines WHERE state_result_name = 'FAILED' AND created_on >= ?", [bound]
    ).rows[0][0]
    assert 0 < failed < reference.execute("SELECT count(*) FROM pipelines").rows[0][0]
    # every repository's pipelines fit one page in the tiny data set
    assert routes == {REPOS: 1, PIPELINES: repositories, STEPS: failed}
    assert all(query["sort"] == ["-created_on"] for path, query in sent if path.endswith("/pipelines"))


def test_explain_names_the_key_filter_and_the_range_early_stop(engine: Engine, bound: Any) -> None:
    text = "\n".join(row[0] for row in engine.explain(FAILED_WITH_STEPS, [bound]).rows)
    assert "range early stop" in text and "sort: -created_on" in text
    assert "keys passed to joins: only rows passing state_result_name = 'FAILED'" in text


def test_parent_filters_on_the_preserved_side_only(engine: Engine, reference: Engine, emulator: Any) -> None:
    # a LEFT JOIN keeps every pipeline: its filter in ON applies to steps only, never to the pipeline keys
    sql = (
        "SELECT p.uuid, count(s.uuid) FROM pipelines p LEFT JOIN pipeline_steps s "
        "ON s.repository = p.repository AND s.pipeline_uuid = p.uuid AND p.state_result_name = 'FAILED' "
        "WHERE p.repository = 'api' GROUP BY 1"
    )
    result, _, routes = run(engine, emulator, sql)
    assert canonical(result.rows) == canonical(reference.execute(sql).rows)
    pipelines = reference.execute("SELECT count(*) FROM pipelines WHERE repository = 'api'").rows[0][0]
    assert routes == {PIPELINES: 1, STEPS: pipelines}


def test_range_early_stop_reads_pages_until_one_ends_below_the_bound(
    make_engine: Callable[..., Engine], reference: Engine, emulator: Any, bound: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ScanPlan, "pagelen", property(lambda self: 2))  # many small pages
    engine = make_engine()
    sql = "SELECT repository, build_number FROM pipelines WHERE created_on >= ?"
    result, sent, routes = run(engine, emulator, sql, [bound])
    assert canonical(result.rows) == canonical(reference.execute(sql, [bound]).rows)
    expected_pages = 0
    for (repository,) in reference.execute("SELECT slug FROM repositories").rows:
        dates = [row[0] for row in reference.execute(
            "SELECT created_on FROM pipelines WHERE repository = ? ORDER BY created_on DESC, build_number DESC",
            [repository]).rows]
        page = 0
        while True:
            expected_pages += 1
            rows = dates[2 * page: 2 * page + 2]
            if len(rows) < 2 or rows[-1] < bound:
                break
            page += 1
    total = len(reference.execute("SELECT * FROM pipelines").rows)
    assert routes[PIPELINES] == expected_pages < total // 2
    assert all(query["pagelen"] == ["2"] for path, query in sent if path.endswith("/pipelines"))


def test_last_commits_of_a_branch_is_one_request(engine: Engine, reference: Engine, emulator: Any) -> None:
    sql = "SELECT hash, position FROM branch_commits WHERE repository = 'api' AND branch = 'main' ORDER BY position LIMIT 5"
    result, sent, routes = run(engine, emulator, sql)
    assert routes == {BRANCH_HISTORY: 1}
    assert sent[0][0] == "/repositories/acme/api/commits/main"
    assert result.rows == reference.execute(sql).rows
    assert [row[1] for row in result.rows] == [0, 1, 2, 3, 4]
    head = engine.execute("SELECT target_hash FROM branches WHERE repository = 'api' AND name = 'main'").rows[0][0]
    assert result.rows[0][0] == head


def test_branch_names_with_slashes_go_raw_into_the_path(engine: Engine, reference: Engine, emulator: Any) -> None:
    name = reference.execute(
        "SELECT name FROM branches WHERE repository = 'api' AND name LIKE '%/%' ORDER BY name LIMIT 1").rows[0][0]
    sql = "SELECT hash, position FROM branch_commits WHERE repository = 'api' AND branch = ? AND position < 3"
    result, sent, routes = run(engine, emulator, sql, [name])
    assert routes == {BRANCH_HISTORY: 1}
    assert sent[0][0] == f"/repositories/acme/api/commits/{name}"
    assert canonical(result.rows) == canonical(reference.execute(sql, [name]).rows)
    assert sorted(row[1] for row in result.rows) == [0, 1, 2]


def test_position_zero_is_each_branch_head(engine: Engine, reference: Engine, emulator: Any) -> None:
    sql = (
        "SELECT b.name, b.target_hash, bc.hash FROM branches b JOIN branch_commits bc "
        "ON bc.repository = b.repository AND bc.branch = b.name WHERE b.repository = 'api' AND bc.position = 0"
    )
    result, _, routes = run(engine, emulator, sql)
    branches = reference.execute("SELECT count(*) FROM branches WHERE repository = 'api'").rows[0][0]
    assert routes == {BRANCHES: 1, BRANCH_HISTORY: branches}
    assert canonical(result.rows) == canonical(reference.execute(sql).rows)
    assert len(result.rows) == branches and all(row[1] == row[2] for row in result.rows)


def test_a_branch_that_does_not_exist_is_an_error_naming_it(engine: Engine, emulator: Any) -> None:
    emulator.reset_stats()
    with pytest.raises(KeyNotFoundError, match=r"Branch 'no/such#branch\?' was not found"):
        engine.execute("SELECT hash FROM branch_commits WHERE repository = 'api' AND branch = 'no/such#branch?'")
    # the history answered 404; looking up the branch (404) and its repository (found) said which key is missing
    assert emulator.stats()["routes"] == {
        BRANCH_HISTORY: 1, BRANCHES + "/{name:path}": 1, "GET /2.0/repositories/{workspace}/{repo_slug}": 1}


@pytest.fixture(scope="module")
def scoped(make_engine: Callable[..., Engine]) -> tuple[Engine, Engine]:
    return make_engine(Repository="api"), make_engine(Repository="api", pushdown=False)


def test_default_repository_scopes_queries_without_a_repository(scoped: tuple[Engine, Engine], emulator: Any) -> None:
    engine, truth = scoped
    sql = "SELECT repository, count(*) FROM pull_requests GROUP BY 1"
    result, sent, routes = run(engine, emulator, sql)
    assert routes == {PRS: 1} and sent[0][0] == "/repositories/acme/api/pullrequests"
    assert result.rows == truth.execute(sql).rows and [row[0] for row in result.rows] == ["api"]
    text = "\n".join(row[0] for row in engine.explain(sql).rows)
    assert "'api' from the connection's Repository" in text


def test_a_repository_condition_overrides_the_default(scoped: tuple[Engine, Engine], emulator: Any) -> None:
    engine, truth = scoped
    sql = "SELECT repository, count(*) FROM pull_requests WHERE repository IN ('api', 'infra') GROUP BY 1 ORDER BY 1"
    result, _, routes = run(engine, emulator, sql)
    assert routes == {PRS: 2}
    assert result.rows == truth.execute(sql).rows and [row[0] for row in result.rows] == ["api", "infra"]


def test_joined_tables_follow_the_default_together(scoped: tuple[Engine, Engine], emulator: Any) -> None:
    engine, truth = scoped
    join = ("SELECT p.repository, count(*) FROM pull_requests p JOIN pull_request_comments c "
            "ON c.repository = p.repository AND c.pull_request_id = p.id {where} GROUP BY 1")
    for where, repository in (("", "api"), ("WHERE p.repository = 'infra'", "infra")):
        sql = join.format(where=where)
        result, sent, routes = run(engine, emulator, sql)
        assert result.rows == truth.execute(sql).rows and {row[0] for row in result.rows} == {repository}
        assert routes[PRS] == 1 and sent[0][0] == f"/repositories/acme/{repository}/pullrequests"
        assert all(path.startswith(f"/repositories/acme/{repository}/") for path, _ in sent)


def test_default_repository_leaves_other_workspaces_and_workspace_tables(scoped: tuple[Engine, Engine], emulator: Any) -> None:
    engine, truth = scoped
    for sql in ("SELECT count(*) FROM repositories", "SELECT count(DISTINCT repository) FROM globex.pull_requests"):
        result, _, _ = run(engine, emulator, sql)
        assert result.rows == truth.execute(sql).rows and result.rows[0][0] > 1


def test_independent_scans_are_fetched_concurrently(make_engine: Callable[..., Engine], reference: Engine, emulator: Any) -> None:
    engine = make_engine()
    sql = (
        "SELECT 'pr' AS kind, count(*) FROM pull_requests WHERE repository = 'api' "
        "UNION ALL SELECT 'pipeline', count(*) FROM pipelines WHERE repository = 'api' "
        "UNION ALL SELECT 'branch', count(*) FROM branches WHERE repository = 'api'"
    )
    emulator.reset_stats()
    emulator.set_latency(400)  # each answer takes 0.4 s: one after another, they could never overlap
    try:
        result = engine.execute(sql)
    finally:
        emulator.set_latency(0)
    assert emulator.stats()["routes"] == {PRS: 1, PIPELINES: 1, BRANCHES: 1} and result.stats.requests == 3
    assert canonical(result.rows) == canonical(reference.execute(sql).rows)
    assert emulator.peak_in_flight() == 3  # the emulator saw all three requests at the same moment


@pytest.mark.parametrize(
    ("condition", "positions"),
    [("position <= 2", [0, 1, 2]), ("position BETWEEN 1 AND 3", [1, 2, 3]), ("3 > position", [0, 1, 2]),
     ("position = 4", [4])],
)
def test_position_bounds_stop_each_branch_early(
    engine: Engine, reference: Engine, emulator: Any, condition: str, positions: list[int]
) -> None:
    sql = f"SELECT hash, position FROM branch_commits WHERE repository = 'api' AND branch = 'main' AND {condition}"
    result, sent, routes = run(engine, emulator, sql)
    assert routes == {BRANCH_HISTORY: 1} and sent[0][1]["pagelen"] == [str(max(positions) + 1)]  # the rows needed
    assert sorted(row[1] for row in result.rows) == positions
    assert canonical(result.rows) == canonical(reference.execute(sql).rows)


def test_newest_last_order_is_not_a_listing_stop(engine: Engine, reference: Engine, emulator: Any) -> None:
    sql = "SELECT hash, position FROM branch_commits WHERE repository = 'api' AND branch = 'main' ORDER BY position DESC LIMIT 3"
    result, sent, _ = run(engine, emulator, sql)
    assert "pagelen" in sent[0][1] and sent[0][1]["pagelen"] == ["100"]
    assert result.rows == reference.execute(sql).rows
