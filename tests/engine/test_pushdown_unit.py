"""Planning without HTTP: predicate translation, literal coercion, escaping, statements, caches."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import sqlglot

from bitbucket_sql.catalog import registry
from bitbucket_sql.engine import ParameterError, SqlSyntaxError, UnsupportedStatementError
from bitbucket_sql.engine.bbql import quote, render
from bitbucket_sql.engine.cache import TTLCache
from bitbucket_sql.engine.pushdown import Translator, like_fragment, split_conjuncts
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
        # rows hold timestamps truncated to microseconds: <=, >, = and IN compare whole microseconds
        ("created_on > TIMESTAMP '2026-03-04 05:06:07.5'", "created_on >= 2026-03-04T05:06:07.500001+00:00"),
        ("created_on <= '2026-03-04 05:06:07+00'", "created_on < 2026-03-04T05:06:07.000001+00:00"),
        ("created_on = '2026-03-04 05:06:07+00'",
         "created_on >= 2026-03-04T05:06:07+00:00 AND created_on < 2026-03-04T05:06:07.000001+00:00"),
        ("created_on IN ('2026-03-04 05:06:07+00', '2026-03-05')",
         "(created_on >= 2026-03-04T05:06:07+00:00 AND created_on < 2026-03-04T05:06:07.000001+00:00) OR "
         "(created_on >= 2026-03-05T00:00:00+00:00 AND created_on < 2026-03-05T00:00:00.000001+00:00)"),
        ("draft = 'true'", "draft = true"),
        ("draft != FALSE", "draft != false"),
        ("title = 'say \"hi\" \\ bye'", 'title = "say \\"hi\\" \\\\ bye"'),
        ("state IN ('A', NULL, 'B')", 'state IN ("A", "B")'),
        ("NOT state IN ('A')", 'state NOT IN ("A")'),
        ("author_uuid IS NULL", "author.uuid = null"),
        ("NOT (merge_commit_hash IS NULL)", "merge_commit.hash != null"),
        ("title LIKE '%a_b%cdef%'", 'title ~ "cdef"'),
        ("title ILIKE 'Bug%'", 'title ~ "Bug"'),
        ("comment_count BETWEEN 1 AND 3", "comment_count >= 1 AND comment_count <= 3"),
        ("(state = 'A' OR title LIKE '%x%')", 'state = "A" OR title ~ "x"'),
        # OR branches that are conjunctions are parenthesised (the API documents no precedence)
        ("state = 'OPEN' OR comment_count >= 2 AND comment_count <= 3",
         'state = "OPEN" OR (comment_count >= 2 AND comment_count <= 3)'),
        ("(state = 'A' OR state = 'B') AND (comment_count = 1 OR comment_count BETWEEN 4 AND 5)",
         '(state = "A" OR state = "B") AND (comment_count = 1 OR (comment_count >= 4 AND comment_count <= 5))'),
        # the negation of an exact compound predicate, with documented operators only
        ("NOT comment_count > 3", "comment_count <= 3 OR comment_count = null"),
        ("NOT (state = 'A' OR comment_count < 2)", 'state != "A" AND (comment_count >= 2 OR comment_count = null)'),
        # numbers in plain notation, whatever their size
        ("comment_count > 1e-05", "comment_count > 0.00001"),
        ("comment_count > -0.0000025", "comment_count > -0.0000025"),
        ("comment_count < 1e30", "comment_count < 1000000000000000000000000000000"),
        ("comment_count != 123456789012345678901", "comment_count != 123456789012345678901"),
        ("comment_count > 0.30000000000000001", "comment_count > 0.30000000000000001"),
        ("comment_count >= 2.50", "comment_count >= 2.5"),
        ("comment_count > -(3)", "comment_count > -3"),
    ],
)
def test_bbql_translation(where: str, bbql: str) -> None:
    translation = translate("pull_requests", where)
    assert translation is not None and render(translation.bbql) == bbql
    assert "e-" not in render(translation.bbql) and "e+" not in render(translation.bbql)


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
        "comment_count > 1e-300",  # 300 digits in plain notation: kept local
        "NOT (title LIKE '%a%' OR state = 'A')",  # the complement of a superset is not a superset
        "NOT (merge_commit_hash != 'A' AND comment_count = 1)",
        # text ranges: the API's string order is not known to be SQL's (neither exact nor a superset)
        "title < 'm'",
        "title >= 'a'",
        "'m' > title",
        "title BETWEEN 'a' AND 'm'",
        "NOT (title < 'm')",
        # LIKE fragments made only of characters whose case folding differs between systems
        "title ILIKE '%ıi%'",
        "title LIKE '%ΣΑ%'",
        "title ILIKE '%ßẞ%'",
        "title ILIKE '%kiss%'",
        "repository = 'api' OR state = 'OPEN'",
        "id IN (SELECT 1)",
        "created_on > 'yesterday'",
        "comment_count <= '4.5'",  # DuckDB rounds the string to the BIGINT column's type
        "draft = 'yes'",
        "created_on <= '9999-12-31 23:59:59.999999+00'",  # no next microsecond to compare with
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
    assert translate("pull_requests", "id IN (2.5, 3, NULL)").get_values == {"id": frozenset({3})}  # no GET of 2.5
    folded = Translator(registry.get_table("pull_requests"), fold=lambda node: 7.0)
    condition = sqlglot.parse_one("SELECT 1 FROM t WHERE id = 14 / 2", read="duckdb").args["where"].this
    assert folded.translate(condition).get_values == {"id": frozenset({7})}
    assert translate("pull_request_comments", "pull_request_id IN (7, 7.5)").key_values == {
        "pull_request_id": frozenset({7})
    }
    assert translate("pull_requests", "repository LIKE 'a%'") is None
    assert translate("pull_request_comments", "pull_request_id = '7'").key_values == {"pull_request_id": frozenset({7})}


def test_plain_parameters() -> None:
    assert translate("pipelines", "target_ref_name = 'main'").params == {"target.ref_name": "main"}
    assert translate("pipelines", "target_ref_name IN ('main', 'dev')") is None
    assert translate("workspaces", "administrator = 'true'").params == {"administrator": "true"}


def test_like_fragment_and_escaping() -> None:
    assert like_fragment("%ab%c_defg") == "defg"
    assert like_fragment("%_%") is None
    assert quote('x" OR title ~ "') == '"x\\" OR title ~ \\""'


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("%istanbul%", "tanbul"),  # 'İstanbul' ILIKE '%istanbul%' in DuckDB; 'i' must not be sent
        ("%İSTANBUL release%", "TANBUL relea"),
        ("%Kelvin 42\u212a%", "n 42"),  # k and the Kelvin sign fold into each other
        ("%straße%", "tra"),
        ("%ΟΔΟΣ x%", " x"),  # Greek final sigma folds differently by position
        ("%tab\there%", "here"),  # control characters never go into a fragment
        ('%say "hi" \\ bye%', '" \\ bye'),  # quotes and backslashes are escaped by the renderer
        ("%ıİſK%", None),
    ],
)
def test_like_fragments_fold_the_same_everywhere(pattern: str, fragment: str | None) -> None:
    assert like_fragment(pattern) == fragment


def test_fold_ambiguous_letters_match_what_duckdb_does() -> None:
    """Re-derive FOLD_AMBIGUOUS: every printable ASCII character that DuckDB's ILIKE (or
    lower/upper) relates to some non-ASCII character, over all of Unicode, must be unsafe."""
    import duckdb

    from bitbucket_sql.engine.pushdown import fold_safe

    connection = duckdb.connect()
    try:
        connection.execute(
            "CREATE TABLE text_chars AS SELECT chr(code::INTEGER) AS c, lower(chr(code::INTEGER)) AS lo, "
            "upper(chr(code::INTEGER)) AS up FROM range(128, 196608) t(code) WHERE code NOT BETWEEN 55296 AND 57343"
        )
        connection.execute(
            "CREATE TABLE ascii_chars AS SELECT chr(code::INTEGER) AS a FROM range(32, 127) t(code) "
            "WHERE chr(code::INTEGER) NOT IN ('%', '_')"
        )
        related = connection.execute(
            "SELECT DISTINCT a FROM ascii_chars JOIN text_chars "
            "ON c ILIKE a OR contains(lo, lower(a)) OR contains(up, upper(a))"
        ).fetchall()
    finally:
        connection.close()
    related_chars = {row[0] for row in related}
    assert related_chars, "DuckDB relates some ASCII letters to non-ASCII ones (İ to i at least)"
    assert not {char for char in related_chars if fold_safe(char)}
    # and Python's simple case mappings (a single character each way), as an API might use
    python_related = {
        folded for code in range(0x80, 0x30000) if not 0xD800 <= code <= 0xDFFF
        for folded in (chr(code).lower(), chr(code).upper(), chr(code).casefold())
        if len(folded) == 1 and folded.isascii()
    }
    assert not {char for char in python_related if fold_safe(char)}


@pytest.mark.parametrize(
    ("where", "superset"),
    [
        ("state = 'A'", False),
        ("state IN ('A', 'B')", False),
        ("merge_commit_hash IS NULL", False),
        ("merge_commit_hash IS NOT NULL", False),
        ("comment_count > 3", False),
        ("created_on >= '2026-01-01'", False),
        ("draft = true", False),
        # a pull request always has a state: the catalog declares != and NOT IN exact there
        ("state != 'OPEN'", False),
        ("state NOT IN ('OPEN', 'MERGED')", False),
        ("state ILIKE 'open'", True),
        # BBQL's != / NOT IN also match null or missing fields: SQL drops those rows
        ("merge_commit_hash != 'zzz'", True),
        ("merge_commit_hash <> 'zzz'", True),
        ("NOT merge_commit_hash = 'zzz'", True),
        ("merge_commit_hash NOT IN ('zzz')", True),
        ("NOT merge_commit_hash IN ('zzz')", True),
        ("draft != true", True),
        ("comment_count != 2", True),
        ("title LIKE '%CSV%'", True),
        ("title ILIKE '%csv%'", True),
        ("NOT (comment_count > 3)", True),
        ("state = 'A' OR comment_count != 2", True),
        ("state = 'A' AND title LIKE '%x%'", True),
    ],
)
def test_exactness_comes_from_the_column(where: str, superset: bool) -> None:
    translation = translate("pull_requests", where)
    assert translation is not None and translation.superset is superset


def test_columns_declare_exactness_per_operator() -> None:
    from bitbucket_sql.catalog.model import Column

    table = registry.get_table("pull_requests")
    title = table.column("title")
    assert title.pushdown("=") == "exact" and title.pushdown("!=") == "superset"
    assert title.pushdown("LIKE") == "superset" and title.pushdown("<") is None
    assert table.column("comment_count").pushdown("<") == "exact"
    never_null = Column("state", "VARCHAR", "state", filter_ops=frozenset({"=", "!="}), superset_ops=frozenset())
    assert never_null.pushdown("!=") == "exact"
    derived = Column("repository", "VARCHAR", "repository.full_name", filter_ops=frozenset({"="}), derive=str.upper)
    assert derived.pushdown("=") is None  # the API would compare the raw field, not the derived value
    with pytest.raises(ValueError, match="range operators on text"):
        Column("title", "VARCHAR", "title", filter_ops=frozenset({"=", "<"}))
    for each in registry.all_tables():
        for column in each.columns:
            if column.type == "VARCHAR":
                assert column.pushdown("<") is None and column.pushdown(">=") is None, (each.name, column.name)


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
