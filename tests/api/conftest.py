"""Fixtures for the API client tests: the fake server and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_fake_server import FAKE_TOKEN, FakeState, make_app, serve

from bitbucket_sql.api.client import BitbucketClient


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[str, FakeState]]:
    state = FakeState()
    with serve(make_app(state)) as root:
        yield root, state


@pytest.fixture
def fake(fake_server: tuple[str, FakeState]) -> FakeState:
    _, state = fake_server
    state.reset()
    return state


@pytest.fixture
def fake_client(fake_server: tuple[str, FakeState], fake: FakeState) -> Iterator[BitbucketClient]:
    root, _ = fake_server
    client = BitbucketClient(
        f"BaseURL={root}/2.0;AccessToken={FAKE_TOKEN};MaxRetries=3;MaxRetryWait=5",
        retry_base_delay=0.001,
    )
    yield client
    client.close()
