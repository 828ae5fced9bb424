"""The official Bitbucket Cloud spec, for tests that check shapes and paths against it.

The byte-for-byte copy of ../shared/reference/bitbucket-cloud-swagger.json ships gzip-compressed
with the emulator's data, so tests do not depend on where the checkout sits; the SHA-256 recorded
in the reference README proves it is the unmodified file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = (
    Path(__file__).resolve().parents[1]
    / "src"
    / "bitbucket_sql"
    / "emulator"
    / "data"
    / "bitbucket-cloud-swagger.json.gz"
)
SPEC_SHA256 = "ecf7b8905dc6eab269040d04fa0766b9ca31d8f3b6105a2acedbf24665598705"


@cache
def official_spec_bytes() -> bytes:
    """The spec file's bytes, verified against the published digest."""
    raw = gzip.decompress(SPEC_PATH.read_bytes())
    digest = hashlib.sha256(raw).hexdigest()
    assert digest == SPEC_SHA256, f"{SPEC_PATH} is not the official spec (sha256 {digest})"
    return raw


def official_spec() -> dict[str, Any]:
    """The parsed spec (a fresh copy each call: callers may modify it)."""
    return json.loads(official_spec_bytes())
