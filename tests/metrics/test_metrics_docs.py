"""docs/dashboard.md's Python example runs as printed (against the test emulator) and its metric
table names every metric of the library."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

from bitbucket_sql.metrics import METRICS

DOC = Path(__file__).resolve().parents[2] / "docs" / "dashboard.md"
DOCUMENTED_BASE_URL = "http://127.0.0.1:7990/2.0"


def test_python_example_runs(demo_emulator: Any) -> None:
    text = DOC.read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.+?)```", text, flags=re.DOTALL)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code.replace(DOCUMENTED_BASE_URL, demo_emulator.base_url), {})  # noqa: S102 - the documented example
    assert "['repository', 'deployments', 'median_hours', 'p90_hours']" in printed.getvalue()


def test_every_metric_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE))
    assert {metric.name for metric in METRICS} <= documented
