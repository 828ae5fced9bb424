"""The connector's configuration (configuration.json, or the values typed into Fivetran's setup form).

Fivetran hands ``update()`` and ``schema()`` a flat dict of strings. This module turns it into
what the sync core needs (workspaces, tables, repositories, start date, request budget) and the
API client's :class:`ConnectionSettings`, and rejects bad input with a message that names the key
and says what to write instead. Secret values are never part of a message or a ``repr``.

It imports nothing from the Fivetran SDK, so the project's own tests check it in the project's
environment (tests/integrations/test_fivetran_configuration.py).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.settings import DEFAULT_BASE_URL, ConnectionSettings, parse_connection_string
from bitbucket_sql.sync.policy import parse_duration

#: auth_method value -> the API client's AuthScheme, and the keys it needs.
AUTH_METHODS: dict[str, tuple[str, tuple[str, ...]]] = {
    "api_token": ("APIToken", ("email", "api_token")),
    "access_token": ("AccessToken", ("access_token",)),
    "client_credentials": ("Client", ("client_id", "client_secret")),
}

#: Every key the connector reads, and what it means (the README's table says the same).
KEYS: dict[str, str] = {
    "workspaces": "workspace slugs to copy, comma-separated (required)",
    "auth_method": "api_token, access_token or client_credentials (optional: implied by the keys given)",
    "email": "Atlassian account e-mail, with api_token",
    "api_token": "Atlassian API token (secret), sent over Basic auth with email",
    "access_token": "workspace, project or repository access token (secret), sent as Bearer",
    "client_id": "OAuth consumer key, with client_secret (client-credentials grant)",
    "client_secret": "OAuth consumer secret (secret)",
    "base_url": f"API root including /2.0 (default {DEFAULT_BASE_URL}; the emulator's for tests)",
    "start_date": "copy history from this day on (YYYY-MM-DD or an ISO timestamp; default: all history)",
    "tables": "table names to copy, comma-separated (default: every table the sync core copies)",
    "repositories": "repository slugs to copy, comma-separated (default: every repository)",
    "max_requests": "most API requests one sync may make; the sync checkpoints and stops there (default: no cap)",
    "full_refresh_every": "list the per-repository settings tables again only when their last refresh is this "
    "old, e.g. 6h or 1d (default: on every sync)",
}

SECRET_KEYS = frozenset({"api_token", "access_token", "client_secret"})

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class ConnectorConfigurationError(ValueError):
    """configuration.json (or the setup form) holds a value the connector cannot use."""

    def __init__(self, key: str, problem: str, hint: str) -> None:
        self.key = key
        super().__init__(f"configuration key '{key}': {problem}. {hint}")


@dataclass(frozen=True)
class ConnectorConfiguration:
    """A checked configuration. ``settings`` masks its secrets in ``repr``."""

    workspaces: tuple[str, ...]
    tables: tuple[str, ...] | None
    repositories: tuple[str, ...] | None
    since: datetime | None
    max_requests: int | None
    settings: ConnectionSettings
    full_refresh_every: timedelta | None = None


def parse_configuration(configuration: Mapping[str, Any] | None) -> ConnectorConfiguration:
    """Check ``configuration`` and build the sync's inputs; raises :class:`ConnectorConfigurationError`."""
    values = _present_values(configuration or {})
    workspaces = _slug_list(values, "workspaces", required=True)
    assert workspaces is not None
    return ConnectorConfiguration(
        workspaces=workspaces,
        tables=_name_list(values, "tables"),
        repositories=_slug_list(values, "repositories", required=False),
        since=_start_date(values.get("start_date")),
        max_requests=_positive_int(values, "max_requests"),
        settings=_connection_settings(values),
        full_refresh_every=_duration(values, "full_refresh_every"),
    )


