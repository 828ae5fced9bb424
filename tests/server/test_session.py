"""The SQL session of one client connection: statements, session commands, errors, COPY, Describe, cancel."""

from __future__ import annotations

import datetime
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sql_session_helpers import api_requests, make_session_fixture, session_fixture  # noqa: F401

import bitbucket_sql
from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.server import pgtypes
from bitbucket_sql.server.session import PgError, SqlSession, split_statements


def error_of(session: SqlSession, sql: str) -> PgError:
    with pytest.raises(PgError) as raised:
        session.execute(sql)
    return raised.value


def test_parameter_status_reports_what_clients_check(session: SqlSession) -> None:
    status = session.parameter_status()
    assert status["server_version"].startswith("16.")
    assert status["client_encoding"] == status["server_encoding"] == "UTF8"
    assert status["DateStyle"] == "ISO, MDY"
    assert status["TimeZone"] == "UTC"
    assert status["integer_datetimes"] == "on" and status["standard_conforming_strings"] == "on"
    assert status["IntervalStyle"] == "postgres" and status["is_superuser"] == "off"
    assert status["session_authorization"] == "demo"


def test_several_statements_in_one_query_string(session: SqlSession) -> None:
    results = session.execute("SET DateStyle = 'ISO';SET extra_float_digits = 2;show transaction_isolation;")
    assert [r.command_tag for r in results] == ["SET", "SET", "SHOW"]
    assert results[2].rows == [("read committed",)]
    assert [f.name for f in results[2].fields or []] == ["transaction_isolation"]


def test_splitting_never_cuts_inside_strings_or_comments() -> None:
    assert split_statements("SELECT ';' AS a; -- x; y\nSELECT 2; /* ; */ ;") == ["SELECT ';' AS a", "-- x; y\nSELECT 2"]
    assert split_statements("  ;  ") == []


def test_set_show_reset(make_session: Callable[..., SqlSession]) -> None:
    session = make_session()
    session.execute("SET application_name TO 'my report'")
    assert session.execute("SHOW application_name")[0].rows == [("my report",)]
    session.execute("SET TIME ZONE 'UTC'")
    assert session.execute("SHOW TimeZone")[0].rows == [("UTC",)]
    session.execute("RESET application_name")
    assert session.execute("SHOW application_name")[0].rows == [("",)]
    assert error_of(session, "SHOW no_such_setting").sqlstate == "42704"
    assert error_of(session, "SET server_version = '9.0'").sqlstate == "55P02"
    assert error_of(session, "SELECT set_config('server_version', '9.0', false)").sqlstate == "55P02"
    assert error_of(session, "SET client_encoding = 'LATIN1'").sqlstate == "0A000"
    everything = session.execute("SHOW ALL")[0]
    assert [f.name for f in everything.fields or []] == ["name", "setting", "description"]
    assert ("search_path", "acme, public", "") in everything.rows


def test_transactions_savepoints_and_failed_blocks(make_session: Callable[..., SqlSession]) -> None:
    session = make_session()
    assert session.execute("BEGIN")[0].command_tag == "BEGIN" and session.transaction_status == "T"
    assert session.execute('SAVEPOINT "_pg3_1"')[0].command_tag == "SAVEPOINT"
    assert error_of(session, "SELECT nope FROM pull_requests").sqlstate == "42703"
    assert session.transaction_status == "E"
    assert error_of(session, "SELECT 1").sqlstate == "25P02"
    assert session.execute("ROLLBACK TO SAVEPOINT _pg3_1")[0].command_tag == "ROLLBACK"
    assert session.transaction_status == "T"
    assert session.execute('RELEASE "_pg3_1"')[0].command_tag == "RELEASE"
    assert session.execute("COMMIT")[0].command_tag == "COMMIT" and session.transaction_status == "I"
    outside = session.execute("COMMIT")[0]
    assert outside.notices == ["there is no transaction in progress"]
    assert error_of(session, "SAVEPOINT x").sqlstate == "25P01"
    session.execute("BEGIN")
    error_of(session, "SELEC 1")
    assert session.execute("COMMIT")[0].command_tag == "ROLLBACK"  # a failed block commits nothing
    session.execute("BEGIN")
    with pytest.raises(PgError):
        session.prepare("SELECT nope FROM pull_requests", [])
    assert session.transaction_status == "E"  # a failed Parse fails the block too
    with pytest.raises(PgError) as aborted:
        session.prepare("SELECT 1", [])
    assert aborted.value.sqlstate == "25P02"
    session.execute("ROLLBACK")


