"""The exact requests each pushdown rule sends (emulator counters and the client's accounting)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bitbucket_sql.engine import Engine, FanoutLimitError

PRS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
REPOS = "GET /2.0/repositories/{workspace}"
ONE_PR = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}"
COMMENTS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments"
REPO_ACTIVITY = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/activity"


def run(engine: Engine, emulator: Any, sql: str, params: list[Any] | None = None) -> tuple[Any, list[tuple[str, dict[str, list[str]]]], dict[str, int]]:
    """Execute; return the result, the requests sent (path, query) and the emulator's route counts."""
    emulator.reset_stats()
    with engine.client.recording() as recording:
        result = engine.execute(sql, params)
    sent = []
    for record in recording.records:
        parts = urlsplit(record.url)
        sent.append((parts.path.removeprefix("/2.0"), parse_qs(parts.query)))
    return result, sent, emulator.stats()["routes"]


@pytest.fixture(scope="module")
def fresh(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


def test_repository_key_becomes_the_url(fresh: Engine, emulator: Any) -> None:
    _, sent, routes = run(fresh, emulator, "SELECT id FROM pull_requests WHERE repository = 'api'")
    assert routes == {PRS: 1}
    assert sent[0][0] == "/repositories/acme/api/pullrequests"


def test_repository_in_list_visits_only_those(fresh: Engine, emulator: Any) -> None:
    _, sent, routes = run(fresh, emulator, "SELECT id FROM pull_requests WHERE repository IN ('api', 'web')")
    assert routes == {PRS: 2}
    assert sorted(path for path, _ in sent) == ["/repositories/acme/api/pullrequests", "/repositories/acme/web/pullrequests"]


def test_without_key_repositories_are_enumerated_once(fresh: Engine, emulator: Any) -> None:
    result, sent, routes = run(fresh, emulator, "SELECT DISTINCT repository FROM pull_requests")
    repositories = fresh.execute("SELECT count(*) FROM repositories").rows[0][0]
    assert routes == {REPOS: 1, PRS: repositories}
    enumeration = next(query for path, query in sent if path == "/repositories/acme")
    assert enumeration["fields"] == ["values.slug,next,page,size,pagelen"]


def test_id_equality_is_one_get(fresh: Engine, emulator: Any) -> None:
    result, sent, routes = run(fresh, emulator, "SELECT id, title FROM pull_requests WHERE repository = 'api' AND id = 2")
    assert routes == {ONE_PR: 1}
    assert sent[0][0] == "/repositories/acme/api/pullrequests/2"
    assert [row[0] for row in result.rows] == [2]


def test_get_of_a_missing_object_is_no_row(fresh: Engine, emulator: Any) -> None:
    result, _, routes = run(fresh, emulator, "SELECT id FROM pull_requests WHERE repository = 'api' AND id = 9999")
    # the 404 could mean "no repository api" (an error) or "no such pull request" (no row): one
    # lookup of the repository tells them apart
    assert routes == {ONE_PR: 1, "GET /2.0/repositories/{workspace}/{repo_slug}": 1}
    assert result.rows == []


def q_of(sent: list[tuple[str, dict[str, list[str]]]]) -> str | None:
    values = {query.get("q", [None])[0] for _, query in sent}
    assert len(values) == 1
    return values.pop()


@pytest.mark.parametrize(
    ("where", "expected_q"),
    [
        ("state = 'OPEN'", 'state = "OPEN"'),
        ("state IN ('OPEN', 'MERGED', NULL)", 'state IN ("OPEN", "MERGED")'),
        ("comment_count > '3'", 'state IN ("OPEN", "MERGED", "DECLINED", "SUPERSEDED") AND comment_count > 3'),
        ("state = 'MERGED' AND created_on >= '2026-01-01T02:00:00+02:00'", 'state = "MERGED" AND created_on >= 2026-01-01T00:00:00+00:00'),
        ("state != 'OPEN' AND draft = 'true'", 'state != "OPEN" AND draft = true'),
        ("state NOT IN ('OPEN') AND merge_commit_hash IS NULL", 'state NOT IN ("OPEN") AND merge_commit.hash = null'),
        ("state = 'MERGED' AND merge_commit_hash IS NOT NULL", 'state = "MERGED" AND merge_commit.hash != null'),
        ("state = 'OPEN' AND title LIKE '%dark_mode%'", 'state = "OPEN" AND title ~ "mode"'),  # no k/i/s: see like_fragment
        ("(state = 'OPEN' OR comment_count BETWEEN 2 AND 3)", 'state = "OPEN" OR (comment_count >= 2 AND comment_count <= 3)'),
        ("(comment_count > 1 OR task_count > 1) AND state = 'OPEN'",
         '(comment_count > 1 OR task_count > 1) AND state = "OPEN"'),
        ("state = 'OPEN' AND author_display_name = 'x\" OR title ~ \"'", 'state = "OPEN" AND author.display_name = "x\\" OR title ~ \\""'),
        ("state = 'OPEN' AND title = 'back\\slash'", 'state = "OPEN" AND title = "back\\\\slash"'),
    ],
)
def test_predicates_become_bbql(fresh: Engine, emulator: Any, where: str, expected_q: str) -> None:
    _, sent, routes = run(fresh, emulator, f"SELECT id FROM pull_requests WHERE repository = 'api' AND {where}")
    assert routes == {PRS: 1}
    assert q_of(sent) == expected_q
    assert "state" not in sent[0][1]  # the API ignores state params once q is present


def test_local_only_predicates_send_no_q_and_list_every_state(fresh: Engine, emulator: Any) -> None:
    _, sent, _ = run(fresh, emulator, "SELECT id FROM pull_requests WHERE repository = 'api' AND lower(title) = 'x' "
                     "AND (state = 'OPEN' OR repository = 'web')")
    assert q_of(sent) is None
    assert sorted(sent[0][1]["state"]) == ["DECLINED", "MERGED", "OPEN", "SUPERSEDED"]


def test_injection_through_a_parameter_stays_one_string(fresh: Engine, emulator: Any, reference: Engine) -> None:
    evil = 'x" OR title ~ "'
    sql = "SELECT id FROM pull_requests WHERE repository = 'api' AND title = ?"
    result, sent, _ = run(fresh, emulator, sql, [evil])
    assert q_of(sent) == 'state IN ("OPEN", "MERGED", "DECLINED", "SUPERSEDED") AND title = "x\\" OR title ~ \\""'
    assert result.rows == reference.execute(sql, [evil]).rows == []


def test_plain_parameter_columns(fresh: Engine, emulator: Any) -> None:
    _, sent, _ = run(fresh, emulator, "SELECT uuid FROM pipelines WHERE repository = 'api' AND target_ref_name = 'main'")
    assert sent[0][1]["target.ref_name"] == ["main"]
    assert "q" not in sent[0][1]


def test_order_by_limit_becomes_sort_and_early_stop(fresh: Engine, emulator: Any) -> None:
    result, sent, routes = run(fresh, emulator, "SELECT created_on FROM pull_requests WHERE repository = 'api' "
                               "ORDER BY created_on LIMIT 3")
    assert routes == {PRS: 1}
    assert sent[0][1]["sort"] == ["created_on"]
    assert sent[0][1]["pagelen"] == ["3"]  # only the rows the LIMIT needs (issue 14)
    assert result.stats.rows_fetched <= 3


def test_order_by_desc_needs_no_second_request_without_nulls(fresh: Engine, emulator: Any) -> None:
    result, sent, _ = run(fresh, emulator, "SELECT created_on FROM pull_requests WHERE repository = 'api' "
                          "ORDER BY created_on DESC LIMIT 3")
    assert len(sent) == 1 and sent[0][1]["sort"] == ["-created_on"] and "q" not in sent[0][1]
    assert result.stats.rows_fetched == 3


def test_top_n_per_repository(fresh: Engine, emulator: Any) -> None:
    result, sent, routes = run(fresh, emulator, "SELECT created_on FROM pull_requests ORDER BY created_on DESC LIMIT 2")
    listings = [query for path, query in sent if path.endswith("/pullrequests")]
    assert all(query["sort"] == ["-created_on"] for query in listings)
    assert result.stats.rows_fetched <= 2 * len(listings) + 5


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT created_on FROM pull_requests WHERE repository = 'api' AND title LIKE '%a%' ORDER BY created_on LIMIT 3",
        "SELECT created_on FROM pull_requests WHERE repository = 'api' AND lower(title) > 'a' ORDER BY created_on LIMIT 3",
        "SELECT title FROM pull_requests WHERE repository = 'api' ORDER BY title LIMIT 3",
        "SELECT p.created_on FROM pull_requests p JOIN repositories r ON r.slug = p.repository "
        "WHERE p.repository = 'api' ORDER BY p.created_on LIMIT 3",
    ],
)
def test_no_sort_pushdown_when_unsafe(fresh: Engine, emulator: Any, sql: str) -> None:
    _, sent, _ = run(fresh, emulator, sql)
    assert all("sort" not in query for _, query in sent)


