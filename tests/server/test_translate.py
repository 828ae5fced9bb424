"""PostgreSQL's dialect in, DuckDB's out: for the engine (same pushdown as the DB-API) and the catalog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sql_session_helpers import api_requests, make_session_fixture, session_fixture  # noqa: F401

import bitbucket_sql
from bitbucket_sql.server import pgtypes
from bitbucket_sql.server.session import PgError, SqlSession
from bitbucket_sql.server.translate import (
    TranslationError,
    bind_parameters,
    infer_parameter_types,
    parse,
    target_of,
    translate,
)


def engine_sql(sql: str, params: list[Any] | None = None) -> str:
    tree = parse(sql)
    if params is not None:
        tree = bind_parameters(tree, params)
    return translate(tree, "engine").sql


@pytest.mark.parametrize(
    ("postgres", "duckdb"),
    [
        ("SELECT id::text FROM pull_requests", "SELECT CAST(id AS TEXT) FROM pull_requests"),
        ("SELECT 1 FROM t WHERE title ILIKE '%fix%'", "SELECT 1 FROM t WHERE title ILIKE '%fix%'"),
        ("SELECT date_trunc('day', now())", "SELECT DATE_TRUNC('DAY', CURRENT_TIMESTAMP)"),
        ("SELECT now() - interval '7 days'", "SELECT CURRENT_TIMESTAMP - INTERVAL '7' DAYS"),
        ('SELECT "Title" FROM "pull_requests"', 'SELECT "Title" FROM "pull_requests"'),
        ("SELECT a FROM t LIMIT 5 OFFSET 10", "SELECT a FROM t LIMIT 5 OFFSET 10"),
        ("SELECT a FROM t FETCH FIRST 3 ROWS ONLY", "SELECT a FROM t LIMIT 3"),
        ("SELECT E'a\\nb'", "SELECT e'a\\nb'"),
        ("SELECT x::oid, y::name FROM t", "SELECT CAST(x AS BIGINT), CAST(y AS TEXT) FROM t"),
        ("SELECT a FROM t WHERE b = 'x' COLLATE pg_catalog.default", "SELECT a FROM t WHERE b = 'x'"),
        ("SELECT a FROM t WHERE b !~ '^pg_'", "SELECT a FROM t WHERE NOT REGEXP_MATCHES(b, '^pg_')"),
    ],
)
def test_postgres_dialect_becomes_duckdb(postgres: str, duckdb: str) -> None:
    assert engine_sql(postgres) == duckdb


def test_dollar_parameters_become_typed_literals_even_when_repeated() -> None:
    sql = "SELECT id FROM pull_requests WHERE repository = $1 AND (id = $2 OR author_uuid = $1)"
    assert engine_sql(sql, ["it's", 5]) == (
        "SELECT id FROM pull_requests WHERE repository = 'it''s' AND (id = 5 OR author_uuid = 'it''s')"
    )


def test_equality_with_any_of_a_bound_list_becomes_in() -> None:
    assert engine_sql("SELECT id FROM t WHERE id = ANY($1::bigint[])", [[1, 3]]) == "SELECT id FROM t WHERE id IN (1, 3)"
    assert engine_sql("SELECT id FROM t WHERE s = ANY(ARRAY['a', 'b'])") == "SELECT id FROM t WHERE s IN ('a', 'b')"
    assert engine_sql("SELECT id FROM t WHERE s = ANY(other)") == "SELECT id FROM t WHERE s = ANY(other)"


def test_a_missing_parameter_is_an_error() -> None:
    with pytest.raises(TranslationError, match=r"\$2"):
        engine_sql("SELECT $1, $2", ["only one"])


def test_syntax_errors_name_the_position() -> None:
    with pytest.raises(TranslationError, match="line 1"):
        parse("SELECT FROM WHERE (")


def test_parameter_types_come_from_casts_columns_and_limits() -> None:
    tree = parse("SELECT * FROM pull_requests WHERE repository = $1 AND id > $2 AND $3::date < created_on LIMIT $4")
    types = infer_parameter_types(tree, {"repository": "VARCHAR", "id": "BIGINT"}, 5)
    assert types == [pgtypes.TEXT, pgtypes.INT8, pgtypes.DATE, pgtypes.INT8, pgtypes.TEXT]


def test_catalog_and_engine_statements_are_told_apart() -> None:
    assert target_of(parse("SELECT relname FROM pg_catalog.pg_class")) == "catalog"
    assert target_of(parse("SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace")) == "catalog"
    assert target_of(parse("SELECT table_name FROM information_schema.columns")) == "catalog"
    assert target_of(parse("SELECT version()")) == "catalog"
    assert target_of(parse("SELECT * FROM pull_requests")) == "engine"
    assert target_of(parse("SELECT * FROM sys_tables")) == "engine"


def test_catalog_constructs_are_rewritten_for_duckdb() -> None:
    sql = translate(parse(
        "SELECT c.oid::pg_catalog.regclass::pg_catalog.text, pg_catalog.format_type(a.atttypid, a.atttypmod) "
        "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid "
        "JOIN pg_catalog.pg_index i ON i.indrelid = c.oid "
        "WHERE c.relname OPERATOR(pg_catalog.~) '^(pull_requests)$' COLLATE pg_catalog.default "
        "AND c.oid = 'pull_requests'::regclass AND a.attnum = i.indkey[0] AND pol.polroles = '{0}'"
    ), "catalog")
    assert "bbsql_pg.pg_class AS pg_class" not in sql.sql  # aliased tables keep their alias
    assert "bbsql_pg.pg_class AS c" in sql.sql and "bbsql_pg.pg_attribute AS a" in sql.sql
    assert "BBPG_REGCLASS_OUT_1(CAST(c.oid AS TEXT))" in sql.sql
    assert "BBPG_FORMAT_TYPE_2(" in sql.sql
    assert "REGEXP_MATCHES(c.relname, '^(pull_requests)$')" in sql.sql
    assert "BBPG_REGCLASS_IN_1(CAST('pull_requests' AS TEXT))" in sql.sql
    assert "i.indkey[1]" in sql.sql  # int2vector subscripts are 0-based in PostgreSQL
    assert "pol.polroles = [0]" in sql.sql
    assert ("format_type", 2) in sql.functions and ("regclass_in", 1) in sql.functions


# --- the same requests as through the DB-API ---------------------------------------------------

#: (PostgreSQL text a client sends, its parameters, the DuckDB text a DB-API user writes, its parameters)
SAME_REQUESTS = [
    (
        "SELECT id, title FROM pull_requests WHERE repository = 'api'::text AND state = 'MERGED' "
        "ORDER BY created_on DESC FETCH FIRST 3 ROWS ONLY",
        None,
        "SELECT id, title FROM pull_requests WHERE repository = 'api' AND state = 'MERGED' "
        "ORDER BY created_on DESC LIMIT 3",
        None,
    ),
    (
        "SELECT count(*) FROM pull_requests WHERE repository = $1 AND title ILIKE $2",
        ["api", "%rate%"],
        "SELECT count(*) FROM pull_requests WHERE repository = ? AND title ILIKE ?",
        ["api", "%rate%"],
    ),
    (
        "SELECT id FROM pull_requests WHERE repository = 'web' AND created_on >= '2025-01-01'::timestamptz",
        None,
        "SELECT id FROM pull_requests WHERE repository = 'web' AND created_on >= CAST('2025-01-01' AS TIMESTAMPTZ)",
        None,
    ),
    (
        'SELECT p."id", c.id FROM "pull_requests" p JOIN pull_request_comments c '
        "ON c.repository = p.repository AND c.pull_request_id = p.id WHERE p.repository = 'api' AND p.id = $1",
        [1],
        "SELECT p.id, c.id FROM pull_requests p JOIN pull_request_comments c "
        "ON c.repository = p.repository AND c.pull_request_id = p.id WHERE p.repository = 'api' AND p.id = ?",
        [1],
    ),
    (
        "SELECT repository, id FROM pull_requests WHERE repository = ANY($1) ORDER BY id LIMIT 4",
        ["{api,web}"],
        "SELECT repository, id FROM pull_requests WHERE repository IN (?, ?) ORDER BY id LIMIT 4",
        ["api", "web"],
    ),
    (
        "SELECT slug FROM repositories WHERE updated_on > '2026-01-01'::timestamptz - interval '3650 days' "
        "ORDER BY slug LIMIT 2",
        None,
        "SELECT slug FROM repositories WHERE updated_on > CAST('2026-01-01' AS TIMESTAMPTZ) - INTERVAL 3650 DAY "
        "ORDER BY slug LIMIT 2",
        None,
    ),
]


@pytest.mark.parametrize(("postgres", "pg_params", "duckdb", "dbapi_params"), SAME_REQUESTS)
def test_server_queries_send_the_same_requests_as_the_dbapi(
    make_session: Callable[..., SqlSession], emulator: Any, postgres: str, pg_params: list[Any] | None,
    duckdb: str, dbapi_params: list[Any] | None,
) -> None:
    session = make_session()
    with api_requests() as through_server:
        if pg_params is None:
            (result,) = session.execute(postgres)
        else:
            prepared = session.prepare(postgres, [])
            result = session.execute_prepared(postgres, [str(p) for p in pg_params], prepared.param_types)
    connection = bitbucket_sql.connect(BaseURL=emulator.base_url, AuthScheme="APIToken", User="demo@example.com",
                                       APIToken="demo-api-token", Workspace="acme", CacheTTL=0)
    try:
        cursor = connection.cursor()
        with api_requests() as through_dbapi:
            cursor.execute(duckdb, dbapi_params)
            rows = cursor.fetchall()
    finally:
        connection.close()
    assert through_server.requests > 0
    assert sorted(r.url for r in through_server.records) == sorted(r.url for r in through_dbapi.records)
    assert [tuple(row) for row in result.rows] == [tuple(row) for row in rows]


def test_engine_errors_keep_their_message_and_hint(session: SqlSession) -> None:
    with pytest.raises(PgError) as raised:
        session.execute("SELECT title FROM pull_request WHERE repository = 'api'")
    assert raised.value.sqlstate == "42P01"
    assert "pull_request" in raised.value.message
    assert raised.value.hint is not None and "pull_requests" in raised.value.hint