def test_no_op_commands_answer_with_their_tags(session: SqlSession) -> None:
    tags = [r.command_tag for r in session.execute(
        'DISCARD ALL; DEALLOCATE "_PLAN0x1"; DEALLOCATE ALL; LISTEN x; UNLISTEN *; CLOSE ALL'
    )]
    assert tags == ["DISCARD ALL", "DEALLOCATE", "DEALLOCATE ALL", "LISTEN", "UNLISTEN", "CLOSE CURSOR"]


@pytest.mark.parametrize(
    ("sql", "sqlstate", "in_message"),
    [
        ("SELECT * FROM pull_reqests", "42P01", "pull_reqests"),
        ("SELECT titel FROM pull_requests WHERE repository = 'api'", "42703", "titel"),
        ("SELECT * FROM pull_requests WHERE", "42601", "syntax error"),
        ("SELECT * FROM issues", "0A000", "issues"),
        ("SELECT $1", "42P02", "$1"),
        ("SELECT 'abc'::integer", "22P02", "abc"),
        ("FOO BAR", "42601", "FOO"),
        ("DO $$ BEGIN END $$", "0A000", "DO"),
        ("COPY pull_requests FROM STDIN", "42501", "read-only"),
        ("INSERT INTO repositories (slug) VALUES ('x')", "42501", "read-only"),
        ("DELETE FROM pull_requests", "42501", "read-only"),
    ],
)
def test_errors_carry_postgres_sqlstates(session: SqlSession, sql: str, sqlstate: str, in_message: str) -> None:
    with api_requests() as recording:
        error = error_of(session, sql)
    assert (error.sqlstate, recording.requests) == (sqlstate, 0)
    assert in_message in error.message
    session.execute("ROLLBACK")


def test_unknown_workspace_is_an_invalid_schema(session: SqlSession) -> None:
    error = error_of(session, "SELECT * FROM nope.pull_requests WHERE repository = 'api'")
    assert error.sqlstate == "3F000" and "nope" in error.message


def test_engine_hints_travel_separately(session: SqlSession) -> None:
    error = error_of(session, "SELECT * FROM pull_reqests")
    assert error.message.startswith("Unknown table")
    assert error.hint is not None and "pull_requests" in error.hint


def test_writes_by_read_write_users_reach_the_engine(make_session: Callable[..., SqlSession]) -> None:
    session = make_session(can_write=True)
    with api_requests() as recording:
        error = error_of(session, "UPDATE pull_requests SET html_url = 'x' WHERE repository = 'api' AND id = 1")
    assert "html_url" in error.message and "read-only" in error.message  # the engine's own check, before any request
    assert recording.requests == 0
    ddl = error_of(session, "CREATE TABLE t (a int)")
    assert ddl.sqlstate == "0A000" and "no schema to change" in ddl.message


