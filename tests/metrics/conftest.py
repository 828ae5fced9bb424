"""One emulator with the demo data (small scale, as ``bbsql dashboard --demo``, ending today) for
the metric tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from raw_api import DEMO_ANCHOR, RawApi

from bitbucket_sql.emulator import run_emulator


@pytest.fixture(scope="package")
def demo_emulator() -> Iterator[Any]:
    with run_emulator(scale="small", seed=1, anchor_date=DEMO_ANCHOR.isoformat()) as handle:
        yield handle


@pytest.fixture(scope="package")
def raw(demo_emulator: Any) -> Iterator[RawApi]:
    api = RawApi(demo_emulator.base_url)
    yield api
    api.close()
