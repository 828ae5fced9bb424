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
from typing import Any


def parse_timestamp(value: Any) -> datetime.datetime | None:
    """``value`` (a datetime or an ISO-8601 text in any of the forms above) as an aware UTC
    datetime; None for None, empty or unreadable text.

    ``datetime.fromisoformat`` reads every form above since Python 3.11 (``Z``, any number of
    fractional digits, extra digits truncated), at C speed: this runs once per timestamp cell."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)
