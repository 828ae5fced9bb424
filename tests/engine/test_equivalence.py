"""Pushdown never changes a result: every query gives the same rows with and without it.

The reference engine fetches every scope with no filter, sort, limit or projection and lets
DuckDB do all the work; the pushdown engine sends filters, keys, sorts and fields to the
emulator. Results are compared as multisets, or, for ORDER BY ... LIMIT with possible ties,
as the ordered list of the sort key (any tied row is a correct answer).
"""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import canonical

from bitbucket_sql.catalog import registry
from bitbucket_sql.engine import Engine

PR = "pull_requests"

#: (query, sort-key column index for ORDER BY ... LIMIT queries, or None to compare as sets)
QUERIES: list[tuple[str, int | None]] = [
    # equality, inequality, IN, NOT IN on strings
    (f"SELECT id, repository, title FROM {PR} WHERE state = 'OPEN'", None),
    (f"SELECT id, repository FROM {PR} WHERE state != 'OPEN'", None),
    (f"SELECT id, repository FROM {PR} WHERE state <> 'MERGED' AND state <> 'DECLINED'", None),
    (f"SELECT id, repository FROM {PR} WHERE state IN ('MERGED', 'DECLINED')", None),
    (f"SELECT id, repository FROM {PR} WHERE state NOT IN ('MERGED', 'OPEN')", None),
    (f"SELECT id, repository FROM {PR} WHERE NOT (state IN ('MERGED'))", None),
    # IN / NOT IN with NULL
    (f"SELECT id, repository FROM {PR} WHERE state IN ('OPEN', NULL)", None),
    (f"SELECT id, repository FROM {PR} WHERE state NOT IN ('OPEN', NULL)", None),
    (f"SELECT id, repository FROM {PR} WHERE merge_commit_hash IN (NULL)", None),
    # numbers, ranges, coerced string literals
    (f"SELECT id, repository, comment_count FROM {PR} WHERE comment_count > 3", None),
    (f"SELECT id, repository FROM {PR} WHERE comment_count >= '3'", None),
    (f"SELECT id, repository FROM {PR} WHERE comment_count < 2.5", None),
    (f"SELECT id, repository FROM {PR} WHERE comment_count <= '2.5' OR comment_count = '3.5'", None),
    (f"SELECT id, repository FROM {PR} WHERE comment_count <= 1 OR task_count > 1", None),
    (f"SELECT id, repository FROM {PR} WHERE comment_count BETWEEN 2 AND 4", None),
    (f"SELECT id, repository FROM {PR} WHERE -1 < comment_count AND 5 > task_count", None),
    (f"SELECT id, repository FROM {PR} WHERE id = 3", None),
    (f"SELECT id, repository FROM {PR} WHERE id IN (1, 2, 99)", None),
    (f"SELECT id, repository FROM {PR} WHERE id = 3 AND repository = 'api'", None),
    (f"SELECT id, repository FROM {PR} WHERE id = 3 AND state = 'NOPE'", None),
    # LIKE (case-sensitive locally, ~ superset remotely)
    (f"SELECT id, title FROM {PR} WHERE title LIKE '%CSV%'", None),
    (f"SELECT id, title FROM {PR} WHERE title LIKE '%csv%'", None),
    (f"SELECT id, title FROM {PR} WHERE title LIKE 'Speed%'", None),
    (f"SELECT id, title FROM {PR} WHERE title LIKE '_peed up %'", None),
    (f"SELECT id, title FROM {PR} WHERE title ILIKE '%SPEED%'", None),
    (f"SELECT id, title FROM {PR} WHERE title NOT LIKE '%a%'", None),
    (f"SELECT id, title FROM {PR} WHERE title LIKE '%'", None),
    (f"SELECT id, title FROM {PR} WHERE title LIKE '%50\\%%' ESCAPE '\\'", None),
    # NULL tests
    (f"SELECT id, repository FROM {PR} WHERE merge_commit_hash IS NULL", None),
    (f"SELECT id, repository FROM {PR} WHERE merge_commit_hash IS NOT NULL", None),
    (f"SELECT id, repository FROM {PR} WHERE closed_by_uuid IS NULL AND state = 'DECLINED'", None),
    (f"SELECT id, repository FROM {PR} WHERE merge_commit_hash = NULL", None),
    # datetimes with offsets, dates, timestamp literals
    (f"SELECT id, repository FROM {PR} WHERE created_on > '2026-01-01'", None),
    (f"SELECT id, repository FROM {PR} WHERE created_on >= TIMESTAMP '2025-12-31 22:00:00'", None),
    (f"SELECT id, repository FROM {PR} WHERE created_on < '2026-01-01T02:00:00+02:00'", None),
    (f"SELECT id, repository FROM {PR} WHERE created_on BETWEEN '2025-06-01' AND '2026-06-01T00:00:00-05:00'", None),
    (f"SELECT id, repository FROM {PR} WHERE updated_on > DATE '2026-06-01'", None),
    # constant expressions, evaluated in the query's own transaction
    (f"SELECT id, repository FROM {PR} WHERE created_on > now() - INTERVAL 300 DAY", None),
    (f"SELECT id, repository FROM {PR} WHERE created_on <= current_date - 200 AND state = upper('merged')", None),
    (f"SELECT id, repository FROM {PR} WHERE comment_count > 2 + random() * 0", None),
    (f"SELECT id, repository FROM {PR} WHERE repository = lower('API') OR repository = lower('W' || 'EB')", None),
    # booleans
    (f"SELECT id, repository FROM {PR} WHERE draft = true", None),
    (f"SELECT id, repository FROM {PR} WHERE draft = 'false'", None),
    (f"SELECT id, repository FROM {PR} WHERE NOT draft", None),
    # keys
    (f"SELECT id, title FROM {PR} WHERE repository = 'api'", None),
    (f"SELECT id, title FROM {PR} WHERE repository IN ('api', 'web', 'api')", None),
    (f"SELECT id, title FROM {PR} WHERE repository = 'api' OR repository = 'web'", None),
    (f"SELECT id, title FROM {PR} WHERE repository LIKE 'a%'", None),
    (f"SELECT id, title FROM {PR} WHERE repository = 'api' AND repository = 'web'", None),
    # OR: pushed when every branch is pushable
    (f"SELECT id, repository FROM {PR} WHERE state = 'OPEN' OR comment_count > 4", None),
    (f"SELECT id, repository FROM {PR} WHERE state = 'MERGED' OR title LIKE '%a%'", None),
    (f"SELECT id, repository FROM {PR} WHERE repository = 'api' OR state = 'OPEN'", None),
    (f"SELECT id, repository FROM {PR} WHERE (state = 'OPEN' AND draft) OR (state = 'MERGED' AND comment_count > 2)", None),
    # ORDER BY + LIMIT (ties compare by sort key only)
    (f"SELECT created_on, id FROM {PR} ORDER BY created_on DESC LIMIT 4", 0),
    (f"SELECT created_on, id FROM {PR} ORDER BY created_on LIMIT 4", 0),
    (f"SELECT created_on FROM {PR} WHERE repository = 'api' ORDER BY created_on DESC LIMIT 2", 0),
    (f"SELECT comment_count, id FROM {PR} ORDER BY comment_count DESC LIMIT 3", 0),
    (f"SELECT comment_count, id FROM {PR} WHERE state = 'OPEN' ORDER BY comment_count LIMIT 5", 0),
    (f"SELECT updated_on FROM {PR} ORDER BY updated_on DESC NULLS FIRST LIMIT 2", 0),
    (f"SELECT created_on FROM {PR} WHERE state = 'MERGED' ORDER BY created_on LIMIT 2 OFFSET 1", 0),
    (f"SELECT created_on FROM {PR} WHERE title LIKE '%e%' ORDER BY created_on DESC LIMIT 3", 0),
    (f"SELECT created_on FROM {PR} WHERE repository LIKE '%e%' ORDER BY created_on DESC LIMIT 3", 0),
    (f"SELECT title FROM {PR} ORDER BY title LIMIT 3", 0),
    (f"SELECT created_on AS c FROM {PR} ORDER BY c DESC LIMIT 3", 0),
    (f"SELECT created_on FROM {PR} ORDER BY 1 DESC LIMIT 100", 0),
    ("SELECT updated_on FROM pull_request_comments ORDER BY updated_on DESC LIMIT 5", 0),
    ("SELECT created_on FROM pipelines ORDER BY created_on DESC LIMIT 4", 0),
    # joins: keys passed from the side fetched first
    (
        "SELECT p.id, c.id FROM pull_requests p JOIN pull_request_comments c "
        "ON c.pull_request_id = p.id AND c.repository = p.repository "
        "WHERE p.repository = 'api' AND p.state = 'OPEN'",
        None,
    ),
    (
        "SELECT p.repository, p.id, count(c.id) AS n FROM pull_requests p LEFT JOIN pull_request_comments c "
        "ON c.pull_request_id = p.id AND c.repository = p.repository WHERE p.state = 'MERGED' GROUP BY ALL",
        None,
    ),
    (
        "SELECT p.repository, p.id FROM pull_requests p LEFT JOIN pull_request_comments c "
        "ON c.pull_request_id = p.id AND c.repository = p.repository AND c.deleted "
        "WHERE c.id IS NULL AND p.repository = 'web'",
        None,
    ),
    (
        "SELECT r.slug, p.id FROM repositories r JOIN pull_requests p ON p.repository = r.slug "
        "WHERE r.language = 'python' AND p.state = 'OPEN'",
        None,
    ),
    (
        "SELECT r.slug, p.id FROM repositories r RIGHT JOIN pull_requests p ON p.repository = r.slug "
        "AND r.language = 'go'",
        None,
    ),
    (
        "SELECT a.slug, g.slug FROM acme.repositories a FULL JOIN globex.repositories g ON a.slug = g.slug",
        None,
    ),
    (
        "SELECT p.id, a.repository FROM pull_requests p JOIN pull_request_activity a "
        "ON a.pull_request_id = p.id AND a.repository = p.repository WHERE p.repository = 'api' AND p.id < 3",
        None,
    ),
    (
        "SELECT p.id, c.id FROM pull_requests p JOIN pull_request_comments c ON c.repository = p.repository "
        "AND c.pull_request_id = p.id AND c.user_uuid = p.author_uuid",
        None,
    ),
    (
        "SELECT r.slug, p.id FROM repositories r JOIN pull_requests p "
        "ON p.destination_repository_full_name = r.full_name WHERE r.slug IN ('api', 'web')",
        None,
    ),
    (
        "SELECT p.id, c.id FROM pull_requests p LEFT JOIN pull_request_comments c ON c.repository = p.repository "
        "AND c.pull_request_id = p.id AND c.user_uuid = p.author_uuid WHERE p.state = 'OPEN'",
        None,
    ),
    # CTEs, subqueries, windows, grouping, set operations
    (
        "WITH open_prs AS (SELECT * FROM pull_requests WHERE state = 'OPEN') "
        "SELECT repository, count(*) FROM open_prs GROUP BY repository",
        None,
    ),
    (
        "SELECT id, repository FROM pull_requests WHERE id IN "
        "(SELECT pull_request_id FROM pull_request_comments WHERE repository = 'api' AND deleted = false) "
        "AND repository = 'api'",
        None,
    ),
    (
        "SELECT repository, id, row_number() OVER (PARTITION BY repository ORDER BY created_on) AS rn "
        "FROM pull_requests WHERE state != 'SUPERSEDED'",
        None,
    ),
    (
        "SELECT repository, state, count(*), max(comment_count) FROM pull_requests GROUP BY ALL "
        "HAVING count(*) > 1",
        None,
    ),
    (
        "SELECT id FROM pull_requests WHERE repository = 'api' AND state = 'OPEN' UNION ALL "
        "SELECT id FROM pull_requests WHERE repository = 'web' AND state = 'MERGED'",
        None,
    ),
    ("SELECT DISTINCT state FROM pull_requests WHERE comment_count > 1", None),
    (
        "SELECT * FROM (SELECT id, repository, created_on FROM pull_requests ORDER BY created_on DESC LIMIT 3) "
        "WHERE repository = 'api'",
        None,
    ),
    ("SELECT p1.id, p2.id FROM pull_requests p1, pull_requests p2 WHERE p1.repository = 'api' "
     "AND p2.repository = 'api' AND p1.state = 'OPEN' AND p2.state = 'MERGED' AND p1.id < p2.id", None),
    # other tables and their filters
    ("SELECT slug FROM repositories WHERE is_private = false", None),
    ("SELECT slug FROM repositories WHERE language IN ('python', 'go') AND size > 14200000", None),
    ("SELECT slug FROM repositories WHERE slug = 'api'", None),
    ("SELECT slug FROM repositories WHERE project_key = 'API' OR name LIKE '%Pipe%'", None),
    ("SELECT slug FROM repositories WHERE parent_full_name IS NULL", None),
    ("SELECT uuid, build_number FROM pipelines WHERE target_ref_name = 'main'", None),
    ("SELECT uuid FROM pipelines WHERE target_ref_name = 'main' AND target_ref_name = 'dev'", None),
    ("SELECT uuid FROM pipelines WHERE state_result_name = 'FAILED' AND repository = 'api'", None),
    ("SELECT name FROM branches WHERE name LIKE 'feature/%'", None),
    ("SELECT name, repository FROM branches WHERE name = 'main'", None),
    ("SELECT hash FROM commits WHERE repository = 'web' AND date > '2026-01-01'", None),
    ("SELECT name FROM tags WHERE name > 'v1'", None),
    ("SELECT slug FROM workspaces WHERE administrator = true", None),
    ("SELECT * FROM workspace_members", None),
    ("SELECT key FROM projects WHERE name LIKE '%o%'", None),
    ("SELECT count(*) FROM pull_request_comments WHERE content_raw LIKE '%LGTM%'", None),
    ("SELECT count(*), sum(inline_to) FROM pull_request_comments WHERE parent_id IS NOT NULL OR inline_to > 10", None),
    ("SELECT slug FROM globex.repositories UNION SELECT slug FROM acme.repositories", None),
]


def _compare(pushed: Engine, reference: Engine, sql: str, key: int | None) -> None:
    expected = reference.execute(sql)
    actual = pushed.execute(sql)
    assert [c.name for c in actual.columns] == [c.name for c in expected.columns]
    assert [c.type for c in actual.columns] == [c.type for c in expected.columns]
    if key is None:
        assert canonical(actual.rows) == canonical(expected.rows), sql
    else:
        assert [row[key] for row in actual.rows] == [row[key] for row in expected.rows], sql


@pytest.mark.parametrize(("sql", "key"), QUERIES, ids=[q[:80] for q, _ in QUERIES])
def test_pushdown_matches_reference(engine: Engine, reference: Engine, sql: str, key: int | None) -> None:
    _compare(engine, reference, sql, key)


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT id, repository FROM pull_requests WHERE comment_count > ? AND state = ?", [2, "OPEN"]),
        ("SELECT id, repository FROM pull_requests WHERE comment_count > ?", ["2"]),
        ("SELECT id FROM pull_requests WHERE repository = ? AND title LIKE ?", ["api", "%e%"]),
        ("SELECT id FROM pull_requests WHERE created_on > ?", ["2026-01-01T00:00:00+01:00"]),
        ("SELECT id FROM pull_requests WHERE draft = ? AND merge_commit_hash IS NOT DISTINCT FROM ?", [False, None]),
    ],
)
def test_parameters_match_reference(engine: Engine, reference: Engine, sql: str, params: list[Any]) -> None:
    assert canonical(engine.execute(sql, params).rows) == canonical(reference.execute(sql, params).rows)


def test_ground_truth_from_the_store(engine: Engine, emulator: Any) -> None:
    """The reference itself agrees with the emulator's data for a simple count per state."""
    result = engine.execute("SELECT state, count(*) FROM pull_requests GROUP BY state")
    counted = dict(result.rows)
    assert sum(counted.values()) > 0
    assert set(counted) <= {"OPEN", "MERGED", "DECLINED", "SUPERSEDED"}
    assert len(counted) >= 3  # all states are listed, not only OPEN


@pytest.mark.parametrize("table", [t.name for t in registry.all_tables() if not t.removed])
def test_every_table_reads_the_same_with_and_without_pushdown(engine: Engine, reference: Engine, table: str) -> None:
    expected = reference.execute(f"SELECT * FROM {table}")
    actual = engine.execute(f"SELECT * FROM {table}")
    assert [c.name for c in actual.columns] == list(engine.table(table).column_names)
    assert canonical(actual.rows) == canonical(expected.rows)
