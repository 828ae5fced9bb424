"""Backoff policy, Retry-After parsing, per-query recordings across threads, the rolling window."""

from __future__ import annotations

import email.utils
import threading
import time

import pytest
from api_fake_server import FakeState
from hypothesis import given
from hypothesis import strategies as st

from bitbucket_sql.api import errors
from bitbucket_sql.api.accounting import RollingWindow
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.retry import RetryPolicy, parse_retry_after


@given(st.integers(min_value=1, max_value=30))
def test_full_jitter_stays_within_the_exponential_step(retry_number: int) -> None:
    policy = RetryPolicy(max_retries=50, max_total_wait=1e9, base_delay=0.5, max_delay=60)
    delay = policy.next_delay(retry_number, waited=0, retry_after=None)
    assert delay is not None and 0 <= delay <= min(60, 0.5 * 2 ** (retry_number - 1))


def test_policy_gives_up_after_max_retries_or_the_wait_budget() -> None:
    policy = RetryPolicy(max_retries=3, max_total_wait=10, base_delay=1)
    assert policy.next_delay(4, waited=0, retry_after=None) is None
    assert policy.next_delay(1, waited=10, retry_after=None) is None
    assert policy.next_delay(1, waited=9, retry_after=2) is None  # would overrun the budget
    assert policy.next_delay(1, waited=5, retry_after=2) == 2
    assert policy.next_delay(2, waited=9.5, retry_after=None) <= 0.5


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    now = time.time()
    stamp = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after(stamp, now=now) or 0) <= 31
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_rolling_window_forgets_requests_older_than_an_hour() -> None:
    window = RollingWindow()
    window.hit(now=1000.0)
    window.hit(now=2000.0)
    assert window.count(now=2500.0) == 2
    assert window.count(now=4601.0) == 1
    assert window.count(now=5601.0) == 0


def test_recordings_of_concurrent_queries_stay_apart(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.items = 40
    counts: dict[int, tuple[int, int]] = {}

    def query(worker: int) -> None:
        with fake_client.recording() as rec:
            items = list(fake_client.paginate("/items", {"w": worker}, pagelen=10))  # 4 pages
            for _ in range(worker):
                fake_client.get("/user")
        counts[worker] = (len(items), rec.requests)

    threads = [threading.Thread(target=query, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counts == {n: (40, 4 + n) for n in range(6)}
    assert fake_client.stats.requests == sum(4 + n for n in range(6))


def test_a_failing_pagination_can_be_reported_without_stopping_the_others(
    fake_client: BitbucketClient, fake: FakeState
) -> None:
    fake.items = 25
    fake.script("/2.0/cursor", 404)
    results: dict[str, list[object]] = {}
    for key, item in fake_client.paginate_many([("list", "/items", None), ("cursor", "/cursor", None)],
                                                pagelen=10, return_errors=True):
        results.setdefault(key, []).append(item)
    assert len(results["list"]) == 25
    assert len(results["cursor"]) == 1 and isinstance(results["cursor"][0], errors.NotFoundError)
    fake.script("/2.0/cursor", 404)
    with pytest.raises(errors.NotFoundError, match="404"):
        list(fake_client.paginate_many([("list", "/items", None), ("cursor", "/cursor", None)], pagelen=10))
