"""Engines over the session emulator: one with pushdown, one without (the reference)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from engine_helpers import settings_for

from bitbucket_sql.engine import Engine


@pytest.fixture(scope="module")
def make_engine(emulator: Any) -> Iterator[Callable[..., Engine]]:
    """A factory of engines on the session emulator; every engine made is closed at module end."""
    made: list[Engine] = []

    def make(*, pushdown: bool = True, **overrides: Any) -> Engine:
        engine = Engine(settings_for(emulator, **overrides), pushdown=pushdown)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.close()


@pytest.fixture(scope="module")
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


@pytest.fixture(scope="module")
def reference(make_engine: Callable[..., Engine]) -> Engine:
    """The same connection without any pushdown: the ground truth for results."""
    return make_engine(pushdown=False)
