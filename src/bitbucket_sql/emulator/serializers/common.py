"""Small value builders shared by every object shape: timestamps, links, rendered text, UUIDs.

Objects in the store carry absolute hrefs under the canonical origin :data:`API_ROOT`
(``https://api.bitbucket.org/2.0``); responses rewrite that prefix to the emulator's own base URL
(see :mod:`.render`), so the store never depends on the port it is served on.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

API_ROOT = "https://api.bitbucket.org/2.0"
WEB_ROOT = "https://bitbucket.org"
AVATAR_ROOT = "https://avatar-management.example/initials"

JSON = dict[str, Any]


def iso(moment: datetime) -> str:
    """Bitbucket's timestamp form: UTC, microseconds, explicit ``+00:00``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def seconds_iso(text: str) -> str:
    """Git dates as live Bitbucket renders them (commits, refs, tags): no fraction, ``+00:00``."""
    return _moment(text).astimezone(UTC).isoformat(timespec="seconds")


def zulu(text: str, *, nanoseconds: bool = False) -> str:
    """The pipelines/deployments/webhooks form: ``Z`` and varying precision, as recorded live.

    Trailing zeros of the microseconds are dropped (``.969Z``, ``.54158Z``; none left drops the
    fraction); webhooks print nanoseconds (nine digits)."""
    moment = _moment(text).astimezone(UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if nanoseconds:
        return f"{base}.{moment.microsecond:06d}{moment.microsecond % 997:03d}Z"
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def naive_millis(text: str) -> str:
    """``/user/permissions/workspaces`` ``added_on``: milliseconds and no offset (UTC), as recorded."""
    return _moment(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def now_iso() -> str:
    """The current time in :func:`iso` form (write routes use it; the generator never does)."""
    return iso(datetime.now(UTC))


def braced(uuid_text: str) -> str:
    """A UUID in Bitbucket's braced form, whether or not it already has braces."""
    bare = uuid_text.strip("{}")
    return "{" + bare + "}"


def encoded(segment: str) -> str:
    """A path segment percent-encoded the way Bitbucket renders braced UUIDs (``%7B...%7D``)."""
    return quote(segment, safe="")


def api(path: str) -> str:
    """An absolute API href for ``path`` (which starts with ``/``)."""
    return API_ROOT + path


def web(path: str) -> str:
    """An absolute web (HTML) href for ``path``."""
    return WEB_ROOT + path


def link(href: str) -> JSON:
    return {"href": href}


def rendered(raw: str, markup: str = "markdown") -> JSON:
    """A rendered text object; the HTML is a plain paragraph rendering, enough for clients."""
    paragraphs = "".join(f"<p>{html.escape(part)}</p>" for part in raw.split("\n\n") if part)
    return {"type": "rendered", "raw": raw, "markup": markup, "html": paragraphs}


def avatar(initials: str) -> str:
    return f"{AVATAR_ROOT}/{quote(initials)}-1.png"
