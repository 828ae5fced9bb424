"""The TDS modules one by one: packets, encryption choice, LOGIN7, types, T-SQL reading, LIKE patterns."""

from __future__ import annotations

import datetime as dt
import decimal
import struct

import pytest

from bitbucket_sql.server.tds import datatypes, login7, packets, prelogin, rpc, tsql
from bitbucket_sql.server.tds.datatypes import ColumnType, Reader
from bitbucket_sql.server.tds.metadata import _like


def test_messages_split_into_packets_of_the_negotiated_size() -> None:
    payload = bytes(range(256)) * 10
    chunks = list(packets.split(packets.TABULAR_RESULT, payload, 512))
    assert all(len(chunk) <= 512 for chunk in chunks)
    assert [chunk[1] for chunk in chunks] == [0] * (len(chunks) - 1) + [packets.STATUS_EOM]
    assert b"".join(chunk[8:] for chunk in chunks) == payload
    assert [struct.unpack(">H", chunk[2:4])[0] for chunk in chunks] == [len(chunk) for chunk in chunks]
    assert packets.clamp_packet_size(0) == 4096 and packets.clamp_packet_size(10**6) == 32767


@pytest.mark.parametrize(("client", "require", "cleartext", "answer"), [
    (prelogin.ENCRYPT_ON, False, False, prelogin.ENCRYPT_ON),
    (prelogin.ENCRYPT_REQ, False, False, prelogin.ENCRYPT_ON),
    (prelogin.ENCRYPT_OFF, False, False, prelogin.ENCRYPT_OFF),  # TLS for LOGIN7 only
    (prelogin.ENCRYPT_OFF, True, False, prelogin.ENCRYPT_REQ),  # the operator requires TLS throughout
    (prelogin.ENCRYPT_NOT_SUP, False, False, None),  # the password would travel in clear: refused
    (prelogin.ENCRYPT_NOT_SUP, False, True, prelogin.ENCRYPT_NOT_SUP),  # allowed on loopback
    (prelogin.ENCRYPT_NOT_SUP, True, True, None),
])
def test_encryption_choice(client: int, require: bool, cleartext: bool, answer: int | None) -> None:
    assert prelogin.choose_encryption(client, require_tls=require, cleartext_allowed=cleartext) == answer


def test_prelogin_answer_parses_back() -> None:
    answer = prelogin.parse(prelogin.build(prelogin.ENCRYPT_ON))
    assert answer.encryption == prelogin.ENCRYPT_ON and not answer.mars


def test_password_obfuscation_round_trips_and_never_shows() -> None:
    assert login7.deobfuscate(login7.obfuscate("pässwörd ✓")) == "pässwörd ✓"
    secret = login7.Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert login7.negotiated_version(0x75000000) == login7.TDS_7_4
    assert login7.negotiated_version(login7.TDS_7_1) == login7.TDS_7_2


@pytest.mark.parametrize(("column", "value"), [
    (ColumnType("decimal", 10, 2), decimal.Decimal("-1234.56")),
    (ColumnType("decimal", 38, 0), decimal.Decimal(2**100)),
    (ColumnType("datetime2"), dt.datetime(2026, 12, 4, 23, 59, 59, 999999)),
    (ColumnType("date"), dt.date(1, 1, 1)),
    (ColumnType("time"), dt.time(13, 14, 15, 500)),
    (ColumnType("bigint"), -(2**63)),
    (ColumnType("float"), 1.5e300),
    (ColumnType("nvarchar"), "ünïcode ✓"),
    (ColumnType("nvarchar", max_chars=0), "x" * 10000),
    (ColumnType("varbinary"), b"\x00\xff"),
])
def test_values_round_trip_through_their_tds_encoding(column: ColumnType, value: object) -> None:
    reader = Reader(datatypes.type_info(column))
    info = datatypes.read_type_info(reader)
    assert reader.at_end
    encoded = datatypes.encode_value(column, value)
    reader = Reader(encoded)
    assert datatypes.read_value(reader, info) == value and reader.at_end
    assert datatypes.read_value(Reader(datatypes.encode_value(column, None)), info) is None


def test_long_text_widens_to_max_and_timestamps_with_a_zone_are_utc() -> None:
    short = datatypes.column_type("VARCHAR")
    assert datatypes.fit_to_values(short, ["x" * 4000]).max_chars == 4000
    assert datatypes.fit_to_values(short, ["x" * 4001]).max_chars == 0
    assert datatypes.column_type("TIMESTAMP WITH TIME ZONE").kind == "datetime2"
    zoned = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert datatypes.encode_value(ColumnType("datetime2"), zoned) == \
        datatypes.encode_value(ColumnType("datetime2"), dt.datetime(2026, 1, 1, 10))


def test_set_options_are_recognised_with_or_without_semicolons() -> None:
    statements = tsql.split_batch("set textsize 2147483647\nset quoted_identifier on\nSET TRANSACTION ISOLATION "
                                  "LEVEL READ COMMITTED;SET NOCOUNT ON; SELECT 1 AS one")
    options = [(item.name, item.value) for item in statements if isinstance(item, tsql.SetOption)]
    assert options == [("textsize", "2147483647"), ("quoted_identifier", "ON"),
                       ("transaction isolation level", "READ COMMITTED"), ("nocount", "ON")]
    assert len(statements) == 5
    assert [tree.sql(dialect="tsql") for tree in tsql.split_batch("select 1 as a select (select 2) union select 3")] \
        == ["SELECT 1 AS a", "SELECT (SELECT 2) UNION SELECT 3"]  # T-SQL needs no semicolons
    with pytest.raises(tsql.TsqlError) as failure:
        tsql.split_batch("SELECT FROM WHERE (")
    assert failure.value.number == 102


