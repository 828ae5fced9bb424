"""Exceptions raised by the API client, one type per kind of failure.

Callers (the engine, DB-API, CLI) turn these into user-facing messages as they are, so every
message is one readable paragraph: what failed, how often it was tried, and what to do next.
URLs in messages and attributes are redacted (no query secrets, no user-info), and no
credential is ever part of an exception: the message and every text attribute pass
:func:`~bitbucket_sql.api.redact.redact_text`, the same redactor as the logs, when the
exception is built, so a server that echoes the Authorization header cannot leak it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from bitbucket_sql.api.redact import redact_text, redact_url

APP_PASSWORDS_REMOVED = (
    "Bitbucket Cloud removed app passwords on 2026-07-28; create an API token "
    "(Atlassian account settings > Security > API tokens) and connect with "
    "AuthScheme=APIToken;User=<your Atlassian e-mail>;APIToken=<token>."
)
TRACKER_REMOVED = (
    "Bitbucket removed its issue tracker and wikis on 2026-08-20; their endpoints answer 410. "
    "Use Jira (or the data you exported before the removal) instead."
)


class BitbucketError(Exception):
    """Base class of every error the API client raises.

    ``status`` is the HTTP status (None for transport and configuration errors), ``method`` and
    ``url`` identify the request (``url`` is redacted), ``hint`` says what to do, ``attempts``
    how many times the request was sent and ``elapsed`` over how many seconds (retries
    included), ``api_message``/``detail``/``fields`` carry the API's own error envelope when
    there was one.
    """

    def __init__(
        self,
        summary: str,
        *,
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
        hint: str | None = None,
        attempts: int = 1,
        elapsed: float | None = None,
        api_message: str | None = None,
        detail: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.summary = redact_text(summary)
        self.status = status
        self.method = method
        self.url = redact_url(url) if url else url
        self.hint = redact_text(hint) if hint else hint
        self.attempts = attempts
        self.elapsed = elapsed
        self.api_message = redact_text(api_message) if api_message else api_message
        self.detail = redact_text(detail) if detail else detail
        self.fields = {name: _redacted(value) for name, value in (fields or {}).items()}
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = []
        if self.method and self.url:
            # who may see what does not depend on the query string (fields, pagelen): leave it out
            shown = self.url.split("?", 1)[0] if self.status in _QUERY_IRRELEVANT else self.url
            parts.append(f"{self.method} {shown} failed:")
        parts.append(_sentence(self.summary))
        if self.attempts > 1:
            over = f" over {self.elapsed:.1f} s" if self.elapsed is not None else ""
            parts.append(f"The request was tried {self.attempts} times{over}.")
        if self.hint:
            parts.append(_sentence(self.hint))
        return redact_text(" ".join(parts))  # secrets registered since (rotated tokens) too

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep exceptions picklable (multiprocessing, pytest-xdist) despite keyword-only args.
        return (_rebuild, (self.__class__, self.__dict__.copy()))


def _redacted(value: Any) -> Any:
    """A field-error value with its text redacted (lists of messages stay lists)."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    return value


#: Statuses whose message need not show the request's query string.
_QUERY_IRRELEVANT = frozenset({401, 403, 404, 410})


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def _rebuild(cls: type[BitbucketError], state: dict[str, Any]) -> BitbucketError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._compose())
    return error


class ConfigurationError(BitbucketError, ValueError):
    """Bad connection properties (unknown key, wrong type, missing credential)."""


class AuthenticationError(BitbucketError):
    """401: the credentials were missing, wrong, revoked or expired."""


class PermissionDeniedError(BitbucketError):
    """403: authenticated, but the credential lacks a scope or permission."""


class NotFoundError(BitbucketError):
    """404: the workspace, repository or object does not exist or is invisible to you."""


class ConflictError(BitbucketError):
    """409: the change conflicts with the current state (duplicate, moved ref)."""


class GoneError(BitbucketError):
    """410: the resource was removed for good (issue tracker, wikis, spam-flagged objects)."""


class ValidationError(BitbucketError):
    """400: the API rejected the request (bad BBQL, invalid pagelen, invalid body)."""


class RateLimitedError(BitbucketError):
    """429 after every retry: the hourly request budget is used up."""


class ServerError(BitbucketError):
    """5xx after every retry."""


class TransportError(BitbucketError):
    """Timeouts and dropped connections after every retry."""


class CrossHostError(BitbucketError):
    """A ``next`` link or redirect pointed to another host; credentials are never sent there."""


