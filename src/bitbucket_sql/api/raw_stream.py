"""Raw answers (a file's bytes) read with a cap, so a file above it never fills memory.

``file_contents`` keeps at most ``max_content_bytes`` of a file; above that the query fails.
Reading the whole body first and measuring it afterwards would hold a 500 MB file in memory
just to refuse it. Here the body of a successful answer is read through a capped stream instead:

- a ``Content-Length`` above the cap (on an answer that is not content-encoded, where that
  header is the file's size) is refused before any of the body is read;
- otherwise the body is read chunk by chunk and the reading stops once ``cap + 1`` bytes are in
  (the extra byte proves the file is larger); the connection is then closed, not drained.

So at most ``cap + 1`` bytes are kept, and at most one network chunk (64 KiB) more is read from
the socket. The cap counts the bytes received: an answer compressed by the server
(``Content-Encoding``) can decode to more than that. Error answers and redirects are read whole
(their bodies are small and their text is part of the error).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from bitbucket_sql.api._httpx import httpx


@dataclass(frozen=True)
class RawBody:
    """The answer of a raw endpoint (a file's bytes) and its Content-Type header.

    ``size`` is the size ``Content-Length`` announced (None when the answer did not say, or was
    content-encoded). ``over_limit`` is true when the body is larger than the cap the caller
    gave: ``content`` is then empty (the part that was read is dropped).
    """

    content: bytes
    content_type: str
    over_limit: bool = False
    size: int | None = None


class _CappedStream(httpx.SyncByteStream):
    """Passes on the chunks of ``inner`` until ``budget`` bytes went by, then stops and closes it."""

    def __init__(self, inner: httpx.SyncByteStream, budget: int) -> None:
        self._inner = inner
        self._budget = budget

    def __iter__(self) -> Iterator[bytes]:
        left = self._budget
        if left <= 0:
            return
        for chunk in self._inner:
            if len(chunk) >= left:
                yield chunk[:left]
                return
            left -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._inner.close()


def announced_size(response: httpx.Response) -> int | None:
    """The body's size from ``Content-Length`` when it is the file's size (no content encoding)."""
    if response.headers.get("content-encoding", "identity").strip().lower() not in ("", "identity"):
        return None
    try:
        size = int(response.headers.get("content-length", ""))
    except ValueError:
        return None
    return size if size >= 0 else None


def read_capped(response: httpx.Response, max_bytes: int | None) -> None:
    """Read a streamed response's body: whole, or for a 2xx answer with ``max_bytes`` at most
    ``max_bytes + 1`` bytes (nothing when ``Content-Length`` is already above it).

    The response is closed when reading fails (as httpx does for a response it reads itself).
    Once read, its stream is the body itself: httpx's client wraps the stream in an object that
    refers back to the response, a cycle that only the garbage collector frees, so a response
    that lived a while (a page waiting for its turn) would keep its body long after use.
    """
    try:
        if max_bytes is not None and response.is_success and isinstance(response.stream, httpx.SyncByteStream):
            size = announced_size(response)
            budget = 0 if size is not None and size > max_bytes else max_bytes + 1
            response.stream = _CappedStream(response.stream, budget)
        response.read()
        response.stream = httpx.ByteStream(response.content)
    except BaseException:
        response.close()
        raise


def raw_body(response: httpx.Response, max_bytes: int | None) -> RawBody:
    """The :class:`RawBody` of a response read by :func:`read_capped` with the same cap."""
    content = response.content
    size = announced_size(response)
    over = max_bytes is not None and (len(content) > max_bytes or (size is not None and size > max_bytes))
    return RawBody(
        content=b"" if over else content,  # what was read of a file above the cap is of no use
        content_type=response.headers.get("content-type", ""),
        over_limit=over,
        size=size,
    )
