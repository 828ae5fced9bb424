"""python-tds (pytds) and pymssql, as applications use them: queries, parameters, types, a wrong
password and a syntax error; rows equal the DB-API's for the same SQL."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pytest
from pg_server_helpers import repository_with_pull_requests, require_module
from tds_helpers import PASSWORD, REFERENCE_TSQL, RunningTds, dbapi_rows, tds_normalized


def _pytds(server: RunningTds, password: str = PASSWORD, database: str = "acme") -> Any:
    pytds = require_module("pytds", "python-tds")
    require_module("OpenSSL", "pyOpenSSL")  # pytds encrypts through pyOpenSSL
    return pytds.connect(dsn=server.host, port=server.port, database=database, user="reader",
                         password=password, cafile=str(server.cert), validate_host=False, login_timeout=15,
                         timeout=60, autocommit=True)


def _pymssql(server: RunningTds, password: str = PASSWORD) -> Any:
    pymssql = require_module("pymssql", "pymssql")
    return pymssql.connect(server=server.host, port=str(server.port), database="acme", user="reader",
                           password=password, login_timeout=15, timeout=60, encryption="require")


def test_pytds_parameterised_query_equals_the_dbapi(tds_server: RunningTds, emulator: Any) -> None:
    repo = repository_with_pull_requests(emulator)
    with _pytds(tds_server) as connection, connection.cursor() as cursor:
        cursor.execute(REFERENCE_TSQL.format(repo="%s"), (repo,))
        rows = [tds_normalized(row) for row in cursor.fetchall()]
        names = [column[0] for column in cursor.description]
    assert rows == dbapi_rows(emulator, repo)
    assert names == ["id", "title", "draft", "comment_count", "created_on", "reviewers"]
    assert tds_server.events("connect")[-1]["tls"] == "on"


def test_pytds_types_round_trip(tds_server: RunningTds) -> None:
    when = dt.datetime(2024, 2, 29, 13, 14, 15, 123456)
    with _pytds(tds_server) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s AS i, %s AS big, %s AS f, %s AS d, %s AS s, %s AS b, %s AS t, %s AS n, "
            "CAST(12.345 AS decimal(10,3)) AS dec, CAST('2024-01-02' AS date) AS day",
            (7, 2**40, 1.25, decimal.Decimal("-3.50"), "naïve ✓", True, when, None))
        row = cursor.fetchone()
    assert row == (7, 2**40, 1.25, decimal.Decimal("-3.50"), "naïve ✓", True, when, None,
                   decimal.Decimal("12.345"), dt.date(2024, 1, 2))


def test_pytds_errors_keep_the_connection(tds_server: RunningTds) -> None:
    pytds = require_module("pytds", "python-tds")
    with pytest.raises(pytds.OperationalError, match="Login failed for user 'reader'"):
        _pytds(tds_server, password="not-the-password")
    with _pytds(tds_server) as connection, connection.cursor() as cursor:
        with pytest.raises(pytds.ProgrammingError, match="Incorrect syntax"):
            cursor.execute("SELEC name FROM repositories")
        with pytest.raises(pytds.ProgrammingError, match="no_such_table"):
            cursor.execute("SELECT * FROM no_such_table")
        cursor.execute("SELECT COUNT(*) FROM repositories")
        assert cursor.fetchone()[0] > 0
    assert "not-the-password" not in " ".join(tds_server.access.lines)


def test_pytds_metadata_and_system_functions(tds_server: RunningTds) -> None:
    with _pytds(tds_server) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT @@VERSION, DB_NAME(), SCHEMA_NAME(), SERVERPROPERTY('ProductVersion')")
        version, database, schema, product = cursor.fetchone()
        assert version.startswith("Microsoft SQL Server") and database == "acme" and schema == "acme"
        assert product.startswith("15.")
        cursor.execute("SELECT c.name, t.name FROM sys.columns c JOIN sys.types t ON t.user_type_id = c.user_type_id "
                       "JOIN sys.tables tb ON tb.object_id = c.object_id WHERE tb.name = %s ORDER BY c.column_id",
                       ("repositories",))
        columns = dict(cursor.fetchall())
        assert columns["slug"] == "nvarchar" and columns["size"] == "bigint"
        cursor.execute("SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_NAME = 'commits'")
        assert cursor.fetchall() == [("acme", "commits")]
        cursor.execute("EXEC sp_pkeys @table_name = N'repositories'")
        assert [row[3] for row in cursor.fetchall()] == ["workspace", "slug"]
        cursor.execute("SELECT OBJECT_ID('dbo.repositories'), OBJECT_ID('nothing')")
        object_id, missing = cursor.fetchone()
        cursor.execute("SELECT name FROM sys.objects WHERE object_id = %s", (object_id,))
        assert cursor.fetchall() == [("repositories",)] and missing is None
        cursor.execute("EXEC sp_describe_first_result_set N'SELECT slug, size, created_on FROM repositories "
                       "WHERE size > @min', N'@min bigint'")
        described = [(row[2], row[5]) for row in cursor.fetchall()]
        assert described == [("slug", "nvarchar(4000)"), ("size", "bigint"), ("created_on", "datetime2")]
        cursor.execute("EXEC sp_describe_undeclared_parameters N'SELECT slug FROM repositories WHERE size > @min "
                       "AND slug = @slug AND created_on < @before'")
        assert [(row[1], row[3]) for row in cursor.fetchall()] == \
            [("@min", "bigint"), ("@slug", "nvarchar(4000)"), ("@before", "datetime2")]
        cursor.execute("SELECT name FROM sys.databases ORDER BY name")
        assert cursor.fetchall() == [("acme",)]  # reader has a grant on acme only
        cursor.execute("SELECT OBJECT_SCHEMA_NAME(t.object_id), OBJECT_NAME(t.object_id), "
                       "OBJECTPROPERTY(t.object_id, 'IsUserTable'), SCHEMA_NAME(t.schema_id), ep.value "
                       "FROM sys.tables t JOIN sys.extended_properties ep ON ep.major_id = t.object_id "
                       "AND ep.minor_id = 0 AND ep.name = 'MS_Description' WHERE t.name = 'repositories'")
        schema, table, user_table, schema_again, description = cursor.fetchone()
        assert (schema, table, user_table, schema_again) == ("acme", "repositories", 1, "acme") and description
        cursor.execute("SELECT c.name FROM sys.index_columns ic JOIN sys.indexes i ON i.object_id = ic.object_id "
                       "AND i.index_id = ic.index_id JOIN sys.columns c ON c.object_id = ic.object_id AND "
                       "c.column_id = ic.column_id WHERE i.is_primary_key = 1 AND ic.object_id = "
                       "OBJECT_ID('acme.repositories') ORDER BY ic.key_ordinal")
        assert cursor.fetchall() == [("workspace",), ("slug",)]
        cursor.execute("SELECT SUM(size) AS total, COUNT_BIG(*) AS n FROM repositories")
        total, count = cursor.fetchone()
        assert type(total) is int and count > 0  # SUM(bigint) is a bigint, as in SQL Server
    statements = tds_server.events("statement")
    assert all(record["requests"] == 0 for record in statements if "sys." in record["statement"])


def test_pymssql_parameterised_query_equals_the_dbapi(tds_server: RunningTds, emulator: Any) -> None:
    repo = repository_with_pull_requests(emulator)
    with _pymssql(tds_server) as connection:
        cursor = connection.cursor()
        cursor.execute(REFERENCE_TSQL.format(repo="%s"), (repo,))
        rows = [tds_normalized(row) for row in cursor.fetchall()]
    assert rows == dbapi_rows(emulator, repo)


def test_pymssql_types_wrong_password_and_syntax_error(tds_server: RunningTds) -> None:
    pymssql = require_module("pymssql", "pymssql")
    with pytest.raises(pymssql.OperationalError, match="Login failed"):
        _pymssql(tds_server, password="not-the-password")
    with _pymssql(tds_server) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT %d AS i, %s AS s, CAST(1 AS bit) AS b, CAST(2.5 AS float) AS f, "
                       "CAST(12.5 AS decimal(5,2)) AS d", (42, "x'y"))
        assert cursor.fetchone() == (42, "x'y", True, 2.5, decimal.Decimal("12.50"))
        with pytest.raises(pymssql.ProgrammingError) as failure:
            cursor.execute("SELECT FROM WHERE")
        assert failure.value.args[0] == 102
        cursor.execute("SELECT TOP 1 slug FROM [acme].[acme].[repositories] ORDER BY slug")
        assert isinstance(cursor.fetchone()[0], str)
        cursor.callproc("sp_pkeys", ("pull_requests",))  # an RPC by procedure name
        assert [row[3] for row in cursor.fetchall()] == ["workspace", "repository", "id"]


def test_pytds_batches_with_variables_if_and_print(tds_server: RunningTds) -> None:
    with _pytds(tds_server) as connection, connection.cursor() as cursor:
        cursor.execute(
            "DECLARE @n bigint = (SELECT COUNT(*) FROM repositories), @label nvarchar(20);\n"
            "SET @label = N'repos: ' + CAST(@n AS nvarchar(10));\n"
            "IF @n > 0 SELECT @label AS label, @n AS n ELSE SELECT 'none' AS label\n"
            "PRINT N'done'")
        label, count = cursor.fetchone()
        assert count > 0 and label == f"repos: {count}"
        cursor.execute("DECLARE @who nvarchar(20) = USER_NAME() PRINT N'hello ' + @who")
        assert any("hello reader" in str(message) for _kind, message in cursor.messages)
        with pytest.raises(Exception, match="@undeclared"):
            cursor.execute("SET @undeclared = 1")



def test_the_queries_azure_data_studio_sends_when_it_connects(tds_server: RunningTds) -> None:
    """Azure Data Studio's and SSMS's first batch: a sysname variable, SERVERPROPERTY(N'...')."""
    with _pytds(tds_server) as connection, connection.cursor() as cursor:
        cursor.execute(
            "DECLARE @edition sysname; SET @edition = cast(SERVERPROPERTY(N'EDITION') as sysname); "
            "SELECT case when @edition = N'SQL Azure' then 2 else 1 end as 'DatabaseEngineType', "
            "SERVERPROPERTY('EngineEdition') AS DatabaseEngineEdition, SERVERPROPERTY('ProductVersion') AS "
            "ProductVersion, @@MICROSOFTVERSION AS MicrosoftVersion;")
        engine_type, edition, version, microsoft = cursor.fetchone()
        assert (engine_type, edition) == (1, 2) and version.startswith("15.") and microsoft >> 24 == 15
        cursor.execute("SELECT is_read_only FROM sys.databases WHERE name = DB_NAME()")
        assert cursor.fetchone() == (False,)


def test_the_metadata_queries_power_bi_sends_for_its_navigator(tds_server: RunningTds) -> None:
    """Power Query's SQL Server connector lists tables with their descriptions, then columns with
    COLUMNPROPERTY(..., 'IsIdentity') over QUOTENAME'd names: answered locally, no Bitbucket request."""
    with _pytds(tds_server) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select t.[TABLE_CATALOG], t.[TABLE_SCHEMA], t.[TABLE_NAME], t.[TABLE_TYPE], tv.create_date "
            "[CREATED_DATE], cast(e.value as nvarchar(max)) [DESCRIPTION] from [INFORMATION_SCHEMA].[TABLES] t "
            "join sys.schemas s on s.name = t.[TABLE_SCHEMA] join sys.objects tv on tv.name = t.[TABLE_NAME] "
            "and tv.schema_id = s.schema_id and tv.parent_object_id = 0 left outer join sys.extended_properties e "
            "on tv.object_id = e.major_id and e.minor_id = 0 and e.class = 1 and e.name = 'MS_Description'")
        tables = {row[2]: row for row in cursor.fetchall()}
        assert tables["repositories"][1] == "acme" and tables["repositories"][5]  # with its description
        cursor.execute(
            "select c.COLUMN_NAME, c.DATA_TYPE, COLUMNPROPERTY(OBJECT_ID(quotename(c.TABLE_SCHEMA) + '.' + "
            "quotename(c.TABLE_NAME)), c.COLUMN_NAME, 'IsIdentity') as IS_IDENTITY from INFORMATION_SCHEMA.COLUMNS c "
            "where c.TABLE_NAME = N'repositories' order by c.ORDINAL_POSITION")
        columns = cursor.fetchall()
        assert ("slug", "nvarchar", 0) in columns and all(row[2] == 0 for row in columns)
    statements = [record for record in tds_server.events("statement") if "COLUMNPROPERTY" in record["statement"]]
    assert statements and statements[-1]["requests"] == 0
