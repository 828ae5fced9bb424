"""Map engine, API and DuckDB exceptions onto the PEP 249 hierarchy.

The choice, in one place so it is easy to review:

- ProgrammingError: the statement or its inputs are wrong. Engine SqlSyntaxError,
  UnknownTableError, UnknownColumnError, NoWorkspaceError, ParameterError; API
  ConfigurationError (bad connection properties); DuckDB parser/binder/catalog errors.
- NotSupportedError: Bitbucket or the driver does not offer it. Engine RemovedTableError (the
  issue tracker, removed 2026-08-20) and UnsupportedStatementError (writes, DDL); API
  GoneError (410).
- OperationalError: Bitbucket could not answer. Every other API BitbucketError (401, 403,
  404, 429, 5xx, transport), httpx errors, and engine FanoutLimitError (the query would need
  more requests than MaxFanout allows: narrow it or raise the limit).
- DataError: DuckDB conversion / out-of-range errors while evaluating the query.
- DatabaseError: any other engine error. A generic engine error that wraps a DuckDB error
  takes the DuckDB error's class instead (conversion -> DataError, binder -> ProgrammingError).
- InternalError: anything unexpected (a bug).

The original exception is chained as ``__cause__`` and its text is the message, so nothing
the engine or client explained is lost.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator
from contextlib import contextmanager

from bitbucket_sql.dbapi import exceptions as dbapi_errors

#: engine error class name -> DB-API class; looked up along the MRO, most specific first.
_ENGINE_ERRORS: dict[str, type[dbapi_errors.Error]] = {
    "SqlSyntaxError": dbapi_errors.ProgrammingError,
    "UnknownTableError": dbapi_errors.ProgrammingError,
    "UnknownColumnError": dbapi_errors.ProgrammingError,
    "NoWorkspaceError": dbapi_errors.ProgrammingError,
    "ParameterError": dbapi_errors.ProgrammingError,
    "RemovedTableError": dbapi_errors.NotSupportedError,
    "UnsupportedStatementError": dbapi_errors.NotSupportedError,
    "FanoutLimitError": dbapi_errors.OperationalError,
    "QueryTimeoutError": dbapi_errors.OperationalError,
    "KeyNotFoundError": dbapi_errors.ProgrammingError,
    "InvalidIdentifierError": dbapi_errors.ProgrammingError,
    "EngineError": dbapi_errors.DatabaseError,
}

#: write errors (engine/writes/errors.py): bad input is the statement's fault; a failed or partial
#: write, a missing scope, too many requests and ReadOnly=true are what Bitbucket or the connection refused
_WRITE_ERRORS: dict[str, type[dbapi_errors.Error]] = {
    "WriteValidationError": dbapi_errors.ProgrammingError,
    "WriteNotSupportedError": dbapi_errors.NotSupportedError,
    "ReadOnlyConnectionError": dbapi_errors.OperationalError,
    "WriteScopeError": dbapi_errors.OperationalError,
    "WriteFanoutError": dbapi_errors.OperationalError,
    "PartialWriteError": dbapi_errors.OperationalError,
}

_DUCKDB_ERRORS: dict[str, type[dbapi_errors.Error]] = {
    "ConversionException": dbapi_errors.DataError,
    "OutOfRangeException": dbapi_errors.DataError,
    "InvalidInputException": dbapi_errors.DataError,
    "ParserException": dbapi_errors.ProgrammingError,
    "SyntaxException": dbapi_errors.ProgrammingError,
    "BinderException": dbapi_errors.ProgrammingError,
    "CatalogException": dbapi_errors.ProgrammingError,
    "InternalException": dbapi_errors.InternalError,
    "Error": dbapi_errors.DatabaseError,
}


def _classes_of(module_name: str, mapping: dict[str, type[dbapi_errors.Error]]) -> list[tuple[type, type]]:
    """(exception class, DB-API class) pairs for the names ``module_name`` defines."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return []
    return [
        (getattr(module, name), target)
        for name, target in mapping.items()
        if isinstance(getattr(module, name, None), type)
    ]


_SOURCES: tuple[tuple[str, dict[str, type[dbapi_errors.Error]]], ...] = (
    ("bitbucket_sql.engine.writes.errors", _WRITE_ERRORS),
    ("bitbucket_sql.engine.errors", _ENGINE_ERRORS),
    (
        "bitbucket_sql.api.errors",
        {
            "ConfigurationError": dbapi_errors.ProgrammingError,
            "GoneError": dbapi_errors.NotSupportedError,
            "BitbucketError": dbapi_errors.OperationalError,
        },
    ),
    ("httpx", {"HTTPError": dbapi_errors.OperationalError}),
    ("duckdb", _DUCKDB_ERRORS),
)


@functools.cache
def _targets() -> dict[type, type[dbapi_errors.Error]]:
    """Every mapped exception class -> its DB-API class (built once, on the first error)."""
    targets: dict[type, type[dbapi_errors.Error]] = {}
    for module_name, mapping in _SOURCES:
        for source, target in _classes_of(module_name, mapping):
            targets.setdefault(source, target)
    return targets


def _mapped_class(error: BaseException) -> type[dbapi_errors.Error] | None:
    targets = _targets()
    # Walk the error's own MRO so that the most specific mapped class decides.
    for klass in type(error).__mro__:
        if klass in targets:
            return targets[klass]
    return None


def _dbapi_class_for(error: BaseException) -> type[dbapi_errors.Error]:
    target = _mapped_class(error)
    if target is dbapi_errors.DatabaseError:
        # A generic engine error that wraps a DuckDB error (a failed CAST, an unknown
        # function): the DuckDB error says whether the data or the statement is at fault.
        inner = error.__cause__ or error.__context__
        for _ in range(3):
            if inner is None:
                break
            specific = _mapped_class(inner)
            if specific is not None and specific is not dbapi_errors.DatabaseError:
                return specific
            inner = inner.__cause__ or inner.__context__
    return target or dbapi_errors.InternalError


def _message(error: BaseException) -> str:
    return str(error).strip() or type(error).__name__


#: attributes of engine errors that a DB-API caller may need as data, not only as text
_CARRIED = ("written", "failed", "not_attempted", "uncertain", "scope", "table", "column")


def translate(error: BaseException) -> dbapi_errors.Error:
    """The DB-API exception that stands for ``error`` (``error`` itself if it already is one)."""
    if isinstance(error, dbapi_errors.Error):
        return error
    target = _dbapi_class_for(error)
    translated: dbapi_errors.Error
    if target is dbapi_errors.InternalError:
        translated = target(f"internal error ({type(error).__name__}): {_message(error)}")
    else:
        translated = target(_message(error))
    for name in _CARRIED:  # a partial write's rows, a missing scope: as attributes of the DB-API error too
        if hasattr(error, name):
            setattr(translated, name, getattr(error, name))
    translated.__cause__ = error
    return translated


@contextmanager
def translated_errors() -> Iterator[None]:
    """Re-raise any exception from the block as its DB-API counterpart, chained to the original."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - every failure must surface as a DB-API error
        raise translate(error) from error
