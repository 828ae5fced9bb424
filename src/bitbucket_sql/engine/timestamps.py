"""Bitbucket's timestamp texts -> aware UTC datetimes, for every form live responses use.

Recorded bodies (tests/emulator/fidelity_manifest.json, docs/emulator-api.md) show four forms:

* ``2025-04-26T09:50:59+00:00``: no fraction (commit and tag dates);
* ``2024-11-04T10:01:02.123456+00:00``: microseconds and an offset (most objects);
* ``2021-12-05T08:25:33.54158Z``: ``Z`` and 0-9 fractional digits (pipelines, steps,
  deployments; webhooks print nine);
* ``2021-04-02T14:25:58.600``: no offset at all (``/user/permissions/workspaces`` ``added_on``).

A text without an offset is taken as UTC, which is what the API means by it. DuckDB's
TIMESTAMPTZ holds microseconds, so digits past the sixth are dropped (truncated, never rounded,
so a value never moves into the next second). Anything else ISO 8601 that Python reads
(a bare date, say) is accepted as well; text that is not a timestamp gives None.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

_BITBUCKET_FORM = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<fraction>\d{1,9}))?"
    r"(?P<offset>Z|z|[+-]\d{2}:?\d{2})?"
)


def parse_timestamp(value: Any) -> datetime.datetime | None:
    """``value`` (a datetime or an ISO-8601 text in any of the forms above) as an aware UTC
    datetime; None for None, empty or unreadable text."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        parsed_or_none = _parse_text(value.strip())
        if parsed_or_none is None:
            return None
        parsed = parsed_or_none
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def _parse_text(text: str) -> datetime.datetime | None:
    match = _BITBUCKET_FORM.fullmatch(text)
    if match is not None:
        fraction = (match["fraction"] or "")[:6].ljust(6, "0")
        offset = match["offset"] or ""
        if offset in ("Z", "z"):
            offset = "+00:00"
        elif offset and ":" not in offset:
            offset = f"{offset[:3]}:{offset[3:]}"
        text = f"{match['date']}T{match['time']}.{fraction}{offset}"
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
