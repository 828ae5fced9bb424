"""Key values the query names: UUIDs in place of slugs, keys that do not exist, parents that vanish.

Key columns must say what Bitbucket says (the slug), never echo the SQL literal; a workspace or
repository the user named that does not exist is an error naming it; a parent the engine found
itself that is gone by the time its children are read is skipped with a warning.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from engine_helpers import canonical, settings_for

from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.engine import Engine
from bitbucket_sql.engine.errors import InvalidIdentifierError, KeyNotFoundError, QueryWarning

BRANCHES = "GET /2.0/repositories/{workspace}/{repo_slug}/refs/branches"
REPOSITORY = "GET /2.0/repositories/{workspace}/{repo_slug}"


@pytest.fixture(scope="module")
def api_uuid(reference: Engine) -> str:
    return str(reference.execute("SELECT uuid FROM repositories WHERE slug = 'api'").rows[0][0])


def test_a_repository_uuid_literal_matches_no_slug_pushed_or_not(
    engine: Engine, reference: Engine, emulator: Any, api_uuid: str
) -> None:
    sql = f"SELECT repository, name FROM branches WHERE repository = '{api_uuid}'"
    expected = reference.execute(sql).rows
    emulator.reset_stats()
    with pytest.warns(QueryWarning, match="repository = 'api'") as caught:
        result = engine.execute(sql)
    assert result.rows == expected == []
    assert api_uuid in str(caught[0].message)
    assert result.warnings and "'api'" in result.warnings[0]
    assert emulator.stats()["routes"] == {REPOSITORY: 1}  # one lookup, no listing that cannot match


def test_a_repository_uuid_in_the_connection_reads_that_repository_labelled_by_slug(
    make_engine: Callable[..., Engine], api_uuid: str
) -> None:
    by_uuid = make_engine(Repository=api_uuid).execute("SELECT repository, name FROM branches")
    by_slug = make_engine(Repository="api").execute("SELECT repository, name FROM branches")
    assert by_uuid.rows and {row[0] for row in by_uuid.rows} == {"api"}
    assert canonical(by_uuid.rows) == canonical(by_slug.rows)


def test_a_workspace_uuid_schema_labels_rows_with_the_slug(engine: Engine, reference: Engine) -> None:
    workspace_uuid = reference.execute("SELECT uuid FROM workspaces WHERE slug = 'acme'").rows[0][0]
    rows = engine.execute(f'SELECT workspace, slug FROM "{workspace_uuid}".repositories').rows
    assert rows and {row[0] for row in rows} == {"acme"}
    assert canonical(rows) == canonical(reference.execute("SELECT workspace, slug FROM acme.repositories").rows)


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("SELECT count(*) FROM branches WHERE repository = 'nope'", "Repository 'nope'"),
        ("SELECT count(*) FROM branches WHERE repository IN ('api', 'nope')", "Repository 'nope'"),
        ("SELECT count(*) FROM branches WHERE repository = 'API'", "Repository 'API'"),
        ("SELECT count(*) FROM acmee.pull_requests WHERE repository = 'api'", "Workspace 'acmee'"),
        ("SELECT count(*) FROM acmee.pull_requests", "Workspace 'acmee'"),
        ("SELECT count(*) FROM acmee.repositories", "Workspace 'acmee'"),
        ("SELECT count(*) FROM pull_request_comments WHERE repository = 'api' AND pull_request_id = 987654",
         "Pull request 987654"),
        ("SELECT count(*) FROM branches WHERE repository = ''", "Repository ''"),
    ],
)
def test_a_named_key_that_does_not_exist_is_an_error_naming_it(engine: Engine, sql: str, named: str) -> None:
    with pytest.raises(KeyNotFoundError) as caught:
        engine.execute(sql)
    message = str(caught.value)
    assert named in message
    assert "SELECT" in message or "Check" in message  # says what to do


def test_a_missing_repository_in_the_connection_is_an_error(make_engine: Callable[..., Engine]) -> None:
    with pytest.raises(KeyNotFoundError, match="Repository 'gone'"):
        make_engine(Repository="gone").execute("SELECT name FROM branches")


def test_an_id_filter_that_matches_nothing_is_no_rows(engine: Engine) -> None:
    # id is the table's own column (a GET by id): SQL's answer is an empty table, not an error
    assert engine.execute("SELECT id FROM pull_requests WHERE repository = 'api' AND id = 987654").rows == []


@pytest.fixture()
def writable() -> Iterator[Any]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


def test_a_parent_that_vanished_mid_query_is_skipped_with_a_warning(writable: Any) -> None:
    # a cached branch listing still names a branch deleted since: its history answers 404
    # (only the branches are read first: branch histories cached whole would answer the query)
    engine = Engine(settings_for(writable, CacheTTL=300))
    truth = Engine(settings_for(writable), pushdown=False)
    try:
        engine.execute("SELECT name, target_hash FROM branches WHERE repository = 'api'")
        victim = next(name for (name,) in truth.execute(
            "SELECT name FROM branches WHERE repository = 'api' ORDER BY name").rows if name != "main")
        engine.client.delete(f"/repositories/acme/api/refs/branches/{victim}")
        with pytest.warns(QueryWarning, match=f"skipped branch '{victim}'"):
            result = engine.execute("SELECT branch, hash FROM branch_commits WHERE repository = 'api'")
        assert any(f"'{victim}'" in message for message in result.warnings)
        expected = truth.execute("SELECT branch, hash FROM branch_commits WHERE repository = 'api'").rows
        assert canonical(result.rows) == canonical(expected)
        assert victim not in {row[0] for row in result.rows}
    finally:
        engine.close()
        truth.close()


def test_a_missing_sub_resource_of_an_existing_parent_is_no_rows(writable: Any) -> None:
    # Bitbucket answers 404 for the branching model of a repository that has none
    with writable.store.lock:
        writable.store.repo_data("acme", "web").branching_model = None
    engine = Engine(settings_for(writable))
    truth = Engine(settings_for(writable), pushdown=False)
    try:
        sql = "SELECT repository, development_name FROM branching_model"
        with warnings.catch_warnings():
            warnings.simplefilter("error", QueryWarning)
            result = engine.execute(sql)
            assert result.rows and "web" not in {row[0] for row in result.rows}
            assert canonical(result.rows) == canonical(truth.execute(sql).rows)
            assert engine.execute("SELECT * FROM branching_model WHERE repository = 'web'").rows == []
    finally:
        engine.close()
        truth.close()


def test_db_api_users_get_a_programming_error_and_the_warnings(emulator: Any, api_uuid: str) -> None:
    import bitbucket_sql
    from _helpers_connect import connection_string_for

    with bitbucket_sql.connect(connection_string_for(emulator, CacheTTL="0")) as connection:
        cursor = connection.cursor()
        with pytest.raises(bitbucket_sql.ProgrammingError, match="Repository 'nope' was not found"):
            cursor.execute("SELECT name FROM branches WHERE repository = 'nope'")
        with pytest.warns(QueryWarning, match="Write repository = 'api'"):
            assert cursor.execute(f"SELECT name FROM branches WHERE repository = '{api_uuid}'").fetchall() == []


@pytest.mark.parametrize(
    ("column", "lookup", "shorten"),
    [
        ("commit_hash", "SELECT commit_hash FROM commit_statuses WHERE repository = 'api' LIMIT 1",
         lambda full: full[:7]),
        ("pipeline_uuid", "SELECT uuid FROM pipelines WHERE repository = 'api' LIMIT 1",
         lambda braced: braced.strip("{}")),
    ],
)
def test_other_spellings_of_a_key_match_no_row_and_say_what_to_write(
    engine: Engine, reference: Engine, emulator: Any, column: str, lookup: str, shorten: Callable[[str], str]
) -> None:
    # the API accepts a short hash or an unbraced UUID in the path, but returns (and the column
    # holds) the full form: the rows must not be labelled with the SQL literal
    table = "commit_statuses" if column == "commit_hash" else "pipeline_steps"
    full = engine.execute(lookup).rows[0][0]
    other = shorten(full)
    sql = f"SELECT {column} FROM {table} WHERE repository = 'api' AND {column} = '{other}'"
    expected = reference.execute(sql).rows
    emulator.reset_stats()
    with pytest.warns(QueryWarning, match=f"Write {column} = '{re.escape(full)}'"):
        assert engine.execute(sql).rows == expected == []
    assert sum(emulator.stats()["routes"].values()) == 1  # the lookup; no listing that cannot match
    exact = f"SELECT {column} FROM {table} WHERE repository = 'api' AND {column} = '{full}'"
    rows = engine.execute(exact).rows
    assert rows and {row[0] for row in rows} == {full}


PRS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests"
COMMENTS = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/comments"
REPO_ACTIVITY = "GET /2.0/repositories/{workspace}/{repo_slug}/pullrequests/activity"


def test_a_key_fixed_on_one_side_of_a_join_fixes_the_other(engine: Engine, reference: Engine, emulator: Any) -> None:
    # pc.repository = p.repository AND pc.repository = 'web': p is read from web alone
    sql = ("SELECT pc.id, p.id FROM pull_request_comments pc JOIN pull_requests p "
           "ON pc.repository = p.repository AND pc.pull_request_id = p.id WHERE pc.repository = 'web'")
    expected = reference.execute(sql).rows
    in_web = reference.execute("SELECT count(*) FROM pull_requests WHERE repository = 'web'").rows[0][0]
    emulator.reset_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", QueryWarning)
        result = engine.execute(sql)
    assert canonical(result.rows) == canonical(expected)
    routes = emulator.stats()["routes"]
    # web's pull requests once, then their comments: one listing each, or (cheaper when they are
    # few pages of activity) web's activity stream (engine/strategies)
    assert routes.get(PRS) == 1 and (routes == {PRS: 1, COMMENTS: in_web} or routes == {PRS: 1, REPO_ACTIVITY: 1})


def test_scopes_composed_from_independent_sources_are_no_rows_without_a_warning(
    engine: Engine, reference: Engine, emulator: Any
) -> None:
    # ids joined from pull requests of every repository, under the literal repository 'web': most
    # (web, id) pairs name no pull request; that is no rows, not a parent that vanished
    sql = ("SELECT pc.id, p.repository, p.id FROM pull_request_comments pc JOIN pull_requests p "
           "ON pc.pull_request_id = p.id WHERE pc.repository = 'web'")
    expected = reference.execute(sql).rows
    emulator.reset_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", QueryWarning)
        result = engine.execute(sql)
    assert canonical(result.rows) == canonical(expected)
    assert emulator.stats()["routes"].get(REPOSITORY, 0) <= 1  # the named repository, checked once


def test_a_named_key_under_enumerated_parents_may_be_missing_in_some(
    engine: Engine, reference: Engine, emulator: Any
) -> None:
    # pull request 6 exists in some repositories only: the others have no rows, no error, no warning
    counts = reference.execute("SELECT repository, count(*) FROM pull_requests GROUP BY 1").rows
    assert any(count < 6 for _, count in counts) and any(count >= 6 for _, count in counts)
    sql = "SELECT repository, id FROM pull_request_comments WHERE pull_request_id = 6"
    expected = reference.execute(sql).rows
    emulator.reset_stats()
    with warnings.catch_warnings():
        warnings.simplefilter("error", QueryWarning)
        assert canonical(engine.execute(sql).rows) == canonical(expected)
    # the repositories listing proved the workspace exists: the 404s cost no lookup
    assert "GET /2.0/workspaces/{workspace}" not in emulator.stats()["routes"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT p.repository, p.id, c.id FROM pull_requests p LEFT JOIN pull_request_comments c "
        "ON c.repository = p.repository AND c.pull_request_id = p.id AND c.repository = 'web'",
        "SELECT p.repository, p.id, c.id FROM pull_request_comments c RIGHT JOIN pull_requests p "
        "ON c.repository = p.repository AND c.pull_request_id = p.id WHERE p.repository IN ('web', 'api')",
        "SELECT p.repository, p.id, c.id FROM pull_requests p FULL JOIN pull_request_comments c "
        "ON c.repository = p.repository AND c.pull_request_id = p.id AND c.repository = 'web'",
        "SELECT p.repository, count(c.id) FROM pull_requests p LEFT JOIN pull_request_comments c "
        "ON c.repository = p.repository AND c.pull_request_id = p.id WHERE c.repository = 'web' GROUP BY 1",
        "SELECT r.slug, b.name FROM repositories r JOIN branches b ON b.repository = r.slug "
        "WHERE b.repository IN ('web', 'api') AND b.name = 'main'",
    ],
)
def test_literals_cross_joins_only_where_sql_allows(engine: Engine, reference: Engine, sql: str) -> None:
    assert canonical(engine.execute(sql).rows) == canonical(reference.execute(sql).rows)


def test_a_key_literal_no_value_of_its_type_can_equal_is_no_rows(
    engine: Engine, reference: Engine, emulator: Any
) -> None:
    sql = "SELECT count(*) FROM pull_request_comments WHERE repository = 'api' AND pull_request_id IN (2.5, 48.00001)"
    expected = reference.execute(sql).rows
    emulator.reset_stats()
    assert engine.execute(sql).rows == expected == [(0,)]
    assert emulator.stats()["total"] == 0  # no pull request 2.5 to ask for
    integral = "SELECT id FROM pull_request_comments WHERE repository = 'api' AND pull_request_id = 3.0"
    assert canonical(engine.execute(integral).rows) == canonical(reference.execute(integral).rows)


def test_a_missing_numeric_key_is_named_as_written(engine: Engine) -> None:
    with pytest.raises(KeyNotFoundError, match=r"Pull request 987654 was not found"):
        engine.execute("SELECT id FROM pull_request_comments WHERE repository = 'api' AND pull_request_id = 987654.0")


@pytest.mark.parametrize("value", ["api/refs/branches", "api?x=1", "api#x", "a pi", "api%2Frefs"])
def test_a_repository_literal_that_cannot_be_a_slug_is_refused_before_any_request(
    engine: Engine, emulator: Any, value: str
) -> None:
    emulator.reset_stats()
    with pytest.raises(InvalidIdentifierError, match="cannot be a Bitbucket repository"):
        engine.execute(f"SELECT name FROM branches WHERE repository = '{value}'")
    assert emulator.stats()["total"] == 0


def _quietly(engine: Engine, sql: str) -> Any:
    """Run ``sql`` failing on any QueryWarning (a 404 SQL asked for is no 'vanished' parent)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", QueryWarning)
        return engine.execute(sql)


