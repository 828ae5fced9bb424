"""Catalog introspection as real clients send it: answered like PostgreSQL, with zero API requests.

The statements are the ones psql, psycopg, asyncpg, SQLAlchemy, pgJDBC, psqlODBC and node-pg sent
to a real PostgreSQL 15 server (recorded_client_queries/, see its README). Each is run through the SQL session in order, as
the client would: OIDs the recording server had assigned (16386 = pull_requests) are replaced
by ours, looked up the way psql looks them up, and psqlODBC's ``public`` by the current schema
it asked for first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlglot
from sql_session_helpers import api_requests, make_session_fixture, session_fixture  # noqa: F401
from sqlglot import exp

from bitbucket_sql.server.session import PgError, SqlSession, StatementResult

RECORDED = Path(__file__).parent / "recorded_client_queries"
CLIENTS = ["psql", "psycopg", "asyncpg", "sqlalchemy", "pgjdbc", "psqlodbc", "node-pg"]
#: the relations each recorded statement may read without calling the API
DATA_TABLES = re.compile(r"\bfrom\s+pull_requests\b", re.IGNORECASE)


def recorded_statements(client: str) -> list[tuple[str, list[str] | None]]:
    """(statement, bound parameters or None) in the order the client sent them."""
    path = RECORDED / f"{client}.sql"
    statements: list[tuple[str, list[str] | None]] = []
    for chunk in re.split(r";\s*\n", path.read_text()):
        lines = []
        for line in chunk.splitlines():
            parameters = re.match(r"^-- parameters: (.*)$", line)
            if parameters and statements:
                values = [v.replace("''", "'") for v in re.findall(r"\$\d+ = '((?:[^']|'')*)'", parameters.group(1))]
                statements[-1] = (statements[-1][0], values)
            elif not line.startswith("--"):
                lines.append(line)
        text = "\n".join(lines).strip()
        if text:
            statements.append((text, None))
    return statements


def expected_columns(sql: str) -> list[str | None] | None:
    """The result column names PostgreSQL gives a SELECT (None where computed; None overall with ``*``)."""
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.ParseError:
        return None
    while isinstance(tree, exp.SetOperation):
        tree = tree.this
    if not isinstance(tree, exp.Select):
        return None
    names: list[str | None] = []
    for projection in tree.expressions:
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and projection.is_star):
            return None
        if isinstance(projection, exp.Alias):
            identifier = projection.args["alias"]
            names.append(identifier.name if identifier.quoted else identifier.name.lower())
        elif isinstance(projection, exp.Column):
            names.append(projection.name.lower())
        else:
            names.append(None)
    return names


def run(session: SqlSession, sql: str, params: list[str] | None) -> list[StatementResult]:
    if params is None and "$1" not in sql:
        return session.execute(sql)
    prepared = session.prepare(sql, [])
    return [session.execute_prepared(sql, params or [], prepared.param_types)]


def our_oid(session: SqlSession, table: str) -> int:
    (result,) = session.execute(
        "SELECT c.oid FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE c.relname OPERATOR(pg_catalog.~) '^({table})$' AND pg_catalog.pg_table_is_visible(c.oid)"
    )
    return int(result.rows[0][0])


def replay(session: SqlSession, client: str) -> list[tuple[str, list[StatementResult], int]]:
    """Every recorded statement of ``client``: (sql, results, API requests it made)."""
    pull_requests = str(our_oid(session, "pull_requests"))
    (schema,) = session.execute("select current_schema()")
    answers = []
    for sql, params in recorded_statements(client):
        sql = sql.replace("'16386'", f"'{pull_requests}'")
        sql = sql.replace("nspname like 'public'", f"nspname like '{schema.rows[0][0]}'")
        sql = sql.replace("nspname = 'public'", f"nspname = '{schema.rows[0][0]}'")
        params = [pull_requests if value == "16386" else value for value in params] if params else params
        with api_requests() as recording:
            results = run(session, sql, params)
        answers.append((sql, results, recording.requests))
    return answers


@pytest.mark.parametrize("client", CLIENTS)
def test_every_recorded_statement_answers_without_api_requests(
    make_session: Callable[..., SqlSession], client: str
) -> None:
    session = make_session()
    for sql, results, requests in replay(session, client):
        assert results, sql
        for result in results:
            names = [field.name for field in result.fields or []]
            assert not any("bbpg" in name or "bbsql" in name for name in names), (sql, names)
            if result.fields is not None and not result.command_tag.startswith("SHOW"):
                assert result.command_tag == f"SELECT {len(result.rows)}"
                expected = expected_columns(sql) if len(results) == 1 else None
                if expected is not None:
                    assert len(names) == len(expected), (sql, names)
                    assert all(want is None or want == got for want, got in zip(expected, names, strict=True)), (
                        sql, names, expected)
        if DATA_TABLES.search(sql):
            assert requests >= 1, sql  # a real query: it reaches the API
        else:
            assert requests == 0, sql


def answers_of(session: SqlSession, client: str) -> dict[str, list[StatementResult]]:
    return {sql: results for sql, results, _ in replay(session, client)}


def find(answers: dict[str, list[StatementResult]], fragment: str) -> StatementResult:
    for sql, results in answers.items():
        if fragment in sql:
            return results[-1]
    raise AssertionError(f"no recorded statement contains {fragment!r}")


def columns(result: StatementResult) -> list[str]:
    return [field.name for field in result.fields or []]


def test_psql_lists_databases_schemas_tables_and_describes_a_table(make_session: Callable[..., SqlSession]) -> None:
    answers = answers_of(make_session(), "psql")
    databases = find(answers, "FROM pg_catalog.pg_database d")
    assert columns(databases)[:3] == ["Name", "Owner", "Encoding"]
    assert ("demo", "demo", "UTF8") in [row[:3] for row in databases.rows]
    schemas = find(answers, 'pg_catalog.pg_get_userbyid(n.nspowner) AS "Owner"')
    assert [row[0] for row in schemas.rows] == ["acme", "public"]
    tables = find(answers, "WHERE c.relkind IN ('r','p','')")
    assert ("acme", "pull_requests", "table", "demo") in tables.rows
    assert ("acme", "repositories", "table", "demo") in tables.rows
    assert not [row for row in tables.rows if row[1] in ("issues", "wiki")]  # removed APIs are not listed
    described = find(answers, "a.attstorage")
    by_name = {row[0]: row for row in described.rows}
    assert by_name["id"][1:4] == ("bigint", None, True)
    assert by_name["created_on"][1] == "timestamp with time zone"
    assert by_name["title"][1] == "text" and by_name["reviewers"][1] == "json"
    assert by_name["title"][-1] == "Title."  # col_description: the catalog's description
    indexes = find(answers, "pg_catalog.pg_get_indexdef(i.indexrelid, 0, true)")
    assert indexes.rows[0][0] == "pull_requests_pkey"
    assert indexes.rows[0][1] is True
    assert indexes.rows[0][6] == "PRIMARY KEY (workspace, repository, id)"
    assert find(answers, "WHERE c.relkind IN ('v','')").rows == []
    functions = find(answers, "pg_catalog.pg_get_function_result(p.oid)")
    assert columns(functions) == ["Schema", "Name", "Result data type", "Argument data types", "Type"]


def test_sqlalchemy_inspector_sees_columns_types_and_primary_keys(make_session: Callable[..., SqlSession]) -> None:
    session = make_session()
    answers = answers_of(session, "sqlalchemy")
    assert find(answers, "select pg_catalog.version()").rows[0][0].startswith("PostgreSQL 16")
    assert find(answers, "select current_schema()").rows == [("acme",)]
    schemas = find(answers, "NOT LIKE $1::VARCHAR")
    assert [row[0] for row in schemas.rows] == ["acme", "information_schema", "public"]
    get_columns = find(answers, "pg_catalog.pg_table_is_visible(pg_catalog.pg_class.oid) AND pg_catalog.pg_namespace"
                                ".nspname != $20::VARCHAR")
    assert columns(get_columns)[:4] == ["name", "format_type", "default", "not_null"]
    types = {row[0]: row[1] for row in get_columns.rows}
    assert types["id"] == "bigint" and types["created_on"] == "timestamp with time zone"
    assert types["draft"] == "boolean" and types["participants"] == "json"
    assert [row[0] for row in get_columns.rows][:3] == ["workspace", "repository", "id"]
    oid = our_oid(session, "pull_requests")
    pk_sql = next(sql for sql in answers if "array_agg(CAST(attr.attname AS TEXT) ORDER BY attr.ord)" in sql)
    prepared = session.prepare(pk_sql, [])
    primary_key = session.execute_prepared(pk_sql, ["1", "pg_constraint", "p", str(oid)], prepared.param_types)
    assert primary_key.rows == [(oid, ["workspace", "repository", "id"], "pull_requests_pkey", None, 3, False)]


def test_pgjdbc_metadata_tables_columns_and_primary_keys(make_session: Callable[..., SqlSession]) -> None:
    answers = answers_of(make_session(), "pgjdbc")
    tables = find(answers, "AS TABLE_CAT, n.nspname AS TABLE_SCHEM")
    assert columns(tables)[:5] == ["table_cat", "table_schem", "table_name", "table_type", "remarks"]
    assert (None, "acme", "pull_requests", "TABLE") in [row[:4] for row in tables.rows]
    pull_requests = next(row for row in tables.rows if row[2] == "pull_requests")
    assert pull_requests[4].startswith("Pull requests")
    get_columns = find(answers, "row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum")
    by_name = {row[2]: row for row in get_columns.rows}
    assert by_name["id"][3] == 20 and by_name["id"][4] is True  # int8, NOT NULL (primary key)
    assert by_name["created_on"][3] == 1184 and by_name["title"][3] == 25
    assert [row[8] for row in get_columns.rows] == list(range(1, len(get_columns.rows) + 1))
    keys = find(answers, "information_schema._pg_expandarray(i.indkey)")
    assert [row[3:] for row in keys.rows] == [
        ("workspace", 1, "pull_requests_pkey"), ("repository", 2, "pull_requests_pkey"), ("id", 3, "pull_requests_pkey"),
    ]


def test_psqlodbc_tables_columns_and_primary_keys(make_session: Callable[..., SqlSession]) -> None:
    answers = answers_of(make_session(), "psqlodbc")
    tables = find(answers, "relkind in ('r', 'v', 'm', 'f', 'p')")
    assert ("pull_requests", "acme", "r") in tables.rows
    get_columns = find(answers, "c.relhasrules, c.relkind, c.oid, pg_get_expr(d.adbin, d.adrelid)")
    by_name = {row[2]: row for row in get_columns.rows}
    assert by_name["id"][3:5] == (20, "int8")
    assert by_name["updated_on"][4] == "timestamptz"
    keys = find(answers, "i.indisprimary = 't'")
    assert [row[0] for row in keys.rows] == ["workspace", "repository", "id"]


def test_information_schema_describes_tables_columns_and_keys(session: SqlSession) -> None:
    with api_requests() as recording:
        (tables,) = session.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_name IN ('pull_requests', 'repositories') ORDER BY 2"
        )
        (cols,) = session.execute(
            "SELECT column_name, data_type, is_nullable, udt_name FROM information_schema.columns "
            "WHERE table_schema = 'acme' AND table_name = 'pull_requests' ORDER BY ordinal_position LIMIT 3"
        )
        (keys,) = session.execute(
            "SELECT kcu.column_name, kcu.ordinal_position FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
            "AND kcu.table_name = tc.table_name WHERE tc.constraint_type = 'PRIMARY KEY' "
            "AND tc.table_name = 'repositories' ORDER BY 2"
        )
        (schemata,) = session.execute("SELECT schema_name FROM information_schema.schemata ORDER BY 1")
    assert recording.requests == 0
    assert tables.rows == [("acme", "pull_requests", "BASE TABLE"), ("acme", "repositories", "BASE TABLE")]
    assert cols.rows == [("workspace", "text", "NO", "text"), ("repository", "text", "NO", "text"),
                         ("id", "bigint", "NO", "int8")]
    assert [row[0] for row in keys.rows] == ["workspace", "slug"]
    assert [row[0] for row in schemata.rows] == ["acme", "information_schema", "pg_catalog", "public"]


def test_functions_tools_call(session: SqlSession) -> None:
    with api_requests() as recording:
        (result,) = session.execute(
            "SELECT version(), current_schema(), current_database(), current_user, session_user, "
            "pg_catalog.format_type(1700, 655366), pg_catalog.pg_encoding_to_char(6), "
            "has_table_privilege('acme.pull_requests', 'SELECT'), has_table_privilege('demo', 'pull_requests', 'INSERT'), "
            "has_schema_privilege('acme', 'USAGE'), quote_ident('Foo'), quote_ident('foo'), "
            "pg_catalog.obj_description('pull_requests'::regclass, 'pg_class'), "
            "shobj_description(1, 'pg_database'), array_lower(ARRAY[1,2,3], 1), array_upper(ARRAY[1,2,3], 1), "
            "pg_get_userbyid(10), 'pull_requests'::regclass::oid > 16384, to_regtype('int8')::oid, "
            "20::regtype::text, pg_table_is_visible('pull_requests'::regclass)"
        )
    assert recording.requests == 0
    row = result.rows[0]
    assert row[0].startswith("PostgreSQL 16.4")
    assert row[1:5] == ("acme", "demo", "demo", "demo")
    assert row[5:7] == ("numeric(10,2)", "UTF8")
    assert row[7:10] == (True, False, True)
    assert row[10:12] == ('"Foo"', "foo")
    assert row[12].startswith("Pull requests")
    assert row[13:17] == (None, 1, 3, "demo")
    assert row[17:] == (True, 20, "bigint", True)
    assert [f.name for f in result.fields or []][:5] == [
        "version", "current_schema", "current_database", "current_user", "session_user",
    ]


def test_set_config_and_current_setting_share_the_sessions_settings(session: SqlSession) -> None:
    (changed,) = session.execute("SELECT set_config('application_name', 'dbeaver', false)")
    assert changed.rows == [("dbeaver",)]
    (shown,) = session.execute("SHOW application_name")
    assert shown.rows == [("dbeaver",)]
    session.execute("SET extra_float_digits = 3")
    (setting,) = session.execute("SELECT current_setting('extra_float_digits'), setting FROM pg_settings "
                                 "WHERE name = 'extra_float_digits'")
    assert setting.rows == [("3", "3")]


def test_pg_type_has_postgres_oids(session: SqlSession) -> None:
    (result,) = session.execute(
        "SELECT oid, typname, typlen, typarray FROM pg_type WHERE typname IN ('int8', 'text', 'timestamptz', 'json', "
        "'bool', 'numeric') ORDER BY oid"
    )
    assert result.rows == [(16, "bool", 1, 1000), (20, "int8", 8, 1016), (25, "text", -1, 1009),
                           (114, "json", -1, 199), (1184, "timestamptz", 8, 1185), (1700, "numeric", -1, 1231)]


def test_unknown_catalog_relations_and_functions_are_errors(session: SqlSession) -> None:
    with pytest.raises(PgError) as relation:
        session.execute("SELECT * FROM pg_catalog.pg_no_such_thing")
    assert relation.value.sqlstate == "42P01"
    with pytest.raises(PgError) as column:
        session.execute("SELECT no_such_column FROM pg_catalog.pg_class")
    assert column.value.sqlstate == "42703"


def test_search_path_chooses_the_visible_schema(make_session: Callable[..., SqlSession]) -> None:
    session = make_session()
    session.execute("SET search_path TO other, acme")
    (schema,) = session.execute("SELECT current_schema(), current_schemas(false)")
    assert schema.rows == [("other", ["other", "acme"])]
    (visible,) = session.execute(
        "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = 'pull_requests' AND pg_table_is_visible(c.oid)"
    )
    assert visible.rows == [("other",)]


# --- the shapes of catalog queries BI tools send through these drivers -----------------------------


def test_type_loading_joins_pg_type_with_its_receive_functions(session: SqlSession) -> None:
    """Npgsql (Power BI, Excel) tells arrays from base types by their receive function ``array_recv``."""
    (result,) = session.execute(
        "SELECT ns.nspname, typ.oid, typ.typname, "
        "CASE WHEN proc.proname = 'array_recv' THEN 'a' ELSE typ.typtype END AS typtype, "
        "CASE WHEN proc.proname = 'array_recv' THEN typ.typelem END AS elemtypoid "
        "FROM pg_type AS typ JOIN pg_namespace AS ns ON ns.oid = typ.typnamespace "
        "LEFT JOIN pg_class AS cls ON cls.oid = typ.typrelid "
        "LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive "
        "LEFT JOIN pg_range ON pg_range.rngtypid = typ.oid "
        "WHERE typ.typtype IN ('b', 'r', 'm', 'e', 'd') OR (typ.typtype = 'p' AND typ.typname IN ('record', 'void')) "
        "ORDER BY typ.oid"
    )
    rows = {row[2]: row for row in result.rows}
    assert rows["int8"] == ("pg_catalog", 20, "int8", "b", None)
    assert rows["_int8"] == ("pg_catalog", 1016, "_int8", "a", 20)
    assert rows["timestamptz"][1] == 1184 and rows["json"][1] == 114
    assert [f.type.name for f in result.fields or []] == ["name", "oid", "name", "char", "int8"]


def test_schema_listing_with_current_schemas_subscript(session: SqlSession) -> None:
    """pgJDBC's getSchemas (DBeaver, Tableau, Metabase) indexes current_schemas(true)."""
    (result,) = session.execute(
        "SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace "
        "WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_' OR nspname = (pg_catalog.current_schemas(true))[1]) "
        "ORDER BY TABLE_SCHEM"
    )
    assert [f.name for f in result.fields or []] == ["table_schem", "table_catalog"]
    assert [row[0] for row in result.rows] == ["acme", "information_schema", "pg_catalog", "public"]


