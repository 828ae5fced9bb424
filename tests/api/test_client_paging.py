"""Paging against the fake server: both styles, concurrency, limits, params kept verbatim."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from api_fake_server import FakeState

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.paging import with_page


def test_list_style_pages_are_fetched_once_each_and_yielded_in_order(
    fake_client: BitbucketClient, fake: FakeState
) -> None:
    fake.items = 95
    items = list(fake_client.paginate("/items", {"q": 'state = "OPEN"', "fields": "+values.x"}, pagelen=10))
    assert [i["id"] for i in items] == list(range(95))
    requests = fake.requests_to("/2.0/items")
    pages = sorted(int(parse_qs(r.query).get("page", ["1"])[0]) for r in requests)
    assert pages == list(range(1, 11))
    for received in requests:  # every page keeps the caller's parameters exactly once
        query = parse_qs(received.query)
        assert query["q"] == ['state = "OPEN"']
        assert query["fields"] == ["+values.x"]
        assert query["pagelen"] == ["10"]


def test_cursor_style_follows_next_verbatim(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.items = 23
    items = list(fake_client.paginate("/cursor", {"include": ["main", "dev"]}, pagelen=5))
    assert [i["id"] for i in items] == list(range(23))
    requests = fake.requests_to("/2.0/cursor")
    assert len(requests) == 5
    assert [parse_qs(r.query).get("ctx", [None])[0] for r in requests] == [None, "c5", "c10", "c15", "c20"]
    assert all(parse_qs(r.query)["include"] == ["main", "dev"] for r in requests)


def test_limit_stops_requests_early(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.items = 95
    items = list(fake_client.paginate("/items", pagelen=10, limit=25))
    assert [i["id"] for i in items] == list(range(25))
    assert len(fake.requests_to("/2.0/items")) == 3
    fake.reset()
    fake.items = 95
    assert len(list(fake_client.paginate("/cursor", pagelen=10, limit=12))) == 12
    assert len(fake.requests_to("/2.0/cursor")) == 2


def test_abandoned_iteration_makes_no_further_requests(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.items = 50
    iterator = fake_client.paginate("/cursor", pagelen=10)
    first = next(iterator)
    iterator.close()
    assert first == {"id": 0}
    assert len(fake.requests_to("/2.0/cursor")) == 1


def test_paginate_many_keeps_page_order_per_key(fake_client: BitbucketClient, fake: FakeState) -> None:
    fake.items = 42
    requests = [(n, "/items" if n % 2 else "/cursor", {"tag": str(n)}) for n in range(12)]
    seen: dict[int, list[int]] = {}
    for key, item in fake_client.paginate_many(requests, pagelen=10, limit=35):
        seen.setdefault(key, []).append(item["id"])
    assert seen == {n: list(range(35)) for n in range(12)}


def test_get_many_returns_each_object_and_optionally_errors(fake_client: BitbucketClient, fake: FakeState) -> None:
    results = dict(fake_client.get_many([(n, "/user", {"n": n}) for n in range(20)]))
    assert set(results) == set(range(20))
    assert all(r["display_name"] == "Fake User" for r in results.values())
    fake.script("/2.0/user", 404)
    mixed = dict(fake_client.get_many([("missing", "/user", None)], return_errors=True))
    assert isinstance(mixed["missing"], errors.NotFoundError)


def test_concurrency_never_exceeds_max_concurrency(fake_server: tuple[str, FakeState], fake: FakeState) -> None:
    root, _ = fake_server
    with BitbucketClient(f"BaseURL={root}/2.0;MaxConcurrency=3") as client:
        results = list(client.get_many([(n, "/slow", {"s": "0.1", "n": n}) for n in range(9)]))
        assert len(results) == 9
        pool = client._http._transport._pool  # httpcore pool: the sockets actually opened
        assert len(pool.connections) <= 3
    assert 2 <= fake.peak <= 3  # requests did overlap, but never more than MaxConcurrency


def test_with_page_changes_only_the_page_parameter() -> None:
    import httpx

    url = httpx.URL("https://api.bitbucket.org/2.0/r?q=a+%3D+%22b%22&fields=%2Bvalues.x&page=2&pagelen=50")
    assert str(with_page(url, 7)) == (
        "https://api.bitbucket.org/2.0/r?q=a+%3D+%22b%22&fields=%2Bvalues.x&page=7&pagelen=50"
    )
    assert str(with_page(httpx.URL("https://h/x?a=1"), 3)) == "https://h/x?a=1&page=3"


@pytest.mark.parametrize("pagelen", [1, 7, 100])
def test_page_sizes_cover_the_collection(fake_client: BitbucketClient, fake: FakeState, pagelen: int) -> None:
    fake.items = 30
    assert [i["id"] for i in fake_client.paginate("/items", pagelen=pagelen)] == list(range(30))


def test_pages_wait_for_their_turn_undecoded_and_are_decoded_on_the_callers_thread(
    fake_client: BitbucketClient, fake: FakeState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page fetched ahead of the caller waits as its body (a fraction of its decoded size)."""
    import threading

    decoded_on: list[int] = []
    original = BitbucketClient._json

    def recording_json(response, empty_ok=False):  # type: ignore[no-untyped-def]
        decoded_on.append(threading.get_ident())
        return original(response, empty_ok)

    monkeypatch.setattr(BitbucketClient, "_json", staticmethod(recording_json))
    fake.items = 95
    items = list(fake_client.paginate("/items", pagelen=10))
    assert [i["id"] for i in items] == list(range(95))
    assert decoded_on == [threading.get_ident()] * 10