def test_named_lists_of_keys_are_alternatives_not_pairs_that_must_all_exist(
    engine: Engine, reference: Engine
) -> None:
    # web has pull requests 1..5, api 1..7: (web, 7) names nothing, but 7 exists in api (F9b)
    sql = ("SELECT pc.repository, pc.pull_request_id, pc.id FROM pull_request_comments pc "
           "WHERE pc.repository IN ('web', 'api') AND pc.pull_request_id IN (2, 7)")
    expected = reference.execute(sql).rows
    assert {row[1] for row in expected} == {2, 7}
    assert canonical(_quietly(engine, sql).rows) == canonical(expected)


def test_a_named_key_matching_in_none_of_its_scopes_is_still_an_error(engine: Engine) -> None:
    with pytest.raises(KeyNotFoundError, match="Pull request 987654 was not found"):
        engine.execute("SELECT count(*) FROM pull_request_comments "
                       "WHERE repository IN ('web', 'api') AND pull_request_id IN (2, 987654)")


@pytest.mark.parametrize(
    "sql",
    [
        # absence is what these queries ask about: SQL answers rows, never "not found" (F10)
        "SELECT p.id FROM pull_requests p WHERE p.repository = 'web' AND NOT EXISTS (SELECT 1 FROM "
        "pull_request_comments pc WHERE pc.repository = p.repository AND pc.pull_request_id = p.id "
        "AND pc.pull_request_id IN (6, 7))",
        "SELECT p.id FROM pull_requests p WHERE p.repository = 'web' AND EXISTS (SELECT 1 FROM "
        "pull_request_comments pc WHERE pc.repository = 'web' AND pc.pull_request_id = 7)",
        "SELECT count(*) FROM pull_requests p LEFT JOIN pull_request_comments pc ON pc.repository = p.repository "
        "AND pc.pull_request_id = p.id AND pc.pull_request_id = 7 WHERE p.repository = 'web'",
        "SELECT p.id FROM pull_requests p WHERE p.repository = 'web' AND p.id NOT IN (SELECT pc.pull_request_id "
        "FROM pull_request_comments pc WHERE pc.repository = 'web' AND pc.pull_request_id IN (1, 7))",
        "SELECT count(*) FROM pull_requests p JOIN pull_request_comments pc ON pc.repository = p.repository "
        "AND pc.pull_request_id = p.id WHERE p.repository = 'web' AND pc.pull_request_id = 7",
        "SELECT r.slug FROM repositories r WHERE r.slug NOT IN (SELECT b.repository FROM branches b "
        "WHERE b.repository = 'nope')",
        "SELECT count(*) FROM repositories r LEFT JOIN branches b ON b.repository = 'nope' AND b.name = r.slug",
    ],
)
def test_keys_named_where_absence_is_the_question_are_no_rows(engine: Engine, reference: Engine, sql: str) -> None:
    expected = reference.execute(sql).rows
    assert canonical(_quietly(engine, sql).rows) == canonical(expected)


