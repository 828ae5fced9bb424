"""docs/sqlalchemy.md runs as printed: its ```python blocks, in order, as one session.

The documented emulator address ``127.0.0.1:7990`` becomes a fresh test emulator's (the writes
section changes its data, so it is not the session-wide one).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dialect_helpers import require_module

from bitbucket_sql.emulator import run_emulator

require_module("sqlalchemy", "sqlalchemy")
require_module("pandas", "pandas")

DOC = Path(__file__).resolve().parents[2] / "docs" / "sqlalchemy.md"
_PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def test_every_python_example_runs() -> None:
    blocks = _PYTHON_BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 5
    namespace: dict[str, Any] = {}
    printed = io.StringIO()
    with run_emulator(scale="tiny", seed=1) as emulator, contextlib.redirect_stdout(printed):
        address = urlsplit(emulator.base_url).netloc
        for number, block in enumerate(blocks, start=1):
            code = compile(
                block.replace("127.0.0.1:7990", address), f"docs/sqlalchemy.md python block {number}", "exec"
            )
            exec(code, namespace)  # noqa: S102 - the documentation's own examples
    output = printed.getvalue()
    assert "demo-api-token" not in output and ":***@" in output
    assert "['acme']" in output and "acme True True" in output
