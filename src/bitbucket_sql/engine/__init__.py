"""The pushdown query engine: SQL over Bitbucket Cloud through sqlglot planning and DuckDB.

``Engine(settings, client=None)`` is the only entry point outlets need; see
:mod:`.engine` for the path of one query and docs/architecture.md for the design.
"""

from .engine import Engine
from .errors import (
    EngineError,
    FanoutLimitError,
    NoWorkspaceError,
    ParameterError,
    RemovedTableError,
    SqlSyntaxError,
    UnknownColumnError,
    UnknownTableError,
    UnsupportedStatementError,
)
from .result import Progress, QueryResult, QueryStats, ResultColumn

__all__ = [
    "Engine",
    "EngineError",
    "FanoutLimitError",
    "NoWorkspaceError",
    "ParameterError",
    "Progress",
    "QueryResult",
    "QueryStats",
    "RemovedTableError",
    "ResultColumn",
    "SqlSyntaxError",
    "UnknownColumnError",
    "UnknownTableError",
    "UnsupportedStatementError",
]
