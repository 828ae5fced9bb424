"""A ``requests.Session`` that counts what the baseline library sends and receives.

``atlassian-python-api`` accepts a ready session (``Cloud(..., session=...)``) and shares it
with every object it creates, so one counting session sees every request the library makes.
The counting itself (decoding a body again to count its ``values``) is timed separately and
subtracted, so it does not inflate the baseline's time. One emulator difference is smoothed
over here, see :func:`without_trailing_slash`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests


@dataclass
class Tally:
    requests: int = 0
    bytes: int = 0
    rows_fetched: int = 0
    http_s: float = 0.0
    accounting_s: float = 0.0


class CountingSession(requests.Session):
    """Counts requests, body bytes and API items (page ``values`` or one object per GET)."""

    def __init__(self) -> None:
        super().__init__()
        self.tally = Tally()

    def reset(self) -> Tally:
        finished, self.tally = self.tally, Tally()
        return finished

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        request.url = without_trailing_slash(request.url or "")
        started = time.perf_counter()
        response = super().send(request, **kwargs)
        _ = response.content  # read the body inside the timed section
        received = time.perf_counter()
        self.tally.requests += 1
        self.tally.http_s += received - started
        self.tally.bytes += len(response.content)
        self.tally.rows_fetched += _items_in(response)
        self.tally.accounting_s += time.perf_counter() - received
        return response


def without_trailing_slash(url: str) -> str:
    """``.../pullrequests/?q=..`` -> ``.../pullrequests?q=..``.

    The library adds a trailing slash to many list URLs (``pullrequests/``, ``commits/``,
    ``pipelines/``). Bitbucket Cloud answers those directly (atlassian-python-api issue #801 logs
    ``GET /2.0/repositories/../pullrequests/ 200``), but the emulator redirects them (307, a second
    request) or reads ``commits/`` as an empty revision. Dropping the slash gives the request
    Bitbucket would answer, so the baseline is charged what it would cost there.
    """
    parts = urlsplit(url)
    if len(parts.path) > 1 and parts.path.endswith("/"):
        return urlunsplit(parts._replace(path=parts.path.rstrip("/")))
    return url


def _items_in(response: requests.Response) -> int:
    if not response.ok or "json" not in response.headers.get("content-type", ""):
        return 0
    try:
        body = json.loads(response.content)
    except ValueError:
        return 0
    if isinstance(body, dict) and isinstance(body.get("values"), list):
        return len(body["values"])
    return 1 if isinstance(body, dict) else 0