@pytest.mark.parametrize(
    "sql",
    [
        # the user's own key, in the query's inner part: still an error naming it
        "SELECT pc.id FROM pull_request_comments pc JOIN pull_requests p ON pc.repository = p.repository "
        "AND pc.pull_request_id = p.id WHERE pc.repository = 'nope'",
        "(SELECT name FROM branches WHERE repository = 'nope') UNION (SELECT slug FROM repositories)",
        "WITH w AS (SELECT * FROM branches WHERE repository = 'nope') SELECT name FROM w",
        "SELECT count(*) FROM (SELECT id FROM pull_requests WHERE repository IN ('api', 'nope')) AS x",
    ],
)
def test_a_named_key_in_the_inner_part_of_a_larger_query_is_an_error(engine: Engine, sql: str) -> None:
    with pytest.raises(KeyNotFoundError, match="Repository 'nope' was not found"):
        engine.execute(sql)


@pytest.mark.parametrize("slug", ["WEB", " web", "nope", "a/b"])
def test_a_slug_filter_copied_to_a_joined_key_is_a_filter_not_a_named_key(
    engine: Engine, reference: Engine, slug: str
) -> None:
    # r.slug = '...' filters repositories; through p.repository = r.slug it narrows p's requests,
    # but the user named no repository of p: a value no slug has matches no row (F11)
    sql = f"SELECT count(*) FROM pull_requests p JOIN repositories r ON p.repository = r.slug WHERE r.slug = '{slug}'"
    assert engine.execute(sql).rows == reference.execute(sql).rows == [(0,)]
