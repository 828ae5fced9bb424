"""What a TDS request answers: result sets, events (database changes, output values) and errors
with SQL Server's numbers, mapped from the engine's and the local database's failures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlglot import exp

from bitbucket_sql.engine import Engine

from .. import session as pg_session
from .datatypes import ColumnType


class TdsError(Exception):
    """What the client sees as an ERROR token (and, before it, the results that were ready)."""

    def __init__(self, number: int, message: str, severity: int = 16, state: int = 1) -> None:
        super().__init__(message)
        self.number = number
        self.message = message
        self.severity = severity
        self.state = state
        self.events: list[Event] = []


class Cancelled(TdsError):
    def __init__(self) -> None:
        super().__init__(3617, "The query was cancelled by the client (attention).", severity=11)


@dataclass
class Result:
    """One statement's answer: a result set (``names``/``types``/``rows``) or a row count."""

    names: list[str] | None = None
    types: list[ColumnType] | None = None
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    count: int | None = None
    requests: int = 0
    messages: list[str] = field(default_factory=list)
    #: the INFO number of the first message (0: PRINT and notices; 16954: a cursor run directly)
    message_number: int = 0


@dataclass
class DatabaseChanged:
    new: str
    old: str


@dataclass
class ReturnValue:
    ordinal: int
    name: str
    value: Any


Event = Result | DatabaseChanged | ReturnValue
#: USE: (database name) -> (engine, closer, can_write); PermissionError/LookupError when refused
DatabaseOpener = Callable[[str], tuple[Engine, Callable[[], None], bool]]


_SQLSTATE_NUMBERS = {"42601": 102, "42P01": 208, "42703": 207, "42883": 195, "42501": 229, "57014": 3617,
                     "0A000": 40517, "22P02": 245, "22003": 220, "22012": 8134, "54000": 50000, "42P02": 137}


class _Stop(Exception):
    pass



def tds_error_for(error: BaseException) -> TdsError:
    """The engine's failure as SQL Server reports its kind (the message stays the engine's)."""
    pg = pg_session.pg_error_for(error)
    message = pg.message + (f" {pg.hint}" if pg.hint else "")
    number = _SQLSTATE_NUMBERS.get(pg.sqlstate, 50000)
    if pg.sqlstate.startswith("22") and number == 50000:
        number = 245
    return TdsError(number, message, severity=14 if number == 229 else 16)


def local_error_for(error: duckdb.Error) -> TdsError:
    text = str(error).splitlines()[0]
    if isinstance(error, duckdb.CatalogException) and "Function with name" in text:
        return TdsError(195, f"Not a recognized built-in function name here: {text}")
    if isinstance(error, duckdb.CatalogException) and "does not exist" in text:
        return TdsError(208, f"Invalid object name: {text.split(':', 1)[-1].strip()} (docs/server.md lists the "
                             "sys and INFORMATION_SCHEMA views this server answers)")
    if isinstance(error, duckdb.BinderException):
        return TdsError(207, f"Invalid column name or expression: {text}")
    if isinstance(error, duckdb.ParserException):
        return TdsError(102, f"Incorrect syntax: {text}")
    if isinstance(error, duckdb.ConversionException):
        return TdsError(245, f"Conversion failed: {text}")
    return TdsError(50000, text)


def display_names(tree: exp.Expression, names: list[str]) -> list[str]:
    """SQL Server's column names: an unnamed expression (``SELECT 1``, ``SELECT COUNT(*)``) has none."""
    if not isinstance(tree, exp.Select) or len(tree.expressions) != len(names):
        return names
    return [
        name if isinstance(expression, exp.Alias | exp.Column | exp.Star) else ""
        for name, expression in zip(names, tree.expressions, strict=True)
    ]
