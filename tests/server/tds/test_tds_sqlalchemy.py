"""SQLAlchemy's SQL Server dialect over pymssql, as pandas users run it: connect (its version and
isolation-level probes), reflection from sys.* and INFORMATION_SCHEMA, and read_sql equal to the DB-API."""

from __future__ import annotations

from typing import Any

from pg_server_helpers import repository_with_pull_requests, require_module
from tds_helpers import PASSWORD, REFERENCE_TSQL, RunningTds, dbapi_rows, tds_normalized


def _engine(server: RunningTds) -> Any:
    sqlalchemy = require_module("sqlalchemy", "sqlalchemy")
    require_module("pymssql", "pymssql")
    return sqlalchemy.create_engine(
        f"mssql+pymssql://reader:{PASSWORD}@{server.host}:{server.port}/acme",
        connect_args={"encryption": "require", "login_timeout": 15})


def test_reflection_sees_schemas_tables_columns_comments_and_keys(tds_server: RunningTds) -> None:
    sqlalchemy = require_module("sqlalchemy", "sqlalchemy")
    engine = _engine(tds_server)
    try:
        inspector = sqlalchemy.inspect(engine)
        assert inspector.get_schema_names() == ["acme"]
        assert "pull_requests" in inspector.get_table_names(schema="acme")
        columns = {column["name"]: column for column in inspector.get_columns("pull_requests", schema="acme")}
        assert str(columns["id"]["type"]) == "BIGINT" and columns["id"]["nullable"] is False
        assert str(columns["created_on"]["type"]) == "DATETIME2"
        assert columns["title"]["comment"]  # the catalog's description, as MS_Description
        assert inspector.get_pk_constraint("pull_requests", schema="acme")["constrained_columns"] == \
            ["workspace", "repository", "id"]
    finally:
        engine.dispose()
    statements = [record["statement"] for record in tds_server.events("statement")]
    assert any("sys.columns" in text for text in statements)


def test_pandas_read_sql_equals_the_dbapi(tds_server: RunningTds, emulator: Any) -> None:
    pandas = require_module("pandas", "pandas")
    repo = repository_with_pull_requests(emulator)
    engine = _engine(tds_server)
    try:
        frame = pandas.read_sql(REFERENCE_TSQL.format(repo="%(repo)s"), engine, params={"repo": repo})
    finally:
        engine.dispose()
    rows = [tds_normalized(tuple(value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
                                 for value in row)) for row in frame.itertuples(index=False)]
    assert rows == dbapi_rows(emulator, repo)


def test_a_reflected_table_queries_with_core_limit_offset_and_in(tds_server: RunningTds) -> None:
    sqlalchemy = require_module("sqlalchemy", "sqlalchemy")
    engine = _engine(tds_server)
    try:
        table = sqlalchemy.Table("repositories", sqlalchemy.MetaData(), autoload_with=engine, schema="acme")
        with engine.connect() as connection:
            every = [row.slug for row in connection.execute(sqlalchemy.select(table.c.slug).order_by(table.c.slug))]
            page = connection.execute(sqlalchemy.select(table.c.slug).order_by(table.c.slug).limit(2).offset(1))
            assert [row.slug for row in page] == every[1:3]
            counted = connection.execute(sqlalchemy.select(sqlalchemy.func.count()).select_from(table)
                                         .where(table.c.slug.in_(every[:2]))).scalar()
            assert counted == 2
    finally:
        engine.dispose()
