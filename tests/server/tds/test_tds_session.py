"""The SQL side of a TDS connection without the wire: prepared handles, their limit, errors' numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from _helpers_connect import connection_string_for
from bitbucket_sql.api.settings import parse_connection_string
from bitbucket_sql.engine import Engine
from bitbucket_sql.server.tds import rpc
from bitbucket_sql.server.tds.session import Result, ReturnValue, TdsError, TdsSession


@pytest.fixture
def session(emulator: Any) -> Iterator[TdsSession]:
    engine = Engine(parse_connection_string(connection_string_for(emulator)))
    tds = TdsSession(database="acme", user="reader", engine=engine, close_engine=engine.close, can_write=False,
                     spid=51, max_prepared=2)
    yield tds
    tds.close()


def _text(value: str) -> rpc.Param:
    return rpc.Param("", value, rpc.ParamType(0))


def test_prepared_handles_run_with_their_parameters_and_are_limited(session: TdsSession) -> None:
    events, status = session.call(rpc.Call("sp_prepare", [rpc.Param("@handle", None, rpc.ParamType(0), True),
                                                          _text("@size bigint"),
                                                          _text("SELECT COUNT(*) AS n FROM repositories "
                                                                "WHERE size > @size")]))
    handle = next(event.value for event in events if isinstance(event, ReturnValue))
    assert status == 0
    run, _ = session.call(rpc.Call("sp_execute", [rpc.Param("", handle, rpc.ParamType(0)),
                                                  rpc.Param("@size", 0, rpc.ParamType(0))]))
    result = next(event for event in run if isinstance(event, Result))
    assert result.names == ["n"] and result.rows[0][0] > 0
    session.call(rpc.Call("sp_prepare", [rpc.Param("@handle", None, rpc.ParamType(0), True), _text(""),
                                         _text("SELECT 1")]))
    with pytest.raises(TdsError) as failure:
        session.call(rpc.Call("sp_prepare", [rpc.Param("@handle", None, rpc.ParamType(0), True), _text(""),
                                             _text("SELECT 2")]))
    assert failure.value.number == 8645 and "max_prepared_statements" in failure.value.message
    session.call(rpc.Call("sp_unprepare", [rpc.Param("", handle, rpc.ParamType(0))]))
    with pytest.raises(TdsError) as missing:
        session.call(rpc.Call("sp_execute", [rpc.Param("", handle, rpc.ParamType(0))]))
    assert missing.value.number == 8179


@pytest.mark.parametrize(("sql", "number"), [
    ("SELECT * FROM no_such_table", 208),
    ("SELECT no_such_column FROM repositories", 207),
    ("SELEC 1", 102),
    ("SELECT @undeclared", 137),
    ("UPDATE repositories SET description = 'x' WHERE slug = 'api'", 229),
    ("EXEC sp_no_such_procedure", 2812),
    ("CREATE TABLE #Tableau_1_Filter (x nvarchar(100))", 40517),
    ("SELECT slug INTO #scratch FROM repositories", 40517),
    ("USE nowhere", 911),
    ("SELECT * FROM nowhere.dbo.repositories", 911),
])
def test_failures_carry_sql_server_error_numbers(session: TdsSession, sql: str, number: int) -> None:
    with pytest.raises(TdsError) as failure:
        session.batch(sql)
    assert failure.value.number == number, failure.value.message


def _int(value: int | None, output: bool = False, name: str = "") -> rpc.Param:
    return rpc.Param(name, value, rpc.ParamType(0), output)


ALLOW_DIRECT_READ_ONLY = 0x2001
PARAMETERIZED_KEYSET = 0x1001


def test_server_cursors_run_directly_with_their_parameters(session: TdsSession) -> None:
    """sp_cursoropen (parameterised, as FreeTDS sends it) and the prepared forms Microsoft's drivers
    use: the rows come at once, with INFO 16954, cursor handle 0 and an unknown row count."""
    sql = "SELECT COUNT(*) AS n FROM repositories WHERE size > @P1"
    events, _ = session.call(rpc.Call("sp_cursoropen", [
        _int(None, True), _text(sql), _int(PARAMETERIZED_KEYSET, True), _int(ALLOW_DIRECT_READ_ONLY, True),
        _int(0, True), _text("@P1 bigint"), _int(0, name="@P1")]))
    result = next(event for event in events if isinstance(event, Result))
    assert result.names == ["n"] and result.rows[0][0] > 0
    assert result.message_number == 16954 and result.messages[0] == "Executing SQL directly; no cursor."
    outputs = {event.ordinal: event.value for event in events if isinstance(event, ReturnValue)}
    assert outputs == {0: 0, 2: PARAMETERIZED_KEYSET, 3: ALLOW_DIRECT_READ_ONLY, 4: -1}

    prepexec, _ = session.call(rpc.Call("sp_cursorprepexec", [
        _int(None, True), _int(None, True), _text("@P1 bigint"), _text(sql), _int(1, True),
        _int(ALLOW_DIRECT_READ_ONLY, True), _int(0, True), _int(0, name="@P1")]))
    handle = next(event.value for event in prepexec if isinstance(event, ReturnValue) and event.ordinal == 0)
    assert next(event for event in prepexec if isinstance(event, Result)).rows == result.rows
    again, _ = session.call(rpc.Call("sp_cursorexecute", [
        _int(handle), _int(None, True), _int(1, True), _int(ALLOW_DIRECT_READ_ONLY, True), _int(0, True),
        _int(0, name="@P1")]))
    assert next(event for event in again if isinstance(event, Result)).rows == result.rows
    for procedure in ("sp_cursorfetch", "sp_cursoroption", "sp_cursorclose"):
        assert session.call(rpc.Call(procedure, [_int(0), _int(2)]))[0] == []  # handle 0: nothing to do
    session.call(rpc.Call("sp_cursorunprepare", [_int(handle)]))
    with pytest.raises(TdsError) as gone:
        session.call(rpc.Call("sp_cursorexecute", [_int(handle), _int(None, True)]))
    assert gone.value.number == 8179


def test_a_cursor_that_forbids_direct_execution_is_refused_by_name(session: TdsSession) -> None:
    with pytest.raises(TdsError) as refused:
        session.call(rpc.Call("sp_cursoropen", [_int(None, True), _text("SELECT 1"), _int(1, True), _int(1, True),
                                                _int(0, True)]))
    assert refused.value.number == 16937 and "CCOPT_ALLOW_DIRECT" in refused.value.message
    with pytest.raises(TdsError) as unknown:
        session.call(rpc.Call("sp_cursorfetch", [_int(7), _int(2), _int(0), _int(10)]))
    assert unknown.value.number == 16945
