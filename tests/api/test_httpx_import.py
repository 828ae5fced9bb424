"""The API client imports httpx without httpx's own command-line client (click, rich, pygments)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import bitbucket_sql.api.client
print(sorted(name for name in ("httpx._main", "pygments", "rich") if name in sys.modules))
import httpx._main  # still importable by whoever wants it
print("httpx._main" in sys.modules)
"""


def test_fetching_does_not_load_httpx_command_line_client() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "True"]


def test_httpx_imported_first_is_used_as_it_is() -> None:
    probe = "import httpx, sys\nimport bitbucket_sql.api.client as c\nprint(c.httpx is httpx, 'httpx._main' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "True True"
