"""The pushdown query engine: SQL over Bitbucket Cloud through sqlglot planning and DuckDB.

``Engine(settings, client=None)`` is the only entry point outlets need; see
:mod:`.engine` for the path of one query and docs/architecture.md for the design.

The names below load on first use (a module ``__getattr__``, PEP 562): importing a light
submodule (``bitbucket_sql.engine.errors``) must not pull in DuckDB, sqlglot, pyarrow and the
HTTP stack, which together cost most of a ``bbsql`` process's start-up.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # what type checkers see; at run time __getattr__ supplies these
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

#: public name -> the submodule that defines it
_LAZY: dict[str, str] = {
    "Engine": "engine",
    "EngineError": "errors",
    "FanoutLimitError": "errors",
    "NoWorkspaceError": "errors",
    "ParameterError": "errors",
    "RemovedTableError": "errors",
    "SqlSyntaxError": "errors",
    "UnknownColumnError": "errors",
    "UnknownTableError": "errors",
    "UnsupportedStatementError": "errors",
    "Progress": "result",
    "QueryResult": "result",
    "QueryStats": "result",
    "ResultColumn": "result",
}

__all__ = [
    "Engine", "EngineError", "FanoutLimitError", "NoWorkspaceError", "ParameterError", "Progress", "QueryResult",
    "QueryStats", "RemovedTableError", "ResultColumn", "SqlSyntaxError", "UnknownColumnError",
    "UnknownTableError", "UnsupportedStatementError",
]  # fmt: skip


def __getattr__(name: str) -> object:
    """Import the submodule that defines ``name`` the first time it is asked for (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bitbucket_sql.engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
