"""Removing secrets from URLs, headers and free text before they reach logs or errors.

Every URL that ends up in a log line, an exception or a request record passes through
:func:`redact_url`; header dumps in verbose logs go through :func:`redact_headers`.
:func:`redact_text` is the one redactor for whole messages: log records (through
:class:`SecretScrubber` on the handlers this package installs) and the text of every exception
the API client, the DB-API driver and the CLI show. It masks every secret registered by the auth
schemes (including rotated OAuth tokens), credentials after ``Bearer``/``Basic`` and
``Authorization:``, ``Key=value`` pairs of secret properties and query parameters, and the
user-info of URLs. A server that echoes a request's Authorization header in its error body
therefore never gets the token printed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "********"

#: Query/form keys whose values are credentials (or one step away from one).
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "password",
        "token",
        "api_token",
        "apitoken",
        "secret",
        "assertion",
        "jwt",
        "code_verifier",
    }
)
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})


def redact_url(url: str) -> str:
    """The URL without user-info and with secret query values masked."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "<unparsable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(key.lower() in SECRET_KEYS for key, _ in pairs):
            query = urlencode([(k, MASK if k.lower() in SECRET_KEYS else v) for k, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """A copy of the headers with credential headers masked (the scheme word is kept)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    result: dict[str, str] = {}
    for name, value in items:
        if name.lower() in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            result[name] = f"{scheme} {MASK}".strip()
        else:
            result[name] = value
    return result


_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
# A credential after the scheme word; the lookahead spares prose ("Basic remains", "Bearer token")
_SCHEME_CREDENTIAL = re.compile(r"\b(Bearer|Basic)(\s+)(?=[A-Za-z0-9._~+/=-]{8,})(?=\S*[0-9=_~+/.-]|\S+[A-Z])"
                                r"[A-Za-z0-9._~+/=-]+")
_AUTHORIZATION_VALUE = re.compile(
    r"(?i)\b((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)(?:(bearer|basic|token)\s+)?[^\s,;'\"}\]]+"
)
_SECRET_NAMES = (
    r"api_?token|apitoken|password|passwd|access_?token|refresh_?token|client_?secret|oauthclientsecret|"
    r"oauthaccesstoken|oauthrefreshtoken|code_verifier|secret"
)
# ``APIToken=abc``, ``"access_token": "abc"``, ``password: 'abc'``; placeholders (``<token>``, ``'...'``) stay
_SECRET_ASSIGNMENT = re.compile(
    rf"(?i)\b({_SECRET_NAMES})(['\"]?\s*[=:]\s*)(?!<|{re.escape(MASK)}|'\.\.\.'|\"\.\.\.\")('[^']*'|\"[^\"]*\"|[^\s;&,'\"}}\]]+)"
)


def redact_text(text: str) -> str:
    """``text`` with every credential this module can recognise replaced by the mask.

    Used for log records and the text of every exception shown to a user, so both follow one
    rule. Registered secrets go first (they are exact), patterns catch what was never registered.
    """
    if not text:
        return text
    text = SCRUBBER.scrub(text)
    text = _URL.sub(lambda match: redact_url(match.group(0)), text)
    text = _AUTHORIZATION_VALUE.sub(lambda m: f"{m.group(1)}{(m.group(2) + ' ') if m.group(2) else ''}{MASK}", text)
    text = _SCHEME_CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _SECRET_ASSIGNMENT.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


class SecretScrubber(logging.Filter):
    """Replaces every registered secret in a log record's message with a mask.

    Installed on the handlers created for Verbosity/Logfile. Secrets are registered by the
    auth schemes when they learn them (including rotated OAuth tokens).
    """

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def register(self, *secrets: str | None) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= 4)

    def scrub(self, text: str) -> str:
        """``text`` with every registered secret replaced by the mask (longest first)."""
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = redact_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


class UrlRedactingFilter(logging.Filter):
    """Masks secret query values in URLs that libraries (httpx) put into their log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(
                redact_url(str(arg)) if "://" in str(arg) and "?" in str(arg) else arg for arg in record.args
            )
        elif isinstance(record.msg, str) and "://" in record.msg and "?" in record.msg and not record.args:
            record.msg = " ".join(redact_url(w) if "://" in w else w for w in record.msg.split(" "))
        return True


def install_library_filters() -> None:
    """Attach :class:`UrlRedactingFilter` to the httpx logger once (it logs every request URL)."""
    library = logging.getLogger("httpx")
    if not any(isinstance(f, UrlRedactingFilter) for f in library.filters):
        library.addFilter(UrlRedactingFilter())


#: One scrubber for the process: handlers share it, schemes register secrets in it.
SCRUBBER = SecretScrubber()
