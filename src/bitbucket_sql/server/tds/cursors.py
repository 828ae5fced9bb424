"""Server cursors (``sp_cursoropen`` and its family) as far as clients use them here: executed
directly, as SQL Server itself does when a client allows it.

Clients ask for a server cursor when an application picks a scrollable or updatable cursor:
FreeTDS's ODBC driver for any ``SQL_ATTR_CURSOR_TYPE`` other than forward-only (pyodbc through
``set_attr``, Excel/Access through ODBC, some report writers), Microsoft's JDBC driver with
``selectMethod=cursor``. Every one of them sends ``CCOPT_ALLOW_DIRECT`` (0x2000) in the
concurrency option, which lets the server answer "Executing SQL directly; no cursor." (INFO
16954), stream the whole result at once and return cursor handle 0; the client then reads the
rows as an ordinary result set. That is what this module does: the engine streams no cheaper
for a cursor (Bitbucket is read page by page anyway), and holding result sets per connection
would need limits of its own. A client that forbids direct execution (no 0x2000) gets error
16937 saying so; fetches on a real cursor handle never happen (no handle other than 0 is given).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import rpc
from .results import Event, Result, ReturnValue, TdsError

if TYPE_CHECKING:
    from .tsql import SetOption

#: sp_cursoropen's ccopt bit that lets the server execute without a cursor ([MS-TDS] 2.2.6.6)
CCOPT_ALLOW_DIRECT = 0x2000
#: scrollopt bit: the statement has parameters (@paramdef and values follow)
SCROLLOPT_PARAMETERIZED_STMT = 0x1000
#: INFO SQL Server sends when it runs a cursor's statement directly
DIRECT_INFO = (16954, "Executing SQL directly; no cursor.")


class ServerCursors:
    """The ``_proc_sp_cursor*`` handlers of :class:`~.session.TdsSession` (a mixin)."""

    if TYPE_CHECKING:  # what the session provides
        _prepared: dict[int, tuple[str, str]]

        def _run_text(self, text: str, declaration: str, values: list[rpc.Param]) -> list[Event]: ...
        def _store(self, stmt: str, declaration: str) -> int: ...
        def _statement(self, statement: SetOption | Any, params: dict[str, Any]) -> list[Event]: ...

    def _direct(self, stmt: Any, declaration: str, values: list[rpc.Param], scrollopt: Any, ccopt: Any) -> list[Event]:
        if not isinstance(stmt, str):
            raise TdsError(214, "Procedure expects parameter '@stmt' of type 'ntext/nchar/nvarchar'.")
        if not isinstance(ccopt, int) or not ccopt & CCOPT_ALLOW_DIRECT:
            raise TdsError(16937, "A server cursor is not allowed here: this server runs a cursor's statement "
                                  "directly, and the client did not allow it (CCOPT_ALLOW_DIRECT). Use a "
                                  "forward-only, read-only cursor (the default of every driver).")
        events = self._run_text(stmt, declaration, values)
        first = next((event for event in events if isinstance(event, Result)), None)
        if first is None:
            first = Result()
            events.insert(0, first)
        first.messages.insert(0, DIRECT_INFO[1])
        first.message_number = DIRECT_INFO[0]
        return events

    def _proc_sp_cursoropen(self, call: rpc.Call) -> list[Event]:
        """sp_cursoropen(@cursor OUTPUT, @stmt, @scrollopt OUTPUT, @ccopt OUTPUT, @rowcount OUTPUT
        [, @paramdef, values...])."""
        params = call.params
        if len(params) < 2:
            raise TdsError(214, "sp_cursoropen expects @cursor OUTPUT and @stmt.")
        scrollopt = params[2].value if len(params) > 2 else 0
        ccopt = params[3].value if len(params) > 3 else 0
        declaration, values = "", params[5:]
        if isinstance(scrollopt, int) and scrollopt & SCROLLOPT_PARAMETERIZED_STMT and values:
            declaration, values = str(values[0].value or ""), values[1:]
        events = self._direct(params[1].value, declaration, values, scrollopt, ccopt)
        return [*events, *_outputs(params, {0: 0, 4: -1})]

    def _proc_sp_cursorprepexec(self, call: rpc.Call) -> list[Event]:
        """sp_cursorprepexec(@prepared OUTPUT, @cursor OUTPUT, @paramdef, @stmt, @scrollopt OUTPUT,
        @ccopt OUTPUT, @rowcount OUTPUT, values...): prepared for later sp_cursorexecute, run now."""
        params = call.params
        if len(params) < 4 or not isinstance(params[3].value, str):
            raise TdsError(214, "sp_cursorprepexec expects @prepared OUTPUT, @cursor OUTPUT, @paramdef and @stmt.")
        declaration = str(params[2].value or "")
        handle = self._store(params[3].value, declaration)
        ccopt = params[5].value if len(params) > 5 else 0
        events = self._direct(params[3].value, declaration, params[7:], params[4].value if len(params) > 4 else 0,
                              ccopt)
        return [*events, *_outputs(params, {0: handle, 1: 0, 6: -1})]

    def _proc_sp_cursorprepare(self, call: rpc.Call) -> list[Event]:
        """sp_cursorprepare(@prepared OUTPUT, @paramdef, @stmt, @options, @scrollopt OUTPUT, @ccopt OUTPUT)."""
        params = call.params
        if len(params) < 3 or not isinstance(params[2].value, str):
            raise TdsError(214, "sp_cursorprepare expects @prepared OUTPUT, @paramdef and @stmt.")
        handle = self._store(params[2].value, str(params[1].value or ""))
        return _outputs(params, {0: handle})

    def _proc_sp_cursorexecute(self, call: rpc.Call) -> list[Event]:
        """sp_cursorexecute(@prepared, @cursor OUTPUT, @scrollopt OUTPUT, @ccopt OUTPUT, @rowcount OUTPUT, values...)."""
        params = call.params
        handle = params[0].value if params else None
        if handle not in self._prepared:
            raise TdsError(8179, f"Could not find prepared statement with handle {handle}.")
        stmt, declaration = self._prepared[handle]
        ccopt = params[3].value if len(params) > 3 else 0
        events = self._direct(stmt, declaration, params[5:], params[2].value if len(params) > 2 else 0, ccopt)
        return [*events, *_outputs(params, {1: 0, 4: -1})]

    def _proc_sp_cursorunprepare(self, call: rpc.Call) -> list[Event]:
        if call.params:
            self._prepared.pop(call.params[0].value, None)
        return []

    def _proc_sp_cursorclose(self, call: rpc.Call) -> list[Event]:
        _no_open_cursor(call)
        return []

    def _proc_sp_cursoroption(self, call: rpc.Call) -> list[Event]:
        _no_open_cursor(call)
        return []

    def _proc_sp_cursorfetch(self, call: rpc.Call) -> list[Event]:
        _no_open_cursor(call)
        return []

    def _proc_sp_cursor(self, call: rpc.Call) -> list[Event]:
        _no_open_cursor(call)
        return []


def _no_open_cursor(call: rpc.Call) -> None:
    """Handle 0 (a statement that ran directly) needs nothing; any other was never given out."""
    handle = call.params[0].value if call.params else None
    if handle not in (0, None):
        raise TdsError(16945, f"The cursor {handle} is not open on this connection ({call.procedure}): this "
                              "server runs cursors' statements directly and gives out no cursor handles.")


def _outputs(params: list[rpc.Param], overrides: dict[int, Any]) -> list[Event]:
    """RETURNVALUE events for every OUTPUT parameter, in order: the overridden values (cursor and
    prepared handles, row count -1 = unknown), the others as the client sent them."""
    values: list[Event] = []
    for ordinal, param in enumerate(params):
        if param.output or ordinal in overrides:
            value = overrides.get(ordinal, param.value)
            values.append(ReturnValue(ordinal, param.name, 0 if value is None else value))
    return values
