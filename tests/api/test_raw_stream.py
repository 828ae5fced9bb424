"""Raw answers read with a cap (``get_raw_many(..., max_bytes=...)``): a file above it is not read
into memory, whether its answer announces its size or streams it without one.

The server side is an httpx transport whose body is generated chunk by chunk and counts the
bytes the client pulled from it: what a socket would have had to deliver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from _helpers_connect import demo_settings
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.errors import NotFoundError
from bitbucket_sql.api.raw_stream import RawBody

CAP = 1024 * 1024
CHUNK = 64 * 1024
FILE = "/repositories/acme/api/src/main/dump.sql"


class GeneratedBody(httpx.SyncByteStream):
    """``size`` bytes in ``CHUNK``-sized pieces, made only when the client asks for them."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pulled = 0
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        left = self.size
        while left > 0:
            piece = b"x" * min(CHUNK, left)
            left -= len(piece)
            self.pulled += len(piece)
            yield piece

    def close(self) -> None:
        self.closed = True


class FileServer:
    """Answers every request with one generated file (with or without its Content-Length)."""

    def __init__(self, size: int, *, announce: bool, status: int = 200) -> None:
        self.size, self.announce, self.status = size, announce, status
        self.bodies: list[GeneratedBody] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = GeneratedBody(self.size)
        self.bodies.append(body)
        headers = {"Content-Type": "text/plain"}
        if self.announce:
            headers["Content-Length"] = str(self.size)
        return httpx.Response(self.status, headers=headers, stream=body)


def fetch(server: Any, max_bytes: int | None) -> tuple[RawBody, BitbucketClient]:
    client = BitbucketClient("BaseURL=https://api.bitbucket.org/2.0;AccessToken=t0ken;MaxRetries=0",
                             transport=httpx.MockTransport(server))
    try:
        [(_, body)] = list(client.get_raw_many([(0, FILE, None)], max_bytes=max_bytes))
    finally:
        client.close()
    return body, client


def test_a_streamed_file_above_the_cap_is_read_only_up_to_the_cap() -> None:
    size = 500 * 1024 * 1024  # a 500 MB file, streamed without a length
    server = FileServer(size, announce=False)
    body, client = fetch(server, CAP)
    assert body.over_limit and body.size is None and body.content == b""
    [generated] = server.bodies
    assert CAP < generated.pulled <= CAP + CHUNK  # the reading stopped at the cap, not at 500 MB
    assert generated.closed  # the connection is let go, not drained
    assert client.stats.bytes == CAP + 1  # what was kept: one byte more than the cap proves the excess


def test_an_announced_size_above_the_cap_is_refused_before_the_body_is_read() -> None:
    server = FileServer(3 * CAP, announce=True)
    body, client = fetch(server, CAP)
    assert body.over_limit and body.size == 3 * CAP
    assert server.bodies[0].pulled == 0 and server.bodies[0].closed
    assert client.stats.bytes == 0


@pytest.mark.parametrize("announce", [True, False])
@pytest.mark.parametrize("size", [0, 1, CAP - 1, CAP])
def test_a_file_up_to_the_cap_is_read_whole(size: int, announce: bool) -> None:
    body, _ = fetch(FileServer(size, announce=announce), CAP)
    assert not body.over_limit and body.content == b"x" * size and body.content_type == "text/plain"


def test_just_above_the_cap_is_over_it() -> None:
    body, _ = fetch(FileServer(CAP + 1, announce=False), CAP)
    assert body.over_limit and body.size is None


def test_without_a_cap_the_whole_file_is_read() -> None:
    body, _ = fetch(FileServer(3 * CAP, announce=False), None)
    assert not body.over_limit and len(body.content) == 3 * CAP


def test_an_error_answer_is_read_whole_and_raised_whatever_the_cap() -> None:
    def not_found(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"type": "error", "error": {"message": "No such file: " + "y" * 200}})

    client = BitbucketClient("BaseURL=https://api.bitbucket.org/2.0;AccessToken=t0ken;MaxRetries=0",
                             transport=httpx.MockTransport(not_found))
    try:
        with pytest.raises(NotFoundError, match="No such file: y{200}"):
            list(client.get_raw_many([(0, FILE, None)], max_bytes=10))
    finally:
        client.close()


def test_the_emulator_s_huge_file_is_cut_at_the_cap_over_a_real_socket(emulator: Any) -> None:
    """The emulator streams ``data/warehouse-dump.sql`` (256 MiB, chunked) in globex."""
    with BitbucketClient(demo_settings(emulator.base_url)) as client:
        slug = client.get("/repositories/globex", {"pagelen": 1})["values"][0]["slug"]
        path = f"/repositories/globex/{slug}/src/main/data/warehouse-dump.sql"
        with client.recording() as recording:
            [(_, body)] = list(client.get_raw_many([(0, path, None)], max_bytes=CAP))
        assert body.over_limit and body.size is None
        assert [record.bytes for record in recording.records] == [CAP + 1]
        # the connection pool still works after a connection was cut mid-body
        assert client.get(f"/repositories/globex/{slug}")["slug"] == slug
