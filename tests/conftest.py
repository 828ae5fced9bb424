"""Shared fixtures for the whole suite.

``emulator``: one Bitbucket Cloud emulator (tiny scale, seed 1) for the whole test session,
served on 127.0.0.1 and a free port, stopped when the session ends. Treat its data as read-only:
tests that write start their own ``run_emulator(...)`` so they cannot disturb other tests.
Statistics are per session too; call ``emulator.reset_stats()`` before counting requests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bitbucket_sql.emulator import EmulatorHandle, run_emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle
