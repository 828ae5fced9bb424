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
    ("USE nowhere", 911),
    ("SELECT * FROM nowhere.dbo.repositories", 911),
])
def test_failures_carry_sql_server_error_numbers(session: TdsSession, sql: str, number: int) -> None:
    with pytest.raises(TdsError) as failure:
        session.batch(sql)
    assert failure.value.number == number, failure.value.message