class UnexpectedResponseError(BitbucketError):
    """The server answered 2xx with something that is not the documented shape (not JSON, a page
    without a ``values`` list, a ``next`` link that leads back to a page already read)."""


class TooManyPagesError(BitbucketError):
    """A collection did not end within MaxPages pages (an endless cursor, or a huge collection)."""


class DeadlineExceededError(TransportError):
    """One request (connect, send and every read together) took longer than Timeout."""


class OAuthFlowError(AuthenticationError):
    """The OAuth authorization-code or token exchange failed (denied consent, bad state)."""


def parse_error_envelope(body: Any) -> tuple[str | None, str | None, dict[str, Any]]:
    """Extract ``message``, ``detail`` and ``fields`` from Bitbucket's error envelope.

    Bitbucket answers ``{"type": "error", "error": {"message": .., "detail": .., "fields": ..}}``;
    gateways and the 429 page answer plain text, which becomes the message.
    """
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            message = inner.get("message")
            detail = inner.get("detail")
            raw_fields = inner.get("fields")
            fields: dict[str, Any] = raw_fields if isinstance(raw_fields, dict) else {}
            return (
                str(message) if message is not None else None,
                str(detail) if detail is not None else None,
                fields,
            )
        if isinstance(body.get("error_description"), str):  # OAuth token endpoint errors
            return body.get("error_description"), body.get("error"), {}
        return None, None, {}
    if isinstance(body, str) and body.strip():
        text = " ".join(body.split())
        return (text[:300], None, {})
    return None, None, {}


_SEGMENT_NAMES = {
    "pullrequests": "pull request",
    "commit": "commit",
    "commits": "commits of",
    "refs": "ref",
    "branches": "branch",
    "tags": "tag",
    "pipelines": "pipeline",
    "deployments": "deployment",
    "environments": "environment",
    "comments": "comment",
    "hooks": "webhook",
    "projects": "project",
    "members": "member",
    "issues": "issue",
    "tasks": "task",
}


def describe_target(url: str | None) -> str | None:
    """Name the workspace/repository/object a URL points at, for 404 messages."""
    if not url:
        return None
    path = [unquote(part) for part in urlsplit(url).path.split("/") if part]
    if path and re.fullmatch(r"\d+\.\d+", path[0]):
        path = path[1:]
    if len(path) >= 2 and path[0] == "repositories":
        workspace = path[1]
        if len(path) == 2:
            return f"workspace '{workspace}'"
        target = f"repository '{workspace}/{path[2]}'"
        rest = path[3:]
        if len(rest) >= 2 and rest[0] in _SEGMENT_NAMES:
            return f"{_SEGMENT_NAMES[rest[0]]} '{rest[1]}' in {target}"
        return target
    if len(path) >= 2 and path[0] == "workspaces":
        target = f"workspace '{path[1]}'"
        rest = path[2:]
        if len(rest) >= 2 and rest[0] in _SEGMENT_NAMES:
            return f"{_SEGMENT_NAMES[rest[0]]} '{rest[1]}' in {target}"
        return target
    if len(path) >= 2 and path[0] == "users":
        return f"user '{path[1]}'"
    return "/" + "/".join(path) if path else None


_AUTH_HINTS = {
    "APIToken": (
        "Check that User is your Atlassian account e-mail (not your Bitbucket username) and that APIToken "
        "is an API token (app passwords stopped working on 2026-07-28), not expired or revoked, with the "
        "scopes this request needs"
    ),
    "AccessToken": (
        "The access token was rejected: it may be revoked or expired, or belong to another workspace, "
        "project or repository. Create a new one and set AccessToken"
    ),
    "OAuth": (
        "The OAuth token was rejected and could not be refreshed. Run 'bbsql auth login' to sign in again"
    ),
    "Client": (
        "The OAuth consumer's client-credentials token was rejected. Check OAuthClientId and "
        "OAuthClientSecret and that the consumer is private (client credentials need a private consumer)"
    ),
    "Basic": APP_PASSWORDS_REMOVED,
    "None": (
        "No credentials were configured and this resource is not public. Set AuthScheme=APIToken with "
        "User and APIToken, or AccessToken, or run 'bbsql auth login' for OAuth"
    ),
}


def _what_went_wrong(said: str) -> str:
    """``Bitbucket said: <its first sentence>``: what is wrong, without the advice that follows it."""
    if not said:
        return "Bitbucket gave no reason"
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", said, maxsplit=1)[0]
    return f"Bitbucket said: {first.rstrip('.')}"