def test_tables_resolve_to_the_workspace_and_the_metadata_views() -> None:
    import sqlglot

    context = tsql.Context("acme", "reader", "acme", 51)
    tree = sqlglot.parse_one("SELECT TOP 3 [name] FROM [acme].[dbo].[repositories] WHERE x = N'é'", read="tsql")
    assert tsql.resolve_tables(tree, context, {"acme"}) == "engine"
    assert tsql.to_duckdb(tsql.substitute_system(tree, context)) == \
        "SELECT \"name\" FROM \"repositories\" WHERE x = 'é' LIMIT 3"
    meta = sqlglot.parse_one("SELECT name FROM sys.tables", read="tsql")
    assert tsql.resolve_tables(meta, context, {"acme"}) == "metadata"
    assert "sys_tables" in tsql.to_duckdb(meta)
    mixed = sqlglot.parse_one("SELECT * FROM sys.tables JOIN repositories ON 1 = 1", read="tsql")
    with pytest.raises(tsql.TsqlError, match="two queries"):
        tsql.resolve_tables(mixed, context, {"acme"})
    other = sqlglot.parse_one("SELECT * FROM nowhere.dbo.repositories", read="tsql")
    with pytest.raises(tsql.TsqlError, match="does not exist"):
        tsql.resolve_tables(other, context, {"acme"})


def test_parameters_bind_by_name_and_system_values_substitute() -> None:
    import sqlglot

    tree = sqlglot.parse_one("SELECT @P1 AS a, @name AS b, @@SPID AS c, DB_NAME() AS d", read="tsql")
    bound = tsql.substitute_system(tsql.bind(tree, {"p1": 1.5, "name": "x"}), tsql.Context("acme", "u", "acme", 77))
    assert tsql.to_duckdb(bound) == "SELECT CAST(1.5 AS DOUBLE) AS a, 'x' AS b, 77 AS c, 'acme' AS d"
    with pytest.raises(tsql.TsqlError, match="@missing"):
        tsql.bind(sqlglot.parse_one("SELECT @missing", read="tsql"), {})
    assert tsql.declared_names("@P1 int, @Name nvarchar(4000) OUTPUT") == ["p1", "name"]


def test_rpc_parameters_by_name_or_position() -> None:
    call = rpc.Call("sp_columns", [rpc.Param("", "repositories", rpc.ParamType(0)),
                                   rpc.Param("@ODBCVer", 3, rpc.ParamType(0))])
    assert call.positional(0, "table_name") == "repositories"
    assert call.positional(4, "odbcver") == 3
    assert call.positional(1, "table_owner") is None


@pytest.mark.parametrize(("value", "pattern", "matches"), [
    ("pull_requests", "pull%", True), ("pullXrequests", "pull[_]requests", False),
    ("pull_requests", "pull\\_requests", True), ("Repositories", "repo%", True), ("x", None, True),
    ("commits", "repo%", False),
])
def test_catalog_patterns_are_sql_server_like(value: str, pattern: str | None, matches: bool) -> None:
    assert _like(value, pattern) is matches


def test_tsql_idioms_read_as_duckdb_computes_them() -> None:
    import duckdb
    import sqlglot

    def run(sql: str) -> object:
        tree = tsql.substitute_system(sqlglot.parse_one(sql, read="tsql"), tsql.Context("acme", "u", "acme", 51))
        return duckdb.sql(tsql.to_duckdb(tree)).fetchall()[0]

    month_start = "SELECT DATEADD(month, DATEDIFF(month, 0, CAST('2025-05-17 10:00' AS datetime2)), 0)"
    assert run(month_start) == (dt.datetime(2025, 5, 1),)  # Tableau's month truncation
    assert run("SELECT N'a' + CAST(1 AS nvarchar(5)) + 'b', 1 + 2, CAST(1 AS bit), CAST(2.5 AS float)") == \
        ("a1b", 3, True, 2.5)
    assert run("SELECT CASE WHEN N'Api' LIKE N'%p%' COLLATE Latin1_General_CI_AS THEN 1 END") == (1,)
    # date-time literals as reporting tools write them: SQL Server's unseparated form, ISO 8601 with T,
    # Z or seven fraction digits, CONVERT's ISO styles
    stamp = dt.datetime(2025, 1, 2, 3, 4, 5)
    assert run("SELECT CAST('20250102 03:04:05' AS datetime), CONVERT(datetime2, '2025-01-02T03:04:05', 126), "
               "CAST(N'2025-01-02T03:04:05.0000000Z' AS datetime2), CONVERT(date, '20250102', 112), "
               "CAST('20250102' AS date), CONVERT(datetime, '01/02/2025', 101)") == \
        (stamp, stamp, stamp, dt.date(2025, 1, 2), dt.date(2025, 1, 2), dt.datetime(2025, 1, 2))


def test_names_and_messages_are_cut_to_their_length_byte_whole_characters_kept() -> None:
    from bitbucket_sql.server.tds import tokens

    name = tokens.b_varchar("😀" * 200)  # 400 UTF-16 units: cut to 254 (127 whole characters)
    assert name[0] == 254 and name[1:].decode("utf-16-le") == "😀" * 127
    assert tokens.us_varchar("é" * 40000)[:2] == struct.pack("<H", 32767)