def test_editor_queries_keywords_star_columns_and_settings(session: SqlSession) -> None:
    """DBeaver-style: keywords for highlighting, ``oid, *`` listings, pg_settings look-ups."""
    (keywords,) = session.execute(
        "SELECT string_agg(word, ',') FROM pg_catalog.pg_get_keywords() WHERE word <> ALL ('{a,abs,select}'::text[])"
    )
    assert "from" in keywords.rows[0][0].split(",") and "select" not in keywords.rows[0][0].split(",")
    assert [f.name for f in keywords.fields or []] == ["string_agg"]
    (namespaces,) = session.execute(
        "SELECT n.oid, n.*, d.description FROM pg_catalog.pg_namespace n LEFT OUTER JOIN pg_catalog.pg_description d "
        "ON d.objoid = n.oid AND d.objsubid = 0 AND d.classoid = 'pg_namespace'::regclass ORDER BY nspname"
    )
    assert [f.name for f in namespaces.fields or []][:3] == ["oid", "oid", "nspname"]
    (setting,) = session.execute("SELECT setting FROM pg_catalog.pg_settings WHERE name = 'standard_conforming_strings'")
    assert setting.rows == [("on",)]


def test_search_path_expansion_in_from(session: SqlSession) -> None:
    """Grafana-style: a scalar function in FROM is one row, as in PostgreSQL."""
    (result,) = session.execute(
        "SELECT quote_ident(table_name) AS \"table\" FROM information_schema.tables "
        "WHERE quote_ident(table_schema) IN (SELECT CASE WHEN trim(s[i]) = '\"$user\"' THEN user ELSE trim(s[i]) END "
        "FROM generate_series(array_lower(string_to_array(current_setting('search_path'), ','), 1), "
        "array_upper(string_to_array(current_setting('search_path'), ','), 1)) AS i, "
        "string_to_array(current_setting('search_path'), ',') AS s) AND table_name IN ('repositories', 'commits') "
        "ORDER BY 1"
    )
    assert result.rows == [("commits",), ("repositories",)]


