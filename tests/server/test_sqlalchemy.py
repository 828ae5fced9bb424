"""SQLAlchemy 2 with the postgresql+psycopg dialect: the inspector over every table, and pandas.read_sql."""

from __future__ import annotations

from typing import Any

import pytest
from pg_server_helpers import (
    PASSWORD,
    REFERENCE_SQL,
    RunningServer,
    normalized,
    reference_rows,
    repository_with_pull_requests,
    require_module,
)

from bitbucket_sql.catalog.registry import all_tables

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")
require_module("psycopg", "psycopg[binary]")
pandas = require_module("pandas", "pandas")


@pytest.fixture(scope="module")
def engine(demo_server: RunningServer) -> Any:
    url = f"postgresql+psycopg://reader:{PASSWORD}@{demo_server.host}:{demo_server.port}/acme?sslmode=disable"
    engine = sqlalchemy.create_engine(url)
    yield engine
    engine.dispose()


def test_inspector_sees_every_table_with_columns_and_primary_keys(engine: Any) -> None:
    inspector = sqlalchemy.inspect(engine)
    names = set(inspector.get_table_names(schema="acme"))
    catalog = {table.name: table for table in all_tables() if not getattr(table, "removed", False)}
    workspace_tables = {name for name in catalog if name in names}
    assert {"pull_requests", "repositories", "commits"} <= workspace_tables
    for name in sorted(workspace_tables):
        columns = inspector.get_columns(name, schema="acme")
        assert [c["name"] for c in columns] == [c.name for c in catalog[name].columns], name
        key = inspector.get_pk_constraint(name, schema="acme")
        assert key["constrained_columns"] == list(catalog[name].primary_key), name
    pull_requests = {c["name"]: c["type"] for c in inspector.get_columns("pull_requests", schema="acme")}
    assert isinstance(pull_requests["id"], sqlalchemy.BigInteger)
    assert isinstance(pull_requests["draft"], sqlalchemy.Boolean)
    assert (
        isinstance(pull_requests["created_on"], sqlalchemy.DateTime) and pull_requests["created_on"].timezone
    )


def test_pandas_read_sql_equals_the_dbapi(engine: Any, emulator: Any) -> None:
    repo = repository_with_pull_requests(emulator)
    expected = reference_rows(emulator, repo)
    frame = pandas.read_sql(
        sqlalchemy.text(REFERENCE_SQL.format(repo=":repo")), engine, params={"repo": repo}
    )
    assert list(frame.columns) == ["id", "title", "draft", "comment_count", "created_on", "reviewers"]
    rows = [
        normalized(
            (
                int(r.id),
                r.title,
                bool(r.draft),
                int(r.comment_count),
                r.created_on.to_pydatetime(),
                r.reviewers,
            )
        )
        for r in frame.itertuples()
    ]
    assert rows == expected
    assert str(frame["created_on"].dtype).startswith("datetime64") and "UTC" in str(frame["created_on"].dtype)