def error_for_status(
    status: int,
    *,
    method: str,
    url: str,
    body: Any,
    attempts: int,
    auth_scheme: str,
    headers: dict[str, str] | None = None,
    elapsed: float | None = None,
    base_url: str | None = None,
) -> BitbucketError:
    """Map a failed response (after retries) to the matching exception with a hint.

    ``base_url`` (the connection's BaseURL) lets a 404 point at a BaseURL without ``/2.0``,
    the usual cause when every request is "not found".
    """
    api_message, detail, fields = parse_error_envelope(body)
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    said = " ".join(_sentence(part) for part in (api_message, detail) if part).rstrip(".")
    common: dict[str, Any] = {
        "status": status,
        "method": method,
        "url": url,
        "attempts": attempts,
        "elapsed": elapsed,
        "api_message": api_message,
        "detail": detail,
        "fields": fields,
    }
    api_said = f"Bitbucket said: {said}" if said else "Bitbucket gave no reason"
    if status == 401:
        hint = _AUTH_HINTS.get(auth_scheme, _AUTH_HINTS["None"])
        api_said = _what_went_wrong(said)  # its advice (use an API token...) repeats the hint
        if "app password" in api_said.lower():  # Bitbucket said it already: say it once
            hint = hint.replace(" (app passwords stopped working on 2026-07-28)", "")
        if "expired" in said.lower() and auth_scheme == "OAuth":
            hint = "The OAuth access token expired and could not be refreshed; run 'bbsql auth login'"
        return AuthenticationError(
            f"401 Unauthorized using AuthScheme={auth_scheme}; {api_said}", hint=hint, **common
        )
    if status == 403:
        needed = headers.get("x-accepted-oauth-scopes")
        granted = headers.get("x-oauth-scopes")
        scope_text = ""
        if needed:
            scope_text = f" The request needs scope(s): {needed}"
            if granted is not None:
                scope_text += f"; the credential has: {granted or 'none'}"
        hint = (
            "Grant the credential the missing scope or permission (API tokens and access tokens have "
            "fixed scopes: create a new one with the right scopes), or ask a workspace admin for access"
        )
        return PermissionDeniedError(f"403 Forbidden; {api_said}.{scope_text}", hint=hint, **common)
    if status == 404:
        api_said = _what_went_wrong(said)  # its advice ("Check the workspace slug...") repeats the hint
        target = describe_target(url)
        what = f"{target} was not found" if target else "the resource was not found"
        hint = (
            "Check the workspace and repository slugs (they are case-sensitive) and that your "
            "credential can see them; Bitbucket answers 404 for private objects you may not read"
        )
        if base_url and not urlsplit(base_url).path.rstrip("/").endswith("/2.0"):
            hint = (
                f"BaseURL usually ends with /2.0 (https://api.bitbucket.org/2.0), but it is {redact_url(base_url)}; "
                f"add /2.0 unless this server serves the API elsewhere. Otherwise: {hint}"
            )
        return NotFoundError(f"404 Not Found: {what}; {api_said}", hint=hint, **common)
    if status == 410:
        return GoneError(f"410 Gone; {api_said}", hint=TRACKER_REMOVED, **common)
    if status == 409:
        return ConflictError(
            f"409 Conflict; {api_said}",
            hint="Re-read the object and retry the change against its current state",
            **common,
        )
    if status == 400:
        field_text = ""
        if fields:
            field_text = " Field errors: " + "; ".join(
                f"{name}: {', '.join(map(str, errs)) if isinstance(errs, list) else errs}"
                for name, errs in fields.items()
            )
        return ValidationError(
            f"400 Bad Request; {api_said}.{field_text}",
            hint="Fix the request (query filter, parameter or body) as the message says",
            **common,
        )
    if status == 429:
        return RateLimitedError(
            f"429 Too Many Requests; {api_said}",
            hint=(
                "The hourly request budget for this credential is used up (Bitbucket counts a rolling "
                "hour). Wait before retrying, narrow the query (fix repository or other keys), raise "
                "CacheTTL, or use an access token on a scaled workspace"
            ),
            **common,
        )
    if status >= 500:
        return ServerError(
            f"{status} server error; {api_said}",
            hint="Bitbucket had a problem; retry later or check https://bitbucket.status.atlassian.com",
            **common,
        )
    return BitbucketError(f"unexpected HTTP {status}; {api_said}", **common)
