"""When and how long to wait before retrying a failed request.

Bitbucket answers 429 without ``Retry-After`` and asks clients to back off exponentially;
transient 5xx and dropped connections are common behind its load balancers. The policy is
exponential backoff with *full jitter* (a random delay between 0 and the exponential step, so
many clients that failed together do not retry together), a server's ``Retry-After`` wins when
present, and every request has a total wait budget so nothing hangs.
"""

from __future__ import annotations

import email.utils
import random
import time
from dataclasses import dataclass

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``max_retries`` extra attempts, at most ``max_total_wait`` seconds of sleeping in total.

    ``base_delay`` is the first backoff step (doubling each retry, capped at ``max_delay``);
    tests use milliseconds.
    """

    max_retries: int = 5
    max_total_wait: float = 120.0
    base_delay: float = 1.0
    max_delay: float = 60.0

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Full-jitter delay before retry ``retry_number`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (retry_number - 1)))
        return (rng or random).uniform(0, ceiling)

    def next_delay(self, retry_number: int, waited: float, retry_after: float | None) -> float | None:
        """Seconds to sleep before retry ``retry_number``, or None to give up.

        Gives up when the retries are used up or the wait would exceed the total budget
        (a ``Retry-After`` longer than the remaining budget gives up at once rather than
        sleeping part of it and failing anyway).
        """
        if retry_number > self.max_retries:
            return None
        remaining = self.max_total_wait - waited
        if retry_after is not None:
            return retry_after if retry_after <= remaining else None
        delay = self.backoff(retry_number)
        if remaining <= 0:
            return None
        return min(delay, remaining)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))