def test_array_detection_through_regproc(session: SqlSession) -> None:
    """pgJDBC asks whether a type is an array by comparing typinput with 'array_in'::regproc."""
    (result,) = session.execute(
        "SELECT typinput = 'pg_catalog.array_in'::regproc AS is_array, typtype, typname, pg_type.oid "
        "FROM pg_catalog.pg_type LEFT JOIN (SELECT ns.oid AS nspoid, ns.nspname, r.r FROM pg_namespace AS ns "
        "JOIN (SELECT s.r, (current_schemas(false))[s.r] AS nspname "
        "FROM generate_series(1, array_upper(current_schemas(false), 1)) AS s(r)) AS r USING (nspname)) AS sp "
        "ON sp.nspoid = typnamespace WHERE pg_type.oid IN (1009, 20) ORDER BY sp.r, pg_type.oid DESC"
    )
    assert result.rows == [(True, "b", "_text", 1009), (False, "b", "int8", 20)]
    (names,) = session.execute("SELECT typinput::regproc::text, typsend::regproc::text FROM pg_type WHERE oid = 20")
    assert names.rows == [("int8in", "int8send")]


def test_table_browser_queries_with_star_columns_and_statistics(session: SqlSession) -> None:
    """DBeaver-style listings (``c.oid, c.*`` per schema OID) and Metabase-style row estimates."""
    namespace = session.execute("SELECT oid FROM pg_namespace WHERE nspname = 'acme'")[0].rows[0][0]
    sql = ("SELECT c.oid, c.*, d.description FROM pg_catalog.pg_class c LEFT OUTER JOIN pg_catalog.pg_description d "
           "ON d.objoid = c.oid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass "
           "WHERE c.relnamespace = $1 AND c.relkind NOT IN ('i', 'I', 'c') ORDER BY c.relname")
    prepared = session.prepare(sql, [])
    assert prepared.param_types[0].name == "int8"
    tables = session.execute_prepared(sql, [str(namespace)], prepared.param_types)
    names = [f.name for f in tables.fields or []]
    assert names[:3] == ["oid", "oid", "relname"] and names[-1] == "description"
    assert "pull_requests" in [row[2] for row in tables.rows]
    (estimates,) = session.execute(
        'SELECT "n"."nspname" AS "schema", "c"."relname" AS "name", "stat"."n_live_tup" AS "estimated_row_count" '
        'FROM "pg_catalog"."pg_class" AS "c" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = '
        '"n"."oid" LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND '
        '("c"."relname" = "stat"."relname") WHERE "n"."nspname" IN (\'acme\') AND c.relkind IN (\'r\', \'p\') '
        "AND pg_catalog.has_table_privilege(current_user, \"c\".\"oid\", 'SELECT') AND \"c\".\"relname\" = 'commits'"
    )
    assert estimates.rows == [("acme", "commits", 0)]


