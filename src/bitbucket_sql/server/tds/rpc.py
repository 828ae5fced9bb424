"""RPC requests ([MS-TDS] 2.2.6.6): one or more procedure calls with typed parameters.

Drivers send parameterised SQL as RPCs of the system procedures, by number or by name:
``sp_executesql`` (most drivers), ``sp_prepare``/``sp_execute``/``sp_unprepare`` and
``sp_prepexec`` (prepared statements), and the catalog procedures (``sp_columns``...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import datatypes
from .datatypes import ParamType, Reader
from .packets import ProtocolError

PROC_NAMES = {
    1: "sp_cursor", 2: "sp_cursoropen", 3: "sp_cursorprepare", 4: "sp_cursorexecute", 5: "sp_cursorprepexec",
    6: "sp_cursorunprepare", 7: "sp_cursorfetch", 8: "sp_cursoroption", 9: "sp_cursorclose",
    10: "sp_executesql", 11: "sp_prepare", 12: "sp_execute", 13: "sp_prepexec", 14: "sp_prepexecrpc",
    15: "sp_unprepare",
}
_SEPARATORS = (0x80, 0xFE, 0xFF)
STATUS_BY_REF = 0x01  # an OUTPUT parameter


@dataclass
class Param:
    name: str  # with its leading @, or "" when positional
    value: Any
    type: ParamType
    output: bool = False


@dataclass
class Call:
    procedure: str  # lower case, without a schema ("sp_executesql", "sp_columns")
    params: list[Param] = field(default_factory=list)
    #: the workspace a ``CALL acme.name(...)`` names (the engine then leaves ``workspace`` out of
    #: the positional arguments, as in every outlet); "" otherwise
    schema: str = ""

    def positional(self, index: int, name: str, default: Any = None, *aliases: str) -> Any:
        """The parameter called ``@name`` (or an alias), else the ``index``-th (0-based) unnamed one."""
        wanted = {"@" + alias.lower().lstrip("@") for alias in (name, *aliases)}
        for param in self.params:
            if param.name.lower() in wanted:
                return param.value
        if index < len(self.params) and param_is_positional(self.params[index]):
            return self.params[index].value
        return default


def param_is_positional(param: Param) -> bool:
    """Unnamed, or named like the statement's own parameters (``@P1``) rather than the procedure's."""
    return not param.name or param.name.lower() not in _KNOWN_NAMES


#: names drivers give the system procedures' own parameters (others are the statement's)
_KNOWN_NAMES = {"@stmt", "@statement", "@params", "@handle", "@options", "@table_name", "@table_owner",
                "@table_qualifier", "@table_type", "@column_name", "@odbcver", "@fusepattern", "@tsql",
                "@qualifier", "@col_type", "@scope", "@nullable", "@index_name", "@is_unique", "@accuracy"}


def skip_all_headers(data: bytes) -> int:
    """The offset just past ALL_HEADERS (TDS 7.2+ requests start with them)."""
    if len(data) < 4:
        raise ProtocolError("request without ALL_HEADERS")
    total = int.from_bytes(data[:4], "little")
    if total < 4 or total > len(data):
        raise ProtocolError("ALL_HEADERS length points outside the request")
    return total


def parse(data: bytes) -> list[Call]:
    reader = Reader(data, skip_all_headers(data))
    calls: list[Call] = []
    while not reader.at_end:
        length = reader.unpack("<H")
        if length == 0xFFFF:
            number = reader.unpack("<H")
            if number not in PROC_NAMES:
                raise ProtocolError(f"unknown procedure id {number}")
            name = PROC_NAMES[number]
        else:
            name = reader.take(2 * length).decode("utf-16-le", errors="replace")
            name = name.rsplit(".", 1)[-1].strip("[]").lower()
        reader.unpack("<H")  # option flags (WithRecomp, NoMetaData, ReuseMetaData)
        call = Call(name)
        while not reader.at_end:
            if reader.data[reader.position] in _SEPARATORS:
                reader.position += 1
                break
            param_name = reader.b_varchar()
            status = reader.byte()
            info = datatypes.read_type_info(reader)
            value = datatypes.read_value(reader, info)
            call.params.append(Param(param_name, value, info, bool(status & STATUS_BY_REF)))
        calls.append(call)
    if not calls:
        raise ProtocolError("RPC request without a procedure")
    return calls
