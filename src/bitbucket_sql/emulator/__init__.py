"""A local Bitbucket Cloud REST API 2.0 emulator (starlette + uvicorn).

It is a second, independent implementation of the API: nothing here imports the rest of
bitbucket_sql, so a misunderstanding in the client cannot hide in shared code.

Public entry points (loaded lazily so ``import bitbucket_sql.emulator.principal`` stays cheap)::

    from bitbucket_sql.emulator import run_emulator, EmulatorConfig

    with run_emulator(scale="tiny", seed=1) as emu:
        emu.base_url   # "http://127.0.0.1:PORT/2.0"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bitbucket_sql.emulator.server import EmulatorConfig, EmulatorHandle, run_emulator, serve

__all__ = ["EmulatorConfig", "EmulatorHandle", "run_emulator", "serve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from bitbucket_sql.emulator import server

        return getattr(server, name)
    raise AttributeError(f"module 'bitbucket_sql.emulator' has no attribute {name!r}")
