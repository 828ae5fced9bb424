"""Shared fixtures for the whole suite.

``emulator``: one Bitbucket Cloud emulator (tiny scale, seed 1, history ending on
:data:`TEST_ANCHOR_DATE`) for the whole test session,
served on 127.0.0.1 and a free port, stopped when the session ends. Treat its data as read-only:
tests that write start their own ``run_emulator(...)`` so they cannot disturb other tests.
Statistics are per session too; call ``emulator.reset_stats()`` before counting requests.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest

from bitbucket_sql.emulator import EmulatorHandle, run_emulator
from bitbucket_sql.emulator.generator import ANCHOR_ENVIRONMENT_VARIABLE

#: The suite's generated data ends on this day whatever today is: the same data on every run
#: (and in every emulator process a test starts, which inherits the environment).
TEST_ANCHOR_DATE = "2026-11-01"
os.environ[ANCHOR_ENVIRONMENT_VARIABLE] = TEST_ANCHOR_DATE

#: The suite never touches the user's cache directory, and connections cache in memory unless a
#: test asks for Cache=persistent (with its own CacheLocation): request counts stay per test.
#: Processes the tests start inherit both.
_TEST_CACHE_DIR = tempfile.mkdtemp(prefix="bbsql-test-cache-")
os.environ["BBSQL_CACHE_DIR"] = _TEST_CACHE_DIR
os.environ["BBSQL_CACHE"] = "memory"


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


# --- leaving the test process ----------------------------------------------------------------
# DuckDB can abort a process during interpreter shutdown when a connection is still reachable
# from a thread Python is tearing down ("terminate called after throwing an instance of ''",
# duckdb/duckdb#13904). A suite of 2,800 tests with servers, IPython and threads hit it once after
# every test had passed, which turned a green run red (exit 134). Once pytest has written its
# summary and its caches, the process leaves with pytest's own exit status, skipping only that
# teardown. Failures still fail: the status is the one pytest computed.
_EXIT_STATUS: list[int] = []


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))
    shutil.rmtree(_TEST_CACHE_DIR, ignore_errors=True)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    if _EXIT_STATUS and os.environ.get("BBSQL_TESTS_NORMAL_EXIT") != "1":
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])
