"""Retries of writes: a POST is repeated only when the server cannot have acted on it."""

from __future__ import annotations

import pytest
from api_fake_server import FakeState

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient


def test_a_post_refused_with_429_is_retried(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.script("/2.0/echo", 429, 429)
    assert fake_client.post("/echo", {"a": 1})["method"] == "POST"
    assert len(fake.requests_to("/2.0/echo")) == 3


@pytest.mark.parametrize("failure", [500, 502, 503, "drop"])
def test_a_post_that_may_have_applied_is_sent_once(fake_client: BitbucketClient, fake: FakeState,
                                                   failure: int | str) -> None:
    fake.script("/2.0/echo", failure)
    with pytest.raises(errors.BitbucketError):
        fake_client.post("/echo", {"a": 1})
    assert len(fake.requests_to("/2.0/echo")) == 1


def test_a_put_is_retried_as_it_is_idempotent(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.script("/2.0/echo", 503)
    assert fake_client.put("/echo", {"a": 1})["method"] == "PUT"
    assert len(fake.requests_to("/2.0/echo")) == 2
