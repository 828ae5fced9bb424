"""A ``requests.Session`` that counts what the baseline library sends and receives.

``atlassian-python-api`` accepts a ready session (``Cloud(..., session=...)``) and shares it
with every object it creates, so one counting session sees every request the library makes.
The counting itself (decoding a body again to count its ``values``) is timed separately and
subtracted, so it does not inflate the baseline's time. Requests go out exactly as the library
builds them (including its trailing slashes, which Bitbucket and the emulator both accept).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

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
        self._lock = threading.Lock()  # the tuned baseline sends from 8 threads at once

    def reset(self) -> Tally:
        with self._lock:
            finished, self.tally = self.tally, Tally()
        return finished

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        response = super().send(request, **kwargs)
        _ = response.content  # read the body inside the timed section
        received = time.perf_counter()
        items = _items_in(response)
        with self._lock:
            self.tally.requests += 1
            self.tally.http_s += received - started
            self.tally.bytes += len(response.content)
            self.tally.rows_fetched += items
            self.tally.accounting_s += time.perf_counter() - received
        return response


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
