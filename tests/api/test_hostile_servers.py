"""A client facing a hostile or broken server: it never hangs, never loops, never reads a wrong
answer as an empty one, and says what was wrong (issue 9: hangs, paging, envelopes, bad JSON)."""

from __future__ import annotations

import re
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from api_fake_server import FAKE_TOKEN, FakeState

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient

MakeClient = Callable[..., BitbucketClient]


@pytest.fixture
def client_for(fake_server: tuple[str, FakeState], fake: FakeState) -> Iterator[MakeClient]:
    root, _ = fake_server
    opened: list[BitbucketClient] = []

    def make(extra: str = "") -> BitbucketClient:
        retries = "" if "MaxRetries" in extra else "MaxRetries=0;"
        client = BitbucketClient(
            f"BaseURL={root}/2.0;AccessToken={FAKE_TOKEN};{retries}{extra}", retry_base_delay=0.001
        )
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


# --- a total deadline per request -------------------------------------------------------------


def test_a_server_that_drips_its_answer_fails_at_the_timeout(client_for: MakeClient, fake: FakeState) -> None:
    client = client_for("Timeout=1")
    # 200+ bytes at one per 0.2 s: every single read succeeds, the whole answer takes 40 s.
    with pytest.raises(errors.DeadlineExceededError) as caught:
        client.get("/drip", {"interval": "0.2", "access_token": "query-secret-1234"})
    message = str(caught.value)
    assert "/2.0/drip" in message and "Timeout=1" in message
    assert "query-secret-1234" not in message  # the URL in the message is redacted
    assert caught.value.elapsed is not None and caught.value.elapsed < 10


def test_each_retry_of_a_dripping_request_gets_its_own_deadline(client_for: MakeClient, fake: FakeState) -> None:
    client = client_for("Timeout=0.5;MaxRetries=2;MaxRetryWait=1")
    with pytest.raises(errors.DeadlineExceededError, match=r"tried 3 times") as caught:
        client.get("/drip", {"interval": "0.2"})
    assert len(fake.requests_to("/2.0/drip")) == 3
    assert caught.value.elapsed is not None and caught.value.elapsed < 15


# --- paging that would never end --------------------------------------------------------------


def test_a_next_link_back_to_a_page_already_read_is_a_cycle(client_for: MakeClient, fake: FakeState) -> None:
    client = client_for()
    with pytest.raises(errors.UnexpectedResponseError, match="leads back to a page already read"):
        list(client.paginate("/loop"))
    assert len(fake.requests_to("/2.0/loop")) == 2


def test_an_endless_cursor_stops_at_max_pages(client_for: MakeClient, fake: FakeState) -> None:
    client = client_for("MaxPages=25")
    seen: list[int] = []
    with pytest.raises(errors.TooManyPagesError, match="MaxPages=25") as caught:
        for item in client.paginate("/endless"):
            seen.append(item["id"])
    assert seen == list(range(25))  # every page read was delivered, in order
    assert len(fake.requests_to("/2.0/endless")) == 25
    assert "/2.0/endless" in str(caught.value)


def test_the_page_cap_has_a_documented_default() -> None:
    from pathlib import Path

    from bitbucket_sql.api.settings import parse_connection_string

    assert parse_connection_string(None).max_pages == 2000
    docs = (Path(__file__).resolve().parents[2] / "docs" / "connection-properties.md").read_text()
    assert "| `MaxPages` | integer ≥ 1 | `2000` |" in docs


def test_a_huge_size_claim_allocates_nothing_and_the_real_end_wins(client_for: MakeClient, fake: FakeState) -> None:
    client = client_for()
    tracemalloc.start()
    try:
        items = [item["id"] for item in client.paginate("/items", {"claim": 10**9}, pagelen=10)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert items == list(range(95))
    # 10 real pages; pages past the end are only those already in flight when the end was seen
    assert len(fake.requests_to("/2.0/items")) <= 10 + 2 * client.settings.max_concurrency
    assert peak < 20_000_000  # a plan of 10**8 pages would need gigabytes


def test_a_size_claim_beyond_max_pages_is_read_until_the_cap(client_for: MakeClient, fake: FakeState) -> None:
    fake.items = 10**6
    client = client_for("MaxPages=5")
    with pytest.raises(errors.TooManyPagesError, match=r"MaxPages=5 pages \(the server reports 1,000,000 items\)"):
        list(client.paginate("/items", pagelen=10))
    assert len(fake.requests_to("/2.0/items")) == 5


# --- pages that are not the documented envelope ---------------------------------------------


@pytest.mark.parametrize(
    ("shape", "said"),
    [
        ("values-string", "'values' is a str, not a list"),
        ("values-object", "'values' is a dict, not a list"),
        ("no-values", r"it has no 'values' list \(keys: error, type\)"),
        ("list", "expected a JSON object with a 'values' list, got a JSON list"),
        ("next-number", "'next' is a int, not a URL"),
    ],
)
def test_a_page_that_is_not_the_envelope_is_an_error(client_for: MakeClient, fake: FakeState, shape: str, said: str) -> None:
    client = client_for()
    with pytest.raises(errors.UnexpectedResponseError, match="not a page of a Bitbucket collection") as caught:
        list(client.paginate("/bad-page", {"shape": shape}))
    assert re.search(said, str(caught.value))
    assert "BaseURL" in str(caught.value)


def test_paginate_many_reports_a_bad_page_per_key(client_for: MakeClient, fake: FakeState) -> None:
    client = client_for()
    results = dict(
        client.paginate_many(
            [("bad", "/bad-page", {"shape": "values-string"}), ("good", "/items", None)],
            pagelen=100,
            return_errors=True,
        )
    )
    assert isinstance(results["bad"], errors.UnexpectedResponseError)
    assert results["good"] == {"id": 94}  # the last item of the healthy collection


# --- answers that are not JSON ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ("empty", r"the answer is empty \(0 bytes\)"),
        ("truncated", r"the JSON answer is cut short: it ends after \d+ bytes"),
        ("malformed", r"labelled JSON but is not valid JSON \(Expecting property name enclosed in double quotes"),
    ],
)
def test_bad_json_says_what_is_wrong(client_for: MakeClient, body: str, said: str) -> None:
    client = client_for()
    with pytest.raises(errors.UnexpectedResponseError, match=said) as caught:
        client.get("/raw", {"body": body})
    assert "expected JSON but got application/json" not in str(caught.value)


def test_html_where_json_was_expected_points_at_base_url(client_for: MakeClient) -> None:
    client = client_for()
    with pytest.raises(errors.UnexpectedResponseError, match=r"expected JSON but got text/plain.*BaseURL"):
        client.get("/text")


def test_a_token_endpoint_that_drips_fails_at_the_timeout(fake_server: tuple[str, FakeState], fake: FakeState) -> None:
    root, _ = fake_server
    settings = (
        f"BaseURL={root}/2.0;OAuthClientId=cid;OAuthClientSecret=secret-445566;"
        f"OAuthTokenURL={root}/2.0/drip;Timeout=1;MaxRetries=0"
    )
    with BitbucketClient(settings) as client, pytest.raises(errors.OAuthFlowError) as caught:
        client.get("/user")
    assert "did not answer within Timeout=1 seconds" in str(caught.value)
    assert "secret-445566" not in str(caught.value)
    assert fake.requests_to("/2.0/drip") and not fake.requests_to("/2.0/user")