def test_fields_lists_only_needed_columns(fresh: Engine, emulator: Any) -> None:
    _, sent, _ = run(fresh, emulator, "SELECT title FROM pull_requests WHERE repository = 'api' AND state = 'OPEN'")
    assert sent[0][1]["fields"] == ["values.id,values.state,values.title,next,page,size,pagelen"]


def test_reviewers_are_requested_only_when_needed(fresh: Engine, emulator: Any, reference: Engine) -> None:
    _, sent, _ = run(fresh, emulator, "SELECT * FROM pull_requests WHERE repository = 'api'")
    assert sent[0][1]["fields"] == ["+values.reviewers,+values.participants"]
    sql = "SELECT id, reviewers FROM pull_requests WHERE repository = 'api'"
    result, sent, _ = run(fresh, emulator, sql)
    assert "values.reviewers" in sent[0][1]["fields"][0].split(",")
    assert any(row[1] not in (None, "[]") for row in result.rows)
    assert sorted(result.rows) == sorted(reference.execute(sql).rows)


def test_join_passes_parent_keys_to_children(fresh: Engine, emulator: Any) -> None:
    open_prs = fresh.execute("SELECT id FROM pull_requests WHERE repository = 'api' AND state = 'OPEN'").rows
    sql = (
        "SELECT p.id, c.id FROM pull_requests p JOIN pull_request_comments c "
        "ON c.pull_request_id = p.id AND c.repository = p.repository WHERE p.repository = 'api' AND p.state = 'OPEN'"
    )
    _, sent, routes = run(fresh, emulator, sql)
    if routes.get(REPO_ACTIVITY):  # cheaper here (engine/strategies): api's activity stream, one page
        assert routes == {PRS: 1, REPO_ACTIVITY: 1}
        assert [path for path, _ in sent if path.endswith("/activity")] == ["/repositories/acme/api/pullrequests/activity"]
        return
    assert routes == {PRS: 1, COMMENTS: len(open_prs)}
    comment_paths = sorted(path for path, _ in sent if path.endswith("/comments"))
    assert comment_paths == sorted(f"/repositories/acme/api/pullrequests/{pr}/comments" for (pr,) in open_prs)


