"""Planning without HTTP: predicate translation, literal coercion, escaping, statements, caches."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import sqlglot

from bitbucket_sql.catalog import registry
from bitbucket_sql.engine import ParameterError, SqlSyntaxError, UnsupportedStatementError
from bitbucket_sql.engine.cache import TTLCache
from bitbucket_sql.engine.pushdown import Translator, bbql_string, like_fragment, split_conjuncts
from bitbucket_sql.engine.statements import bind_parameters, parse_statement, split_explain


def translate(table: str, where: str):  # type: ignore[no-untyped-def]
    condition = sqlglot.parse_one(f"SELECT 1 FROM t WHERE {where}", read="duckdb").args["where"].this
    (conjunct,) = split_conjuncts(condition) if " AND " not in where.upper() else [condition]
    return Translator(registry.get_table(table)).translate(conjunct)


@pytest.mark.parametrize(
    ("where", "bbql"),
    [
        ("comment_count > '48'", "comment_count > 48"),
        ("comment_count >= 2.5", "comment_count >= 2.5"),
        ("-3 < comment_count", "comment_count > -3"),
        ("created_on < '2026-01-01 02:00:00+02'", "created_on < 2026-01-01T00:00:00+00:00"),
        ("created_on >= DATE '2026-03-04'", "created_on >= 2026-03-04T00:00:00+00:00"),
        ("created_on > TIMESTAMP '2026-03-04 05:06:07.5'", "created_on > 2026-03-04T05:06:07.500000+00:00"),
        ("draft = 'true'", "draft = true"),
        ("draft != FALSE", "draft != false"),
        ("title = 'say \"hi\" \\ bye'", 'title = "say \\"hi\\" \\\\ bye"'),
        ("state IN ('A', NULL, 'B')", 'state IN ("A", "B")'),
        ("NOT state IN ('A')", 'state NOT IN ("A")'),
        ("author_uuid IS NULL", "author.uuid = null"),
        ("NOT (merge_commit_hash IS NULL)", "merge_commit.hash != null"),
        ("title LIKE '%a_b%cdef%'", 'title ~ "cdef"'),
        ("title ILIKE 'Fix%'", 'title ~ "Fix"'),
        ("comment_count BETWEEN 1 AND 3", "comment_count >= 1 AND comment_count <= 3"),
        ("(state = 'A' OR title LIKE '%x%')", '(state = "A" OR title ~ "x")'),
    ],
)
def test_bbql_translation(where: str, bbql: str) -> None:
    translation = translate("pull_requests", where)
    assert translation is not None and translation.bbql == bbql


@pytest.mark.parametrize(
    "where",
    [
        "title = 5",  # DuckDB would compare as numbers: keep local
        "comment_count > 'many'",
        "state NOT IN ('A', NULL)",  # never true in SQL
        "title NOT LIKE '%a%'",
        "title LIKE '%'",
        "title LIKE 'a%' ESCAPE '!'",
        "lower(title) = 'x'",
        "title = description",
        "state = NULL",
        "reviewers IS NULL",  # JSON columns are not filterable
        "html_url = 'x'",
        "NOT comment_count > 3",
        "repository = 'api' OR state = 'OPEN'",
        "id IN (SELECT 1)",
        "created_on > 'yesterday'",
        "comment_count <= '4.5'",  # DuckDB rounds the string to the BIGINT column's type
        "draft = 'yes'",
    ],
)
def test_not_pushable(where: str) -> None:
    assert translate("pull_requests", where) is None


def test_keys_and_gets() -> None:
    assert translate("pull_requests", "repository IN ('a', 'b')").key_values == {"repository": frozenset({"a", "b"})}
    assert translate("pull_requests", "repository = 'a' OR repository = 'c'").key_values == {
        "repository": frozenset({"a", "c"})
    }
    assert translate("pull_requests", "id IN (1, 2)").get_values == {"id": frozenset({1, 2})}
    assert translate("pull_requests", "repository LIKE 'a%'") is None
    assert translate("pull_request_comments", "pull_request_id = '7'").key_values == {"pull_request_id": frozenset({7})}


def test_plain_parameters() -> None:
    assert translate("pipelines", "target_ref_name = 'main'").params == {"target.ref_name": "main"}
    assert translate("pipelines", "target_ref_name IN ('main', 'dev')") is None
    assert translate("workspaces", "administrator = 'true'").params == {"administrator": "true"}


def test_like_fragment_and_escaping() -> None:
    assert like_fragment("%ab%c_defg") == "defg"
    assert like_fragment("%_%") is None
    assert bbql_string('x" OR title ~ "') == '"x\\" OR title ~ \\""'


def test_parameters_are_bound_as_literals() -> None:
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    bound = bind_parameters(
        "SELECT ? , ?, ?, ?, ?, ?, ?, '?' -- ?\n", ["it's", 3, 2.5, True, None, when, Decimal("1.50")]
    )
    assert bound == (
        "SELECT 'it''s' , 3, 2.5, TRUE, NULL, CAST('2026-01-02 01:04:05+00:00' AS TIMESTAMPTZ), 1.50, '?' -- ?\n"
    )
    assert bind_parameters("SELECT ?", [datetime.date(2026, 1, 2)]) == "SELECT CAST('2026-01-02' AS DATE)"
    with pytest.raises(ParameterError, match="1 '\\?' placeholder"):
        bind_parameters("SELECT ?", [])
    with pytest.raises(ParameterError, match="complex"):
        bind_parameters("SELECT ?", [1j])


def test_statements() -> None:
    assert split_explain("  explain analyze SELECT 1") == ("analyze", " SELECT 1")
    assert split_explain("EXPLAIN SELECT 1") == ("explain", " SELECT 1")
    assert parse_statement("SELECT 1;").sql == "SELECT 1;"
    with pytest.raises(SqlSyntaxError) as raised:
        parse_statement("SELECT * FROM")
    assert raised.value.line == 1 and "the end of the query" in str(raised.value)
    with pytest.raises(UnsupportedStatementError, match="DROP"):
        parse_statement("DROP TABLE repositories")


def test_ttl_cache_expires_and_evicts() -> None:
    now = [0.0]
    cache: TTLCache[list[int]] = TTLCache(10, max_weight=5, weigh=len, clock=lambda: now[0])
    cache.put("a", [1, 2])
    cache.put("b", [3, 4])
    assert cache.get("a") == [1, 2]
    cache.put("c", [5, 6])  # over weight: the least recently used ("b") goes
    assert cache.get("b") is None and cache.get("a") == [1, 2]
    now[0] = 11
    assert cache.get("a") is None
    off: TTLCache[int] = TTLCache(0, max_weight=10)
    off.put("x", 1)
    assert off.get("x") is None
