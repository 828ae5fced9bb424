"""Sending a statement's write requests concurrently, and accounting for every one of them.

At most MaxConcurrency requests are in flight (the client's own connection pool has that many
sockets). The first failure stops the requests not yet started; those already in flight finish.
Each request ends as written, failed (with the reason), *uncertain* (its answer was lost: a
POST is never repeated then, and a PUT or DELETE ran out of retries, so it may or may not have
been applied) or not attempted, so the statement's error can say exactly what happened to each row.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bitbucket_sql.api.errors import BitbucketError, PermissionDeniedError, TransportError
from bitbucket_sql.api.redact import MASK, SCRUBBER

from .errors import WriteScopeError
from .requests import WriteRequest

if TYPE_CHECKING:  # an annotation only: importing the engine must not load the HTTP stack
    from bitbucket_sql.api.client import BitbucketClient


@dataclass
class Outcome:
    """What became of one request."""

    request: WriteRequest
    status: str = "not attempted"  # written | failed | uncertain | not attempted
    response: Any = None
    error: BaseException | None = None


def send_all(client: BitbucketClient, requests: Sequence[WriteRequest], concurrency: int) -> list[Outcome]:
    """Send every request (stopping new ones after a failure); one outcome per request, in order."""
    for request in requests:
        SCRUBBER.register(*request.secret_values())  # never in logs or error texts from here on
    outcomes = [Outcome(request) for request in requests]
    stop = threading.Event()

    def one(outcome: Outcome) -> None:
        if stop.is_set():
            return
        request = outcome.request
        try:
            response = client.request(request.method, request.path, json=request.body)
        except BitbucketError as error:
            stop.set()
            outcome.error = error
            # no answer at all (timeout, dropped connection): the server may have applied it
            outcome.status = "uncertain" if isinstance(error, TransportError) else "failed"
            return
        outcome.status = "written"
        outcome.response = _json_or_none(response.content)

    if len(outcomes) <= 1 or concurrency <= 1:
        for outcome in outcomes:
            one(outcome)
        return outcomes
    with ThreadPoolExecutor(max_workers=min(concurrency, len(outcomes)), thread_name_prefix="bbsql-write") as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, outcome) for outcome in outcomes]
        for future in futures:
            future.result()
    return outcomes


def _json_or_none(content: bytes) -> Any:
    if not content or not content.strip():
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


_REQUIRED_SCOPE = (
    re.compile(r"requires? the scopes? '([a-z:_-]+)'"),
    re.compile(r"required['\"]?\s*:\s*\[\s*['\"]([a-z:_-]+)['\"]"),
)


def missing_scope(error: BaseException, declared: str | None) -> str | None:
    """The OAuth scope a 403 says is missing (the API's answer first, the catalog's declaration
    second), or None when the 403 is about something else (not an admin, a private repository)."""
    if not isinstance(error, PermissionDeniedError):
        return None
    said = " ".join(part for part in (error.api_message, error.detail) if part)
    for pattern in _REQUIRED_SCOPE:
        found = pattern.search(said)
        if found:
            return found.group(1)
    return declared if "scope" in said.lower() else None


def scope_error(error: BitbucketError, scope: str, token_scopes: Sequence[str], verb: str,
                table: str) -> WriteScopeError:
    """A 403 for a missing scope, as an error that names the scope the write needs (classic OAuth, and
    the API-token scopes of the same operation)."""
    as_token = f" (API tokens: {', '.join(token_scopes)})" if token_scopes else ""
    return WriteScopeError(
        f"The {verb} on table {table!r} was refused (403): the credential lacks the scope {scope!r}{as_token} "
        f"that this write needs. Create a token or consumer with that scope and connect with it. "
        f"Bitbucket said: {error.api_message or 'forbidden'}" + (f" {error.detail}" if error.detail else ""),
        scope,
    )


def reason(error: BaseException | None, secrets: Sequence[str] = ()) -> str:
    """One line saying why a request failed, with any secret it carried masked.

    A secret of 4 characters or more is masked wherever it appears. A shorter one (a variable
    whose value is ``1``) only where it stands alone, as an API echoing the body would show it
    (``"value": "1"``): masking every ``1`` would mangle the URL and status code around it.
    """
    text = " ".join(str(error).split()) if error is not None else "unknown"
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, MASK)
        elif secret:
            text = re.sub(rf"(?<![\w./:-]){re.escape(secret)}(?![\w./:-])", MASK, text)
    return text