def test_a_page_that_is_not_json_fails_its_collection_at_that_page(
    fake_client: BitbucketClient, fake: FakeState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decoding later must not change which error a broken page gives, nor the items before it."""
    original = BitbucketClient._json
    calls = {"n": 0}

    def broken_third_page(response, empty_ok=False):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise errors.UnexpectedResponseError("the JSON answer is cut short", method="GET", url=str(response.url))
        return original(response, empty_ok)

    monkeypatch.setattr(BitbucketClient, "_json", staticmethod(broken_third_page))
    fake.items = 50
    got = list(fake_client.paginate_many([("k", "/cursor", None)], pagelen=10, return_errors=True))
    assert [item["id"] for _, item in got[:-1]] == list(range(20))
    assert isinstance(got[-1][1], errors.UnexpectedResponseError)


def test_read_responses_are_freed_without_the_garbage_collector(fake_client: BitbucketClient, fake: FakeState) -> None:
    """httpx's stream wrapper refers back to its response; a read response must not keep that
    cycle, or bodies stay in memory until a full collection (dozens of pages of a large scan)."""
    import gc

    import httpx

    fake.items = 95
    gc.collect()
    gc.disable()
    try:
        items = list(fake_client.paginate("/items", pagelen=10))
        alive = [obj for obj in gc.get_objects() if isinstance(obj, httpx.Response)]
    finally:
        gc.enable()
    assert len(items) == 95
    assert alive == []


def test_a_caller_that_reads_every_item_has_the_next_page_requested_before_the_items(
    fake_client: BitbucketClient, fake: FakeState
) -> None:
    """``reads_all``: the pool works on the next cursor page while the caller works on this one
    (the request for page 2 leaves before page 1's first item is handed over); nothing changes
    in what is yielded or how many requests the whole collection takes."""
    import time

    fake.items = 50
    iterator = fake_client.paginate_many([("k", "/cursor", None)], pagelen=10, reads_all=True)
    first = next(iterator)
    waited_until = time.monotonic() + 5
    while len(fake.requests_to("/2.0/cursor")) < 2 and time.monotonic() < waited_until:
        time.sleep(0.01)
    assert len(fake.requests_to("/2.0/cursor")) == 2
    rest = list(iterator)
    assert [item["id"] for _, item in [first, *rest]] == list(range(50))
    assert len(fake.requests_to("/2.0/cursor")) == 5
