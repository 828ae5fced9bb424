"""What sessions share to keep many clients cheap (catalog rows, Describe answers), and what they never share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pg_server_helpers import RunningServer, require_module
from sql_session_helpers import make_session_fixture  # noqa: F401

from bitbucket_sql.engine import Engine
from bitbucket_sql.server.pg_catalog import PgCatalog
from bitbucket_sql.server.session import SqlSession

psycopg = require_module("psycopg", "psycopg[binary]")

CATALOG_SQL = (
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace JOIN pg_catalog.pg_attribute a "
    "ON a.attrelid = c.oid WHERE n.nspname = 'acme' AND c.relkind = 'r' AND a.attnum > 0 ORDER BY 1, 2"
)


def test_a_second_session_reuses_the_catalog_rows_of_the_first(
    make_session: Callable[..., SqlSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'acme' ORDER BY 1"
    first_session = make_session()
    first = first_session.execute(CATALOG_SQL)[0].rows
    first_tables = first_session.execute(tables)[0].rows
    assert ("pull_requests", "title", "text") in first and ("pull_requests",) in first_tables

    def rebuilt(self: PgCatalog) -> Any:
        raise AssertionError("the catalog rows were built again")

    monkeypatch.setattr(PgCatalog, "_pg_rows", rebuilt)
    monkeypatch.setattr(PgCatalog, "_info_rows", rebuilt)
    second = make_session()
    assert second.execute(CATALOG_SQL)[0].rows == first
    assert second.execute(tables)[0].rows == first_tables


def test_a_second_session_reuses_the_description_of_a_prepared_query(
    make_session: Callable[..., SqlSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = "SELECT id, title, created_on FROM pull_requests WHERE repository = $1 ORDER BY id LIMIT 3"
    fields = make_session().prepare(sql, []).fields

    def described(self: Engine, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the engine described the query again")

    monkeypatch.setattr(Engine, "describe", described)
    again = make_session().prepare(sql, []).fields
    assert again == fields and [f.name for f in again or []] == ["id", "title", "created_on"]


def test_settings_stay_per_connection_while_catalog_rows_are_shared(demo_server: RunningServer) -> None:
    setting = "SELECT setting FROM pg_settings WHERE name = 'application_name'"
    with (
        psycopg.connect(demo_server.dsn(), autocommit=True, application_name="first") as first,
        psycopg.connect(demo_server.dsn(), autocommit=True, application_name="second") as second,
    ):
        assert first.execute(setting).fetchone() == ("first",)
        assert second.execute(setting).fetchone() == ("second",)
        first.execute("SET application_name = 'renamed'")
        assert first.execute(setting).fetchone() == ("renamed",)
        assert second.execute(setting).fetchone() == ("second",)
        tables = "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'acme'"
        assert sorted(first.execute(tables).fetchall()) == sorted(second.execute(tables).fetchall())
        # one connection's search_path (a workspace the other does not know) stays its own
        second.execute("SET search_path = elsewhere, public")
        schemas = "SELECT nspname FROM pg_namespace ORDER BY 1"
        assert ("elsewhere",) in second.execute(schemas).fetchall()
        assert ("elsewhere",) not in first.execute(schemas).fetchall()
        assert first.execute("SELECT current_schema()").fetchone() == ("acme",)
