"""Shared fixtures for the whole suite.

``emulator``: one Bitbucket Cloud emulator (tiny scale, seed 1, history ending on
:data:`TEST_ANCHOR_DATE`) for the whole test session,
served on 127.0.0.1 and a free port, stopped when the session ends. Treat its data as read-only:
tests that write start their own ``run_emulator(...)`` so they cannot disturb other tests.
Statistics are per session too; call ``emulator.reset_stats()`` before counting requests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bitbucket_sql.emulator import EmulatorHandle, run_emulator
from bitbucket_sql.emulator.generator import ANCHOR_ENVIRONMENT_VARIABLE

#: The suite's generated data ends on this day whatever today is: the same data on every run
#: (and in every emulator process a test starts, which inherits the environment).
TEST_ANCHOR_DATE = "2026-11-01"
os.environ[ANCHOR_ENVIRONMENT_VARIABLE] = TEST_ANCHOR_DATE


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle
