"""Core and ORM queries: the DB-API's answers, with the requests hand-written SQL costs.

Each side runs on a fresh connection (empty caches), so equal request counts mean the compiled
SQL was planned with the same pushdown as the hand-written query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from dialect_helpers import dbapi_answer, parsed_json, require_module

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")

from sqlalchemy import func, select  # noqa: E402 - after the import check
from sqlalchemy.orm import DeclarativeBase, Session, relationship  # noqa: E402

from bitbucket_sql.api import accounting  # noqa: E402

SINCE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def run(engine: Any, statement: Any) -> tuple[list[tuple[Any, ...]], int]:
    """Rows and API requests of a SQLAlchemy statement on a fresh connection."""
    with accounting.recording() as recording, engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(statement)]
    return rows, recording.requests


@pytest.fixture(scope="module")
def tables(emulator: Any) -> dict[str, Any]:
    from dialect_helpers import emulator_url

    engine = sqlalchemy.create_engine(emulator_url(emulator))
    metadata = sqlalchemy.MetaData()
    metadata.reflect(engine, only=["pull_requests", "repositories", "pull_request_comments", "commits"])
    engine.dispose()
    return dict(metadata.tables)


#: (name, SQLAlchemy Core statement for a repository, the same query written by hand)
CoreCase = tuple[str, Callable[[dict[str, Any], str], Any], str]

CORE_CASES: list[CoreCase] = [
    (
        "where_order_limit_offset",
        lambda t, repo: (
            select(t["pull_requests"].c.id, t["pull_requests"].c.title)
            .where(t["pull_requests"].c.repository == repo)
            .order_by(t["pull_requests"].c.id.desc())
            .limit(3)
            .offset(1)
        ),
        "SELECT id, title FROM pull_requests WHERE repository = '{repo}' ORDER BY id DESC LIMIT 3 OFFSET 1",
    ),
    (
        "datetime_comparison_and_state",
        lambda t, repo: (
            select(t["pull_requests"].c.id, t["pull_requests"].c.created_on)
            .where(
                t["pull_requests"].c.repository == repo,
                t["pull_requests"].c.created_on >= SINCE,
                t["pull_requests"].c.state.in_(["OPEN", "MERGED"]),
            )
            .order_by(t["pull_requests"].c.id)
        ),
        "SELECT id, created_on FROM pull_requests WHERE repository = '{repo}' "
        "AND created_on >= TIMESTAMPTZ '2026-01-01 00:00:00+00' AND state IN ('OPEN', 'MERGED') ORDER BY id",
    ),
    (
        "group_by_count",
        lambda t, repo: (
            select(t["pull_requests"].c.state, func.count().label("n"))
            .group_by(t["pull_requests"].c.state)
            .order_by(t["pull_requests"].c.state)
        ),
        "SELECT state, count(*) AS n FROM pull_requests GROUP BY state ORDER BY state",
    ),
    (
        "functions",
        lambda t, repo: (
            select(
                func.date_trunc("month", t["pull_requests"].c.created_on).label("month"),
                func.count(t["pull_requests"].c.id.distinct()).label("n"),
                func.max(func.lower(t["pull_requests"].c.title)).label("last_title"),
            )
            .where(t["pull_requests"].c.repository == repo)
            .group_by(func.date_trunc("month", t["pull_requests"].c.created_on))
            .order_by(func.date_trunc("month", t["pull_requests"].c.created_on))
        ),
        "SELECT date_trunc('month', created_on) AS month, count(DISTINCT id) AS n, max(lower(title)) AS last_title "
        "FROM pull_requests WHERE repository = '{repo}' GROUP BY date_trunc('month', created_on) ORDER BY 1",
    ),
    (
        "join_parent_child",
        lambda t, repo: (
            select(t["repositories"].c.slug, t["pull_request_comments"].c.id)
            .join(
                t["pull_request_comments"],
                (t["pull_request_comments"].c.workspace == t["repositories"].c.workspace)
                & (t["pull_request_comments"].c.repository == t["repositories"].c.slug),
            )
            .where(t["repositories"].c.slug == repo, t["pull_request_comments"].c.pull_request_id == 1)
            .order_by(t["pull_request_comments"].c.id)
        ),
        "SELECT r.slug, c.id FROM repositories r JOIN pull_request_comments c "
        "ON c.workspace = r.workspace AND c.repository = r.slug "
        "WHERE r.slug = '{repo}' AND c.pull_request_id = 1 ORDER BY c.id",
    ),
    (
        "ilike_and_boolean",
        lambda t, repo: (
            select(t["pull_requests"].c.id)
            .where(
                t["pull_requests"].c.repository == repo,
                t["pull_requests"].c.title.ilike("%a%"),
                t["pull_requests"].c.draft.is_(False),
            )
            .order_by(t["pull_requests"].c.id)
        ),
        "SELECT id FROM pull_requests WHERE repository = '{repo}' AND title ILIKE '%a%' AND draft = false ORDER BY id",
    ),
    (
        "get_by_key",
        lambda t, repo: select(t["pull_requests"].c.title).where(
            t["pull_requests"].c.repository == repo, t["pull_requests"].c.id == 2
        ),
        "SELECT title FROM pull_requests WHERE repository = '{repo}' AND id = 2",
    ),
]


@pytest.mark.parametrize("case", CORE_CASES, ids=[case[0] for case in CORE_CASES])
def test_core_query_answers_like_the_dbapi_with_equal_requests(
    case: CoreCase, tables: dict[str, Any], engine: Any, emulator: Any, repository: str
) -> None:
    _, build, hand_written = case
    rows, requests = run(engine, build(tables, repository))
    expected_rows, expected_requests = dbapi_answer(emulator, hand_written.format(repo=repository))
    assert rows == expected_rows
    assert rows, "the case should select rows in the tiny emulator data"
    assert requests == expected_requests > 0


def test_bound_parameters_are_values_never_sql(tables: dict[str, Any], engine: Any, repository: str) -> None:
    pull_requests = tables["pull_requests"]
    hostile = "x' OR '1'='1"
    rows, _ = run(
        engine,
        select(pull_requests.c.id).where(
            pull_requests.c.repository == repository, pull_requests.c.title == hostile
        ),
    )
    assert rows == []


def test_compiled_sql_is_duckdb_with_qmark_placeholders(tables: dict[str, Any], engine: Any) -> None:
    pull_requests = tables["pull_requests"]
    statement = (
        select(pull_requests.c.id)
        .where(pull_requests.c.created_on > SINCE, pull_requests.c.title.ilike("%x%"))
        .limit(5)
    )
    compiled = statement.compile(engine)
    text = str(compiled)
    assert "ILIKE ?" in text and "LIMIT ?" in text and "%(" not in text and ":" not in text
    assert compiled.positiontup is not None and len(compiled.positiontup) == 3


# --- ORM ----------------------------------------------------------------------------------


def orm_classes(engine: Any) -> tuple[Any, Any]:
    """Declarative classes over reflected tables (zero requests), with a parent/child relationship."""
    from sqlalchemy.ext.declarative import DeferredReflection

    class Reflected(DeferredReflection, DeclarativeBase):
        pass

    class PullRequest(Reflected):
        __tablename__ = "pull_requests"
        comments = relationship("PullRequestComment", order_by="PullRequestComment.id", viewonly=True)

    class PullRequestComment(Reflected):
        __tablename__ = "pull_request_comments"

    Reflected.prepare(engine)
    return PullRequest, PullRequestComment


def test_orm_select_answers_like_the_dbapi_with_equal_requests(
    engine: Any, emulator: Any, repository: str
) -> None:
    PullRequest, _ = orm_classes(engine)
    columns = [column.name for column in PullRequest.__table__.columns]
    with accounting.recording() as recording, Session(engine) as session:
        found = session.scalars(
            select(PullRequest)
            .where(PullRequest.repository == repository, PullRequest.created_on >= SINCE)
            .order_by(PullRequest.id)
            .limit(4)
        ).all()
        rows = [tuple(getattr(pull_request, name) for name in columns) for pull_request in found]
    expected, expected_requests = dbapi_answer(
        emulator,
        f"SELECT {', '.join(columns)} FROM pull_requests WHERE repository = ? AND created_on >= ? ORDER BY id LIMIT 4",
        [repository, SINCE],
    )
    json_columns = [
        i for i, c in enumerate(PullRequest.__table__.columns) if isinstance(c.type, sqlalchemy.JSON)
    ]
    expected = [
        tuple(parsed_json(v) if i in json_columns else v for i, v in enumerate(row)) for row in expected
    ]
    assert rows == expected and rows
    assert recording.requests == expected_requests


def test_orm_relationship_and_join_answer_like_the_dbapi(engine: Any, emulator: Any, repository: str) -> None:
    PullRequest, PullRequestComment = orm_classes(engine)
    expected, _ = dbapi_answer(
        emulator,
        "SELECT pull_request_id, id, content_raw FROM pull_request_comments WHERE repository = ? "
        "ORDER BY pull_request_id, id",
        [repository],
    )
    with Session(engine) as session:
        pull_request = session.get(PullRequest, ("acme", repository, expected[0][0]))
        assert pull_request is not None
        with accounting.recording() as recording:
            lazy = [(c.pull_request_id, c.id, c.content_raw) for c in pull_request.comments]
        joined = session.execute(
            select(PullRequestComment.pull_request_id, PullRequestComment.id, PullRequestComment.content_raw)
            .join(PullRequest)
            .where(PullRequest.repository == repository)
            .order_by(PullRequestComment.pull_request_id, PullRequestComment.id)
        ).all()
    assert lazy == [row for row in expected if row[0] == expected[0][0]]
    # the lazy load writes its keys as "? = column": planned like "column = ?"
    _, hand_written_requests = dbapi_answer(
        emulator,
        "SELECT * FROM pull_request_comments WHERE workspace = 'acme' AND repository = ? AND pull_request_id = ?",
        [repository, expected[0][0]],
    )
    assert recording.requests == hand_written_requests
    assert [tuple(row) for row in joined] == expected


def test_schema_qualified_tables_are_workspaces(emulator: Any, repository: str) -> None:
    """Without a workspace in the URL, tables reflected with schema="acme" query that workspace."""
    from dialect_helpers import emulator_url

    engine = sqlalchemy.create_engine(emulator_url(emulator).replace("/acme?", "/?"))
    pull_requests = sqlalchemy.Table(
        "pull_requests", sqlalchemy.MetaData(schema="acme"), autoload_with=engine
    )
    statement = (
        select(pull_requests.c.id)
        .where(pull_requests.c.repository == repository)
        .order_by(pull_requests.c.id)
    )
    assert "FROM acme.pull_requests" in str(statement.compile(engine))
    rows, requests = run(engine, statement)
    engine.dispose()
    expected, expected_requests = dbapi_answer(
        emulator, "SELECT id FROM pull_requests WHERE repository = ? ORDER BY id", [repository]
    )
    assert rows == expected and rows
    assert requests == expected_requests


def test_duckdb_spellings_answer_like_python(
    tables: dict[str, Any], engine: Any, emulator: Any, repository: str
) -> None:
    """JSON paths, regular expressions, ILIKE and Python's // compile to what DuckDB means by them."""
    import json
    import re

    pull_requests = tables["pull_requests"]
    statement = (
        select(
            pull_requests.c.id,
            pull_requests.c.reviewers[(0, "display_name")].as_string(),
            pull_requests.c.reviewers[0]["nickname"].as_string(),
            pull_requests.c.title.regexp_match("^[A-M]"),
            pull_requests.c.title.ilike("%E%"),
            (pull_requests.c.id - 4) // 3,
            pull_requests.c.id / 2,
        )
        .where(pull_requests.c.repository == repository)
        .order_by(pull_requests.c.id)
    )
    rows, _ = run(engine, statement)
    raw, _ = dbapi_answer(
        emulator,
        "SELECT id, reviewers, title FROM pull_requests WHERE repository = ? ORDER BY id",
        [repository],
    )
    expected = []
    for identifier, reviewers, title in raw:
        first = (json.loads(reviewers) or [{}])[0]
        expected.append(
            (
                identifier,
                first.get("display_name"),
                first.get("nickname"),
                bool(re.search("^[A-M]", title)),
                "e" in title.lower(),
                (identifier - 4) // 3,
                identifier / 2,
            )
        )
    assert rows == expected
    assert any(row[1] for row in rows), "some pull request should have a reviewer"
