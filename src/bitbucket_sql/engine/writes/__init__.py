"""INSERT, UPDATE and DELETE through Bitbucket's API (see docs/writing.md).

Writes are declared per table in the catalog (:class:`bitbucket_sql.catalog.model.WriteOp`);
nothing here knows a table by name. :func:`run_writes` is the one entry point the engine calls.
"""

from .engine_methods import WriteMethods
from .errors import (
    PartialWriteError,
    ReadOnlyConnectionError,
    RowOutcome,
    UncertainCallError,
    WriteError,
    WriteFanoutError,
    WriteNotSupportedError,
    WriteScopeError,
    WriteValidationError,
)
from .parse import WriteStatement, is_write, parse_write
from .runner import run_writes

__all__ = [
    "PartialWriteError",
    "ReadOnlyConnectionError",
    "RowOutcome",
    "UncertainCallError",
    "WriteError",
    "WriteFanoutError",
    "WriteNotSupportedError",
    "WriteScopeError",
    "WriteStatement",
    "WriteMethods",
    "WriteValidationError",
    "is_write",
    "parse_write",
    "run_writes",
]
