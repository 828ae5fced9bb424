"""Helpers of the SQL-front tests: engines and SQL sessions over the session-wide emulator.

Test modules import the fixtures by their function names (``make_session_fixture``,
``session_fixture``); pytest knows them as ``make_session`` and ``session``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from _helpers_connect import demo_settings
from bitbucket_sql.api import accounting
from bitbucket_sql.api.settings import ConnectionSettings
from bitbucket_sql.engine import Engine
from bitbucket_sql.server.session import SqlSession


def settings_for(base_url: str, **overrides: Any) -> ConnectionSettings:
    """Demo API-token settings with Workspace=acme and no cache (every query reaches the API)."""
    return demo_settings(base_url, **overrides)


@contextmanager
def api_requests() -> Iterator[accounting.Recording]:
    """Every Bitbucket API request made inside the block (by any client, in this context)."""
    with accounting.recording() as recording:
        yield recording


@pytest.fixture(scope="module", name="make_session")
def make_session_fixture(emulator: Any) -> Iterator[Callable[..., SqlSession]]:
    """A factory of SQL sessions (database ``demo``, user ``demo``), closed at module end."""
    made: list[tuple[SqlSession, Engine]] = []

    def make(*, can_write: bool = False, base_url: str | None = None, **overrides: Any) -> SqlSession:
        engine = Engine(settings_for(base_url or emulator.base_url, **overrides))
        session = SqlSession("demo", "demo", engine, can_write)
        made.append((session, engine))
        return session

    yield make
    for session, engine in made:
        session.close()
        engine.close()


@pytest.fixture(scope="module", name="session")
def session_fixture(make_session: Callable[..., SqlSession]) -> SqlSession:
    return make_session()
