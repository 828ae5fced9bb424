"""`bbsql demo`: the README's first command, run non-interactively as a new user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bitbucket_sql.cli.demo_cmd import TOUR


def test_demo_runs_the_whole_tour_and_exits_without_a_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "BBSQL_CONNECTION": "", "NO_COLOR": "1", "COLUMNS": "160"}
    completed = subprocess.run(
        [sys.executable, "-m", "bitbucket_sql", "demo", "--scale", "tiny"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    out = completed.stdout
    for number, step in enumerate(TOUR, start=1):
        assert f"{number}. {step.title}" in out
    assert "error:" not in out
    assert out.count(" request") >= len(TOUR)  # every step reports its request count
    assert "Tour done" in out
    assert "Open the SQL shell" not in out  # no terminal: no shell offered
    assert "Traceback" not in completed.stderr