def _present_values(configuration: Mapping[str, Any]) -> dict[str, str]:
    """The keys with a value (Fivetran's form sends empty strings for fields left blank)."""
    values: dict[str, str] = {}
    for key, value in configuration.items():
        if key not in KEYS:
            close = difflib.get_close_matches(key, list(KEYS), n=1, cutoff=0.6)
            hint = f"Did you mean '{close[0]}'?" if close else "Known keys: " + ", ".join(KEYS)
            raise ConnectorConfigurationError(key, "is not a key this connector knows", hint)
        if value is None:
            continue
        if not isinstance(value, str):
            shown = "a value of another type" if key in SECRET_KEYS else repr(value)
            raise ConnectorConfigurationError(
                key,
                f"must be a string, not {shown}",
                "Fivetran passes every value as text: write it in quotes",
            )
        if value.strip():
            values[key] = value.strip()
    return values


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _slug_list(values: Mapping[str, str], key: str, *, required: bool) -> tuple[str, ...] | None:
    text = values.get(key)
    if text is None:
        if required:
            raise ConnectorConfigurationError(
                key,
                "is missing",
                'Give the workspace slugs to copy, e.g. "workspaces": "acme" or "acme, widgets"',
            )
        return None
    slugs = _split(text)
    for slug in slugs:
        if not _SLUG.match(slug):
            raise ConnectorConfigurationError(
                key,
                f"{slug!r} is not a slug",
                "Use the slugs from the URLs (bitbucket.org/<workspace>/<repository>), separated by commas",
            )
    if not slugs:
        raise ConnectorConfigurationError(
            key, "names nothing", "Give at least one slug, or leave the key out"
        )
    return tuple(dict.fromkeys(slugs))


def _name_list(values: Mapping[str, str], key: str) -> tuple[str, ...] | None:
    text = values.get(key)
    if text is None:
        return None
    names = tuple(dict.fromkeys(name.lower() for name in _split(text)))
    if not names:
        raise ConnectorConfigurationError(key, "names nothing", "Give table names, or leave the key out")
    return names


def _start_date(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConnectorConfigurationError(
            "start_date", f"{text!r} is not a date", 'Write it as YYYY-MM-DD, e.g. "2025-01-01"'
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _positive_int(values: Mapping[str, str], key: str) -> int | None:
    text = values.get(key)
    if text is None:
        return None
    if not text.isdigit() or int(text) < 1:
        raise ConnectorConfigurationError(
            key, f"{text!r} is not a positive whole number", 'Write a number of requests, e.g. "900"'
        )
    return int(text)


def _duration(values: Mapping[str, str], key: str) -> timedelta | None:
    text = values.get(key)
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError:
        raise ConnectorConfigurationError(
            key, f"{text!r} is not a duration", 'Write hours or days, e.g. "6h" or "1d" (or "1h30m")'
        ) from None


def _auth_method(values: Mapping[str, str]) -> str:
    """The explicit auth_method, or the one the given keys imply (exactly one must be implied)."""
    explicit = values.get("auth_method")
    if explicit is not None:
        method = explicit.lower()
        if method not in AUTH_METHODS:
            raise ConnectorConfigurationError(
                "auth_method", f"{explicit!r} is not a method", "Use one of: " + ", ".join(AUTH_METHODS)
            )
        return method
    implied = [name for name, (_, keys) in AUTH_METHODS.items() if any(k in values for k in keys)]
    if len(implied) == 1:
        return implied[0]
    if not implied:
        raise ConnectorConfigurationError(
            "auth_method",
            "no credentials are given",
            "Give email and api_token (an Atlassian API token), or access_token, "
            "or client_id and client_secret (an OAuth consumer)",
        )
    raise ConnectorConfigurationError(
        "auth_method",
        "the credentials of several methods are given (" + ", ".join(implied) + ")",
        "Say which one to use with auth_method, or remove the others",
    )


def _connection_settings(values: Mapping[str, str]) -> ConnectionSettings:
    method = _auth_method(values)
    scheme, needed = AUTH_METHODS[method]
    for key in needed:
        if key not in values:
            raise ConnectorConfigurationError(
                key, f"is missing (auth_method {method} needs {' and '.join(needed)})", f'Add "{key}"'
            )
    base_url = values.get("base_url", DEFAULT_BASE_URL)
    try:
        parse_connection_string(None, BaseURL=base_url)
    except ConfigurationError as error:
        raise ConnectorConfigurationError("base_url", error.summary, error.hint or "") from None
    properties: dict[str, Any] = {
        "BaseURL": base_url,
        "AuthScheme": scheme,
        # what a request costs matters more to a scheduled sync than the engine's query cache
        "CacheTTL": 0,
        "UserAgent": "fivetran-connector",
    }
    if scheme == "APIToken":
        properties.update(User=values["email"], APIToken=values["api_token"])
    elif scheme == "AccessToken":
        properties.update(AccessToken=values["access_token"])
    else:
        properties.update(OAuthClientId=values["client_id"], OAuthClientSecret=values["client_secret"])
    try:
        return parse_connection_string(None, **properties)
    except ConfigurationError as error:  # the messages name properties; secrets are already masked
        raise ConnectorConfigurationError(f"{', '.join(needed)}", error.summary, error.hint or "") from None
