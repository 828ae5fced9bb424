"""kill -9 at random points of a sync, then resume: the copy equals a clean full sync, row for
row, with no duplicated key."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sync_helpers import copy_rows, duplicate_keys, sync_into

from _helpers_connect import connection_string_for
from bitbucket_sql.sync.tables import sync_tables

KILLS = 3


def _start(emulator, path: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "bitbucket_sql", "sync",
        "-c", connection_string_for(emulator, MaxFanout="100000", RetryBaseDelay="0.01"),
        "--to", str(path), "--log", str(log), "--checkpoint-rows", "150", "--checkpoint-seconds", "0.5",
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _checkpoints(log: Path) -> int:
    if not log.exists():
        return 0
    return sum(1 for line in log.read_text().splitlines() if json.loads(line)["event"] == "checkpoint")


def test_kill_9_anywhere_then_resume_equals_a_clean_sync(emulator, tmp_path: Path) -> None:
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    path = tmp_path / "killed.duckdb"
    log = tmp_path / "run.jsonl"
    killed = 0
    for _attempt in range(KILLS):
        before = _checkpoints(log)
        process = _start(emulator, path, log)
        # wait for the run to make progress (a checkpoint past the previous attempt's), then a random moment more
        deadline = time.monotonic() + 120
        while process.poll() is None and _checkpoints(log) <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(chance.uniform(0.0, 1.5))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait(timeout=60)
    assert killed >= 1, f"the sync finished before any kill (seed {seed})"

    final = _start(emulator, path, log)
    _, stderr = final.communicate(timeout=300)
    assert final.returncode == 0, stderr.decode()[-2000:]
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["resumed"] for e in events if e["event"] == "start"][1:] == [True] * (len(
        [e for e in events if e["event"] == "start"]) - 1), f"every later run resumed (seed {seed})"

    clean = tmp_path / "clean.duckdb"
    tables = sync_tables()
    assert sync_into(emulator, clean, tables).status == "done"
    for table in tables:
        assert copy_rows(path, table) == copy_rows(clean, table), f"{table.name} (seed {seed})"
        assert duplicate_keys(path, table) == 0, f"{table.name} (seed {seed})"