def test_wide_endpoint_instead_of_one_request_per_parent(fresh: Engine, emulator: Any) -> None:
    _, sent, routes = run(fresh, emulator, "SELECT count(*) FROM pull_request_activity WHERE repository = 'api'")
    assert routes == {"GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/activity": 1}


def test_fanout_limit_stops_before_the_fan_out(make_engine: Callable[..., Engine], emulator: Any) -> None:
    limited = make_engine(MaxFanout=3)
    emulator.reset_stats()
    with pytest.raises(FanoutLimitError) as raised:
        limited.execute("SELECT * FROM pull_requests")
    assert emulator.stats()["routes"] == {REPOS: 1}  # only the enumeration that counted the scopes
    message = str(raised.value)
    assert "pull_requests" in message and "MaxFanout=3" in message and "repository" in message
    assert limited.execute("SELECT count(*) FROM pull_requests WHERE repository IN ('api', 'web')").rows[0][0] > 0


def test_result_cache_makes_no_request(make_engine: Callable[..., Engine], emulator: Any) -> None:
    cached = make_engine(CacheTTL=60)
    first, _, first_routes = run(cached, emulator, "SELECT id, title FROM pull_requests WHERE repository = 'web'")
    again, sent, routes = run(cached, emulator, "SELECT id, title FROM pull_requests WHERE repository = 'web'")
    assert first_routes and routes == {} and sent == []
    assert again.rows == first.rows and again.stats.cache_hits == 1 and again.stats.requests == 0


def test_scan_cache_is_shared_by_overlapping_queries(make_engine: Callable[..., Engine], emulator: Any) -> None:
    cached = make_engine(CacheTTL=60)
    run(cached, emulator, "SELECT count(*) FROM pull_requests")
    result, _, routes = run(cached, emulator, "SELECT max(created_on) FROM pull_requests")
    assert REPOS not in routes  # the repository enumeration came from the scan cache
    assert result.stats.cache_hits >= 1


def test_cache_ttl_zero_disables_caching(fresh: Engine, emulator: Any) -> None:
    run(fresh, emulator, "SELECT id FROM pull_requests WHERE repository = 'web'")
    _, _, routes = run(fresh, emulator, "SELECT id FROM pull_requests WHERE repository = 'web'")
    assert routes == {PRS: 1}


def test_pushdown_off_sends_no_filters(reference: Engine, emulator: Any) -> None:
    _, sent, _ = run(reference, emulator, "SELECT id FROM pull_requests WHERE repository = 'api' AND state = 'OPEN' "
                     "ORDER BY created_on LIMIT 2")
    assert all("q" not in query and "sort" not in query for _, query in sent)
    assert any(path == "/repositories/acme" for path, _ in sent)  # keys are not used either


def test_key_predicates_narrow_the_parent_enumeration(fresh: Engine, emulator: Any, reference: Engine) -> None:
    sql = "SELECT id, repository FROM pull_requests WHERE repository LIKE 'a%'"
    result, sent, routes = run(fresh, emulator, sql)
    enumeration = next(query for path, query in sent if path == "/repositories/acme")
    assert enumeration["q"] == ['slug ~ "a"']
    assert routes == {REPOS: 1, PRS: 1}  # only `api` passes the LIKE re-checked on the enumerated slugs
    assert sorted(result.rows) == sorted(reference.execute(sql).rows)


def test_pull_request_key_ranges_narrow_the_enumeration(fresh: Engine, emulator: Any, reference: Engine) -> None:
    sql = "SELECT count(*) FROM pull_request_comments WHERE repository = 'api' AND pull_request_id > 5"
    result, sent, routes = run(fresh, emulator, sql)
    listing = next(query for path, query in sent if path.endswith("/pullrequests"))
    assert listing["q"] == ['state IN ("OPEN", "MERGED", "DECLINED", "SUPERSEDED") AND id > 5']
    prs_above_5 = fresh.execute("SELECT count(*) FROM pull_requests WHERE repository = 'api' AND id > 5").rows[0][0]
    assert routes[COMMENTS] == prs_above_5
    assert result.rows == reference.execute(sql).rows


def test_limit_without_order_stops_early(fresh: Engine, emulator: Any, reference: Engine) -> None:
    result, sent, routes = run(fresh, emulator, "SELECT id, title FROM pull_requests WHERE repository = 'api' LIMIT 2")
    assert routes == {PRS: 1} and sent[0][1]["pagelen"] == ["2"] and "sort" not in sent[0][1]
    assert len(result.rows) == 2 and result.stats.rows_fetched == 2
    every = {row[0] for row in reference.execute("SELECT id FROM pull_requests WHERE repository = 'api'").rows}
    assert {row[0] for row in result.rows} <= every
    grouped = fresh.execute("SELECT count(*) FROM (SELECT id FROM pull_requests WHERE repository = 'api' LIMIT 3)")
    assert grouped.rows == [(3,)]


def test_join_on_a_filterable_column_sends_the_values(fresh: Engine, emulator: Any, reference: Engine) -> None:
    sql = (
        "SELECT p.id, c.id FROM pull_requests p JOIN pull_request_comments c ON c.repository = p.repository "
        "AND c.pull_request_id = p.id AND c.user_uuid = p.author_uuid WHERE p.repository = 'api' AND p.state = 'MERGED'"
    )
    result, sent, _ = run(fresh, emulator, sql)
    authors = {row[0] for row in fresh.execute(
        "SELECT author_uuid FROM pull_requests WHERE repository = 'api' AND state = 'MERGED'").rows}
    comment_queries = [query for path, query in sent if path.endswith("/comments")]
    assert comment_queries
    for query in comment_queries:
        (q,) = query["q"]
        assert q.startswith("user.uuid IN (") and all(author in q for author in authors)
    assert sorted(result.rows) == sorted(reference.execute(sql).rows)


def test_join_with_an_empty_side_makes_no_child_requests(fresh: Engine, emulator: Any) -> None:
    sql = (
        "SELECT p.id, c.id FROM pull_requests p JOIN pull_request_comments c ON c.repository = p.repository "
        "AND c.pull_request_id = p.id WHERE p.repository = 'api' AND p.state = 'NO SUCH STATE'"
    )
    result, _, routes = run(fresh, emulator, sql)
    assert result.rows == [] and routes == {PRS: 1}


@pytest.mark.parametrize(
    "sql",
    [
        "WITH merged AS (SELECT * FROM pull_requests WHERE repository = 'web' AND state = 'MERGED') "
        "SELECT count(*) FROM merged",
        "SELECT count(*) FROM (SELECT id FROM pull_requests WHERE repository = 'web' AND state = 'MERGED') t",
        "SELECT id FROM pull_requests WHERE repository = 'web' AND state = 'MERGED' "
        "UNION ALL SELECT id FROM pull_requests WHERE repository = 'web' AND state = 'MERGED' AND id > 1000",
    ],
)
def test_predicates_in_ctes_subqueries_and_unions_are_pushed(fresh: Engine, emulator: Any, sql: str) -> None:
    _, sent, _ = run(fresh, emulator, sql)
    assert all(path == "/repositories/acme/web/pullrequests" for path, _ in sent)
    assert all(query["q"][0].startswith('state = "MERGED"') for _, query in sent)


def test_limit_zero_fetches_nothing(fresh: Engine, emulator: Any) -> None:
    result, _, routes = run(fresh, emulator, "SELECT * FROM pull_requests WHERE repository = 'web' LIMIT 0")
    assert result.rows == [] and routes == {}


def test_fanout_limit_on_a_parent_enumeration_names_the_query_table(
    make_engine: Callable[..., Engine], emulator: Any
) -> None:
    limited = make_engine(MaxFanout=3)
    emulator.reset_stats()
    with pytest.raises(FanoutLimitError) as raised:
        limited.execute("SELECT count(*) FROM pull_request_comments")
    message = str(raised.value)
    assert "acme.pull_requests" in message and "pull_request_id values of acme.pull_request_comments" in message
    assert "repository" in message
    assert COMMENTS not in emulator.stats()["routes"] and PRS not in emulator.stats()["routes"]


def test_constant_expressions_are_folded_into_bbql(fresh: Engine, emulator: Any) -> None:
    import datetime

    before = datetime.datetime.now(datetime.UTC)
    _, sent, _ = run(fresh, emulator, "SELECT id FROM pull_requests WHERE repository = 'api' "
                     "AND created_on > now() - INTERVAL 7 DAY AND state = upper('open')")
    (q,) = sent[0][1]["q"]
    prefix = "created_on >= "  # > x is >= x + 1 µs: rows hold timestamps truncated to microseconds
    assert q.startswith(prefix) and q.endswith(' AND state = "OPEN"')
    bound = datetime.datetime.fromisoformat(q[len(prefix):].split(" AND ")[0])
    assert abs((before - datetime.timedelta(days=7)) - bound) < datetime.timedelta(minutes=5)


def test_volatile_expressions_stay_local(fresh: Engine, emulator: Any) -> None:
    _, sent, _ = run(fresh, emulator, "SELECT id FROM pull_requests WHERE repository = 'api' AND comment_count > random()")
    assert "q" not in sent[0][1]


def test_limit_without_order_stops_all_scopes_once_reached(make_engine: Callable[..., Engine], emulator: Any) -> None:
    sequential = make_engine(MaxConcurrency=1)
    repositories = sequential.execute("SELECT count(*) FROM repositories").rows[0][0]
    result, _, routes = run(sequential, emulator, "SELECT id, repository FROM pull_requests LIMIT 2")
    assert len(result.rows) == 2
    assert routes[PRS] < repositories  # the remaining repositories were never asked


def test_ids_under_enumerated_parents_are_listed_not_fetched_one_by_one(
    fresh: Engine, reference: Engine, emulator: Any
) -> None:
    """k GETs per enumerated parent cost more than one listing per parent with ``id IN`` in q."""
    sql = "SELECT count(*) FROM pull_request_comments WHERE id IN (1, 2, 3, 4)"
    result, sent, routes = run(fresh, emulator, sql)
    assert all(not path.rsplit("/", 1)[-1].isdigit() for path, _ in sent)  # no GET of one comment
    assert {query["q"][0] for path, query in sent if path.endswith("/comments")} == {"id IN (1, 2, 3, 4)"}
    _, unpushed, _ = run(reference, emulator, sql)
    assert len(sent) <= len(unpushed)
    assert result.rows == reference.execute(sql).rows


def test_join_keys_are_paired_with_a_literal_key_from_the_same_row(
    fresh: Engine, reference: Engine, emulator: Any
) -> None:
    """Pull request ids come with their own repository: never a comment listing for a pull request
    of `web` asked under `api` (the cross product of the literal and every joined id)."""
    sql = (
        "SELECT pc.id, p.id FROM pull_request_comments pc JOIN pull_requests p "
        "ON pc.repository = p.repository AND pc.pull_request_id = p.id WHERE pc.repository IN ('api', 'web')"
    )
    result, sent, routes = run(fresh, emulator, sql)
    pairs = reference.execute("SELECT count(*) FROM pull_requests WHERE repository IN ('api', 'web')").rows[0][0]
    if COMMENTS in routes:
        assert routes[COMMENTS] == pairs
    else:  # cheaper: each repository's activity stream, whose comment entries name their pull request
        assert {path.split("/")[3] for path, _ in sent if path.endswith("/pullrequests/activity")} == {"api", "web"}
    assert sorted(result.rows) == sorted(reference.execute(sql).rows)
