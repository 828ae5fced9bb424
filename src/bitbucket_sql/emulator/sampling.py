"""What the generator and the ``--data`` loader share: the fixed date bounds, the demo user, and
ids drawn from a seeded ``random.Random``.

Both build stores that must be identical for the same seed, so neither may read the clock or use
the global random state; every id and date comes from here, derived from the caller's stream.
"""

from __future__ import annotations

import random
import uuid as uuid_module
from datetime import UTC, datetime, timedelta

from .serializers import objects as o
from .serializers.common import JSON

START = datetime(2024, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 1, tzinfo=UTC)

DEMO_EMAIL = "demo@example.com"
DEMO_USER_UUID = "{d3a0d3a0-0000-4000-8000-00000000d3a0}"
DEMO_ACCOUNT_ID = "557058:d3a0d3a0-demo-4000-8000-00000000d3a0"


def demo_user(created_on: str) -> JSON:
    """The demo user every store has (the credentials in auth.py act as this account)."""
    return o.user(DEMO_USER_UUID, DEMO_ACCOUNT_ID, "Demo User", "demo", created_on)


def random_uuid(rng: random.Random) -> str:
    """A version-4 UUID in Bitbucket's braced form, ``{xxxxxxxx-...}``."""
    return "{" + str(uuid_module.UUID(int=rng.getrandbits(128), version=4)) + "}"


def random_sha(rng: random.Random) -> str:
    """A 40-hex commit hash."""
    return f"{rng.getrandbits(160):040x}"


def between(rng: random.Random, low: datetime, high: datetime) -> datetime:
    """A moment in ``[low, high]`` with microseconds, as Bitbucket's timestamps have."""
    span = max((high - low).total_seconds(), 1.0)
    return low + timedelta(seconds=rng.uniform(0, span), microseconds=rng.randrange(1_000_000))