def test_results_equal_the_dbapis_with_postgres_types(session: SqlSession, emulator: Any) -> None:
    sql = ("SELECT id, title, draft, created_on, comment_count, reviewers FROM pull_requests "
           "WHERE repository = 'api' ORDER BY id")
    (result,) = session.execute(sql)
    connection = bitbucket_sql.connect(BaseURL=emulator.base_url, AuthScheme="APIToken", User="demo@example.com",
                                       APIToken="demo-api-token", Workspace="acme", CacheTTL=0)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        expected = [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()
    assert result.rows == expected and result.command_tag == f"SELECT {len(expected)}"
    assert [(f.name, f.type.oid) for f in result.fields or []] == [
        ("id", 20), ("title", 25), ("draft", 16), ("created_on", 1184), ("comment_count", 20), ("reviewers", 114),
    ]
    first = result.rows[0]
    assert isinstance(first[3], datetime.datetime) and first[3].utcoffset() == datetime.timedelta(0)
    assert isinstance(json.loads(first[5]), list)
    assert result.requests >= 1


def test_computed_columns_get_postgres_names(session: SqlSession) -> None:
    (result,) = session.execute(
        "SELECT count(*), max(id), lower(state), 1 + 1, string_agg(title, ',') FROM pull_requests "
        "WHERE repository = 'api' GROUP BY state"
    )
    assert [f.name for f in result.fields or []] == ["count", "max", "lower", "?column?", "string_agg"]
    (values,) = session.execute("VALUES (1, 'a'), (2, 'b')")
    assert [f.name for f in values.fields or []] == ["column1", "column2"] and values.rows == [(1, "a"), (2, "b")]


# --- COPY -------------------------------------------------------------------------------------


def test_copy_query_to_stdout_as_csv_with_header(session: SqlSession) -> None:
    (result,) = session.execute(
        "COPY (SELECT id, title FROM pull_requests WHERE repository = 'api' ORDER BY id LIMIT 3) "
        "TO STDOUT WITH (FORMAT csv, HEADER)"
    )
    assert result.command_tag == "COPY 3" and result.copy_out == "csv header"
    assert [f.name for f in result.fields or []] == ["id", "title"]
    assert [row[0] for row in result.rows] == [1, 2, 3]


@pytest.mark.parametrize(
    ("options", "copy_out"),
    [("", "text"), ("WITH CSV HEADER", "csv header"), ("CSV", "csv"), ("(FORMAT text)", "text"),
     ("(FORMAT csv, HEADER false)", "csv")],
)
def test_copy_formats(session: SqlSession, options: str, copy_out: str) -> None:
    (result,) = session.execute(f"COPY repositories (slug, name) TO STDOUT {options}")
    assert result.copy_out == copy_out and result.command_tag == f"COPY {len(result.rows)}"
    assert [f.name for f in result.fields or []] == ["slug", "name"]


def test_copy_options_this_server_does_not_offer(session: SqlSession) -> None:
    assert error_of(session, "COPY (SELECT 1) TO STDOUT (FORMAT binary)").sqlstate == "0A000"
    assert error_of(session, "COPY (SELECT 1) TO STDOUT (DELIMITER ';')").sqlstate == "0A000"
    assert error_of(session, "COPY (SELECT 1) TO '/tmp/file.csv'").sqlstate == "0A000"


# --- the extended protocol: Parse/Describe before execution -------------------------------------


def test_describe_before_execute_makes_no_requests(session: SqlSession) -> None:
    sql = "SELECT id, title, created_on FROM pull_requests WHERE repository = $1 AND id > $2 ORDER BY id LIMIT $3"
    with api_requests() as recording:
        prepared = session.prepare(sql, [])
    assert recording.requests == 0
    assert prepared.param_types == [pgtypes.TEXT, pgtypes.INT8, pgtypes.INT8]
    assert [(f.name, f.type.oid) for f in prepared.fields or []] == [("id", 20), ("title", 25), ("created_on", 1184)]
    result = session.execute_prepared(sql, ["api", "1", "2"], prepared.param_types)
    assert [row[0] for row in result.rows] == [2, 3]


def test_types_the_client_gives_win_over_inference(session: SqlSession) -> None:
    prepared = session.prepare("SELECT id FROM pull_requests WHERE repository = $1 AND id = $2", [1043, 0])
    assert prepared.param_types == [pgtypes.VARCHAR, pgtypes.INT8]


def test_prepared_session_commands_and_catalog_queries(session: SqlSession) -> None:
    assert session.prepare("SET x = 1", []).fields is None
    shown = session.prepare("SHOW search_path", []).fields or []
    assert [f.name for f in shown] == ["search_path"]
    assert [f.name for f in session.prepare("SHOW ALL", []).fields or []] == ["name", "setting", "description"]
    with api_requests() as recording:
        catalog = session.prepare("SELECT relname, relnatts FROM pg_class WHERE relname = $1", [])
    assert recording.requests == 0
    assert [(f.name, f.type.oid) for f in catalog.fields or []] == [("relname", 19), ("relnatts", 21)]  # name, int2
    result = session.execute_prepared("SELECT relname, relnatts FROM pg_class WHERE relname = $1", ["repositories"],
                                      catalog.param_types)
    assert result.rows[0][0] == "repositories"


def test_prepare_reports_mistakes_before_any_request(session: SqlSession) -> None:
    with api_requests() as recording, pytest.raises(PgError) as raised:
        session.prepare("SELECT nope FROM pull_requests WHERE repository = $1", [])
    assert raised.value.sqlstate == "42703" and recording.requests == 0
    with pytest.raises(PgError) as several:
        session.prepare("SELECT 1; SELECT 2", [])
    assert several.value.sqlstate == "42601"


def test_array_parameters_in_text_and_binary_form(session: SqlSession) -> None:
    sql = "SELECT repository, id FROM pull_requests WHERE repository = ANY($1) AND id = ANY($2::bigint[]) ORDER BY 1, 2"
    prepared = session.prepare(sql, [])
    assert [t.name for t in prepared.param_types] == ["_text", "_int8"]
    as_text = session.execute_prepared(sql, ['{api,"web"}', "{1,2}"], prepared.param_types)
    as_lists = session.execute_prepared(sql, [["api", "web"], [1, 2]], prepared.param_types)
    assert as_text.rows == as_lists.rows == [("api", 1), ("api", 2), ("web", 1), ("web", 2)]
    with pytest.raises(PgError) as malformed:
        session.execute_prepared(sql, ["api,web", "{1}"], prepared.param_types)
    assert malformed.value.sqlstate == "22P02"


def test_text_parameters_are_coerced_by_type(session: SqlSession) -> None:
    sql = "SELECT $1::bigint + 1, $2::boolean, $3::date, $4::timestamptz, $5::numeric"
    prepared = session.prepare(sql, [])
    result = session.execute_prepared(sql, ["41", "t", "2026-01-02", "2026-01-02 03:04:05+00", "1.50"],
                                      prepared.param_types)
    assert result.rows[0][:3] == (42, True, datetime.date(2026, 1, 2))
    assert result.rows[0][3] == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    with pytest.raises(PgError) as bad:
        session.execute_prepared(sql, ["forty", "t", "2026-01-02", "2026-01-02", "1"], prepared.param_types)
    assert bad.value.sqlstate == "22P02" and "forty" in bad.value.message


# --- limits, upstream failures, notices, cancel ----------------------------------------------------


@pytest.fixture(scope="module")
def slow_emulator() -> Iterator[Any]:
    """An emulator answering each request after 100 ms: time to cancel a query half-way."""
    with run_emulator(scale="tiny", seed=1, latency_ms=100) as handle:
        yield handle


@pytest.fixture(scope="module")
def limited_emulator() -> Iterator[Any]:
    """An emulator that allows two requests per hour, then answers 429."""
    with run_emulator(scale="tiny", seed=1, rate_limit=2) as handle:
        yield handle


def test_fanout_limit_is_53400(make_session: Callable[..., SqlSession]) -> None:
    session = make_session(MaxFanout=1)
    error = error_of(session, "SELECT count(*) FROM pull_request_comments")
    assert error.sqlstate == "53400" and "MaxFanout" in error.message + (error.hint or "")


def test_rate_limit_is_53400(make_session: Callable[..., SqlSession], limited_emulator: Any) -> None:
    session = make_session(base_url=limited_emulator.base_url, MaxRetries=0)
    with pytest.raises(PgError) as raised:
        for _ in range(4):
            session.execute("SELECT count(*) FROM pull_requests WHERE repository = 'api'")
    assert raised.value.sqlstate == "53400"


def test_unreachable_bitbucket_is_08006(make_session: Callable[..., SqlSession]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    session = make_session(base_url=f"http://127.0.0.1:{closed_port}/2.0", MaxRetries=0)
    error = error_of(session, "SELECT * FROM repositories")
    assert error.sqlstate == "08006"
    assert "demo-api-token" not in error.message + (error.hint or "")
    assert error.hint is not None and "BaseURL" in error.hint and error.hint not in error.message


def test_low_rate_limit_budget_becomes_a_notice(make_session: Callable[..., SqlSession]) -> None:
    session = make_session(RateLimitPerHour=1)
    (result,) = session.execute("SELECT count(*) FROM pull_requests WHERE repository = 'api'")
    assert any("rate-limit budget low" in notice for notice in result.notices)


def test_cancel_stops_the_query_and_its_remaining_requests(
    make_session: Callable[..., SqlSession], slow_emulator: Any
) -> None:
    sql = "SELECT count(*) FROM pull_request_comments"
    full = make_session(base_url=slow_emulator.base_url)
    with api_requests() as uncancelled:
        full.execute(sql)
    session = make_session(base_url=slow_emulator.base_url, MaxConcurrency=1)
    outcome: dict[str, Any] = {}

    def run() -> None:
        with api_requests() as recording:
            try:
                outcome["result"] = session.execute(sql)
            except PgError as error:
                outcome["error"] = error
        outcome["requests"] = recording.requests

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.5)
    session.cancel()
    worker.join(30)
    assert not worker.is_alive()
    assert outcome["error"].sqlstate == "57014"
    assert outcome["requests"] < uncancelled.requests / 2, (outcome["requests"], uncancelled.requests)
    # the next statement runs normally: a cancel only stops the statement it arrived during
    session.cancel()
    (after,) = session.execute("SELECT 1 AS one")
    assert after.rows == [(1,)]


def test_a_failing_statement_keeps_the_results_before_it(session: SqlSession) -> None:
    with pytest.raises(PgError) as raised:
        session.execute("SELECT 1 AS one; SELECT nope FROM pull_requests; SELECT 3")
    assert raised.value.sqlstate == "42703"
    assert [r.rows for r in raised.value.results] == [[(1,)]]


def test_explain_describes_and_runs_through_the_engine(session: SqlSession) -> None:
    sql = "EXPLAIN SELECT id FROM pull_requests WHERE repository = $1 LIMIT 2"
    with api_requests() as recording:
        prepared = session.prepare(sql, [])
        result = session.execute_prepared(sql, ["api"], prepared.param_types)
    assert recording.requests == 0  # EXPLAIN plans without fetching
    assert [f.name for f in prepared.fields or []] == ["plan"] and prepared.param_types == [pgtypes.TEXT]
    assert any("pull_requests" in row[0] for row in result.rows)


def test_statement_timeout_cancels_slow_queries(
    make_session: Callable[..., SqlSession], slow_emulator: Any
) -> None:
    session = make_session(base_url=slow_emulator.base_url, MaxConcurrency=1)
    session.execute("SET statement_timeout = '300ms'")
    started = time.monotonic()
    with api_requests() as recording:
        error = error_of(session, "SELECT count(*) FROM pull_request_comments")
    assert error.sqlstate == "57014" and "statement timeout" in error.message
    assert time.monotonic() - started < 5
    assert recording.requests < 10
    session.execute("SET statement_timeout = 0")
    assert session.execute("SELECT 2 AS two")[0].rows == [(2,)]


def test_startup_parameters_become_settings(make_session: Callable[..., SqlSession]) -> None:
    session = make_session()
    session.apply_startup_parameters({
        "user": "demo", "database": "demo", "application_name": "psql", "client_encoding": "UTF8",
        "DateStyle": "ISO, MDY", "options": "-c statement_timeout=5s --search_path=acme,public",
    })
    status = session.parameter_status()
    assert status["application_name"] == "psql"
    assert session.execute("SHOW statement_timeout")[0].rows == [("5s",)]
    assert session.execute("SHOW search_path")[0].rows == [("acme,public",)]
    with pytest.raises(PgError) as bad:
        session.apply_startup_parameters({"server_version": "9.6"})
    assert bad.value.sqlstate == "55P02"


def test_cancel_interrupts_a_long_local_query(make_session: Callable[..., SqlSession]) -> None:
    session = make_session()
    session.execute("SELECT 1")  # the local database exists before the race starts
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = session.execute(
                "SELECT sum(i % 7) FROM range(3000000000) AS t(i) WHERE i % 3 = 0"  # ~20 s of local work
            )
        except PgError as error:
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    time.sleep(0.3)
    session.cancel()
    worker.join(30)
    assert not worker.is_alive()
    assert outcome["error"].sqlstate == "57014"


def test_local_results_are_bounded(session: SqlSession) -> None:
    error = error_of(session, "SELECT i FROM range(2000000) AS t(i)")
    assert error.sqlstate == "54000" and "LIMIT" in (error.hint or "")
    (result,) = session.execute("SELECT count(*) FROM range(2000000) AS t(i)")
    assert result.rows == [(2_000_000,)]


def test_the_connections_query_timeout_is_57014(make_session: Callable[..., SqlSession], slow_emulator: Any) -> None:
    session = make_session(base_url=slow_emulator.base_url, MaxConcurrency=1, QueryTimeout=0.3)
    error = error_of(session, "SELECT count(*) FROM pull_request_comments")
    assert error.sqlstate == "57014" and "QueryTimeout" in error.message + (error.hint or "")