def test_a_database_without_workspace_shows_public_until_search_path_names_one(
    make_session: Callable[..., SqlSession]
) -> None:
    session = make_session(Workspace=None)
    with api_requests() as recording:
        (schemas,) = session.execute("SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_' ORDER BY 1")
        (current,) = session.execute("SELECT current_schema()")
        (tables,) = session.execute("SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog')")
        session.execute("SET search_path TO acme")
        (visible,) = session.execute(
            "SELECT count(*) FROM pg_class c WHERE c.relkind = 'r' AND pg_table_is_visible(c.oid) "
            "AND c.relname = 'pull_requests'"
        )
    assert recording.requests == 0
    assert [row[0] for row in schemas.rows] == ["information_schema", "public"]
    assert current.rows == [("public",)] and tables.rows == [(0,)]
    assert visible.rows == [(1,)]
    (rows,) = session.execute("SELECT count(*) FROM pull_requests WHERE repository = 'api'")
    assert rows.rows[0][0] > 0  # unqualified names now read the search path's workspace


def test_the_catalog_describes_itself(session: SqlSession) -> None:
    """Editors complete column names of pg_catalog relations from pg_attribute too."""
    (columns,) = session.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "WHERE a.attrelid = 'pg_catalog.pg_class'::regclass AND a.attnum BETWEEN 1 AND 3 ORDER BY a.attnum"
    )
    assert columns.rows == [("oid", "oid"), ("relname", "name"), ("relnamespace", "oid")]
    (kinds,) = session.execute("SELECT relname, relkind FROM pg_class WHERE relname IN ('pg_tables', 'pg_type') "
                               "ORDER BY 1")
    assert kinds.rows == [("pg_tables", "v"), ("pg_type", "r")]
