"""One emulator with the demo data (ending today, as ``bbsql dashboard --demo``) per test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser import DEMO_ANCHOR

from _helpers_connect import connection_string_for
from bitbucket_sql.emulator import run_emulator


@pytest.fixture(scope="module")
def demo_emulator() -> Iterator[Any]:
    with run_emulator(scale="small", seed=1, anchor_date=DEMO_ANCHOR.isoformat()) as handle:
        yield handle


@pytest.fixture(scope="module")
def demo_connection(demo_emulator: Any) -> str:
    return connection_string_for(demo_emulator)
