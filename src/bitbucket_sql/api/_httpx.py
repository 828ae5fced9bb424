"""httpx, imported without its command-line client.

Why: ``import httpx`` also imports httpx's own command-line client (click, rich and pygments)
whenever those are installed, and rich and click are installed with ``bbsql``: about 4 MiB of
resident memory in every process that fetches, though nothing here runs httpx's CLI. When httpx
is not yet imported, its CLI module is marked missing while httpx loads (``sys.modules[name] =
None`` makes that import fail, and httpx then defines a ``main`` that explains how to get it),
and unmarked right after: a later ``import httpx._main`` loads it as usual. The ``httpx``
command itself runs in a process of its own and is not affected.
"""

from __future__ import annotations

import sys

_CLI = "httpx._main"

if "httpx" in sys.modules:
    import httpx
else:
    sys.modules.setdefault(_CLI, None)  # type: ignore[arg-type]
    try:
        import httpx
    finally:
        if _CLI in sys.modules and sys.modules[_CLI] is None:
            del sys.modules[_CLI]

__all__ = ["httpx"]
