"""Connection properties: parsing CData-style connection strings into :class:`ConnectionSettings`.

One connection string (``AuthScheme=APIToken;User=me@example.com;APIToken=...;Workspace=acme``)
configures everything: the client (auth, retries, TLS, logging) and the engine (Workspace,
MaxConcurrency, CacheTTL, ...). Keys are case-insensitive, also accepted as keyword arguments in
any case or snake_case, and may come from a named profile in a TOML file. Validation happens here
so that bad input fails at connect time with a message naming the property and what to do.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.redact import MASK

DEFAULT_BASE_URL = "https://api.bitbucket.org/2.0"
DEFAULT_CONFIG_PATH = "~/.bbsql/config.toml"
AUTH_SCHEMES = ("APIToken", "AccessToken", "OAuth", "Client", "Basic", "None")
INITIATE_OAUTH = ("GETANDREFRESH", "REFRESH", "OFF")


@dataclass(frozen=True)
class Property:
    """One connection property: its CData-style name, dataclass field, type and documentation."""

    name: str
    attr: str
    kind: str  # "str", "int", "float", "bool", "choice", "url", "path"
    default: Any
    secret: bool = False
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    doc: str = ""


PROPERTIES: tuple[Property, ...] = (
    Property("BaseURL", "base_url", "url", DEFAULT_BASE_URL, doc="API root including /2.0."),
    Property("AuthScheme", "auth_scheme", "choice", None, choices=AUTH_SCHEMES, doc="How to authenticate."),
    Property("User", "user", "str", None, doc="Atlassian e-mail (APIToken) or username (Basic)."),
    Property("APIToken", "api_token", "str", None, secret=True, doc="Atlassian API token."),
    Property("Password", "password", "str", None, secret=True, doc="Password for Basic."),
    Property("AccessToken", "access_token", "str", None, secret=True, doc="Bearer access token."),
    Property("OAuthClientId", "oauth_client_id", "str", None, doc="OAuth consumer key."),
    Property("OAuthClientSecret", "oauth_client_secret", "str", None, secret=True, doc="OAuth consumer secret."),
    Property("OAuthAccessToken", "oauth_access_token", "str", None, secret=True, doc="OAuth access token."),
    Property("OAuthRefreshToken", "oauth_refresh_token", "str", None, secret=True, doc="OAuth refresh token."),
    Property("CallbackURL", "callback_url", "url", "http://localhost:33333", doc="OAuth redirect URI."),
    Property("OAuthSettingsLocation", "oauth_settings_location", "path", "~/.bbsql/oauth.json", doc="Token file."),
    Property("InitiateOAuth", "initiate_oauth", "choice", "GETANDREFRESH", choices=INITIATE_OAUTH, doc="OAuth mode."),
    Property("OAuthAuthorizationURL", "oauth_authorization_url", "url", None, doc="Authorize endpoint."),
    Property("OAuthTokenURL", "oauth_token_url", "url", None, doc="Token endpoint."),
    Property("Scope", "scope", "str", None, doc="OAuth scopes to request (space-separated)."),
    Property("Workspace", "workspace", "str", None, doc="Default workspace (schema)."),
    Property("Repository", "repository", "str", None, doc="Default repository."),
    Property(
        "Schema", "schema", "str", None,
        doc="CData's spelling: Information (workspace-level tables) or a repository slug (= Repository).",
    ),
    Property("MaxConcurrency", "max_concurrency", "int", 8, minimum=1, doc="Parallel requests."),
    Property("MaxFanout", "max_fanout", "int", 2000, minimum=1, doc="Most parent objects one scan visits."),
    Property(
        "Optimize", "optimize", "choice", None, choices=("latency", "requests"),
        doc="Plan for the lowest latency or the fewest requests (absent: latency while the hour's "
        "rate-limit headroom is above 25%, requests below).",
    ),
    Property("CacheTTL", "cache_ttl", "float", 300.0, minimum=0, doc="Seconds fetched rows stay cached."),
    Property(
        "Cache", "cache", "choice", "persistent", choices=("off", "memory", "persistent"),
        doc="Where fetched rows are cached: off, memory (this connection) or persistent (shared on disk).",
    ),
    Property("CacheLocation", "cache_location", "path", None, doc="Directory of the persistent cache."),
    Property("CacheMaxSize", "cache_max_size", "str", "256MB", doc="Size bound of the persistent cache (512MB, 2GB)."),
    Property("MaxPages", "max_pages", "int", 2000, minimum=1, doc="Most pages one collection scan reads."),
    Property("MaxRows", "max_rows", "int", -1, minimum=-1, doc="Row cap per query (-1 = unlimited)."),
    Property("ReadOnly", "read_only", "bool", False, doc="true refuses INSERT, UPDATE and DELETE before any request."),
    Property("Timeout", "timeout", "float", 60.0, minimum=0.001, doc="Seconds per HTTP request."),
    Property(
        "QueryTimeout", "query_timeout", "float", None, minimum=0,
        doc="Seconds one query may run in total (0 or absent = no limit).",
    ),
    Property("MaxRetries", "max_retries", "int", 5, minimum=0, doc="Retries per request."),
    Property("MaxRetryWait", "max_retry_wait", "float", 120.0, minimum=0, doc="Total retry sleep per request."),
    Property("RetryBaseDelay", "retry_base_delay", "float", 1.0, minimum=0, doc="First backoff step (s)."),
    Property("RateLimitPerHour", "rate_limit_per_hour", "int", 1000, minimum=1, doc="Hourly request budget."),
    Property("Verbosity", "verbosity", "int", 0, minimum=0, doc="Log detail 0-5."),
    Property("Logfile", "logfile", "path", None, doc="Write logs here instead of stderr."),
    Property("CABundle", "ca_bundle", "path", None, doc="Extra CA certificates (PEM)."),
    Property("UserAgent", "user_agent", "str", None, doc="Suffix for the User-Agent header."),
    Property("Profile", "profile", "str", None, doc="Named profile in the config file."),
    Property(
        "SyncedDatabase", "synced_database", "path", None,
        doc="Answer queries from this DuckDB file made by bbsql sync (no requests).",
    ),
)


def _normalize(key: str) -> str:
    return key.replace("_", "").replace("-", "").replace(" ", "").lower()


_BY_KEY: dict[str, Property] = {_normalize(p.name): p for p in PROPERTIES}
_BY_KEY.update({_normalize(p.attr): p for p in PROPERTIES})


def property_named(key: str) -> Property:
    """The property for a key in any case/snake_case; unknown keys suggest the closest one."""
    found = _BY_KEY.get(_normalize(key))
    if found is not None:
        return found
    names = [p.name for p in PROPERTIES]
    close = difflib.get_close_matches(_normalize(key), [n.lower() for n in names], n=1, cutoff=0.5)
    suggestion = next((n for n in names if close and n.lower() == close[0]), None)
    if suggestion:
        hint = f"Did you mean {suggestion}?"
    else:
        hint = "Known properties: " + ", ".join(names) + " (see docs/connection-properties.md)"
    raise ConfigurationError(f"unknown connection property {key!r}", hint=hint)


@dataclass(frozen=True)
class ConnectionSettings:
    """Validated connection properties. ``repr``/``str`` mask every secret."""

    base_url: str = DEFAULT_BASE_URL
    auth_scheme: str = "None"
    user: str | None = None
    api_token: str | None = None
    password: str | None = None
    access_token: str | None = None
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    oauth_access_token: str | None = None
    oauth_refresh_token: str | None = None
    callback_url: str = "http://localhost:33333"
    oauth_settings_location: str = "~/.bbsql/oauth.json"
    initiate_oauth: str = "GETANDREFRESH"
    oauth_authorization_url: str | None = None
    oauth_token_url: str | None = None
    scope: str | None = None
    workspace: str | None = None
    repository: str | None = None
    #: CData's ``Schema``: None/"Information" (workspace-level tables) or a repository slug,
    #: which also becomes ``repository`` (the default scope)
    schema: str | None = None
    max_concurrency: int = 8
    max_fanout: int = 2000
    #: "latency", "requests" or None (chosen per query from the rate-limit headroom: engine/strategies)
    optimize: str | None = None
    cache_ttl: float = 300.0
    #: off, memory or persistent (engine/cache_scans.py); absent: $BBSQL_CACHE, else persistent
    cache: str = "persistent"
    cache_location: str | None = None
    cache_max_size: str = "256MB"
    max_pages: int = 2000
    max_rows: int = -1
    #: refuse every write (INSERT, UPDATE, DELETE, procedures) before it sends a request
    read_only: bool = False
    timeout: float = 60.0
    #: total seconds one query may take (None = no limit; QueryTimeout=0 also means no limit)
    query_timeout: float | None = None
    max_retries: int = 5
    max_retry_wait: float = 120.0
    retry_base_delay: float = 1.0
    rate_limit_per_hour: int = 1000
    verbosity: int = 0
    logfile: str | None = None
    ca_bundle: str | None = None
    user_agent: str | None = None
    profile: str | None = None
    #: a DuckDB file written by ``bbsql sync``: queries read it instead of the API
    synced_database: str | None = None
    #: keys that were set explicitly (connection string, keywords or profile), by property name
    explicit: frozenset[str] = field(default=frozenset(), compare=False)

    # --- derived values -------------------------------------------------------------------
    @property
    def api_origin(self) -> tuple[str, str, int]:
        """(scheme, host, port) of BaseURL: the only origin that ever receives API credentials."""
        return origin_of(self.base_url)

    @property
    def authorization_url(self) -> str:
        """OAuth authorize endpoint: explicit, or derived from BaseURL's host."""
        return self.oauth_authorization_url or self._site_url() + "/site/oauth2/authorize"

    @property
    def token_url(self) -> str:
        """OAuth token endpoint: explicit, or derived from BaseURL's host."""
        return self.oauth_token_url or self._site_url() + "/site/oauth2/access_token"

    @property
    def token_file(self) -> Path:
        return Path(os.path.expanduser(self.oauth_settings_location))

    def _site_url(self) -> str:
        parts = urlsplit(self.base_url)
        if parts.hostname == "api.bitbucket.org":
            return "https://bitbucket.org"
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"

    def secrets(self) -> tuple[str, ...]:
        """Every secret value set on these settings (for log scrubbing)."""
        return tuple(
            value for p in PROPERTIES if p.secret and (value := getattr(self, p.attr)) is not None
        )

    def with_overrides(self, **changes: Any) -> ConnectionSettings:
        """A copy with some properties replaced (validated like the original)."""
        merged = {
            p.name: getattr(self, p.attr)
            for p in PROPERTIES
            if p.name in self.explicit or getattr(self, p.attr) != p.default
        }
        named = {property_named(k).name: v for k, v in changes.items()}
        for one, other in (("Repository", "Schema"), ("Schema", "Repository")):
            if one in named and other not in named:
                merged.pop(other, None)  # the new default scope replaces the old one, whichever spelling
        merged.update(named)
        return _build(merged, use_profile=False)

    def __repr__(self) -> str:
        shown = []
        for p in PROPERTIES:
            value = getattr(self, p.attr)
            if value is None or (value == p.default and p.name not in self.explicit and p.name != "AuthScheme"):
                continue
            shown.append(f"{p.name}={MASK if p.secret else repr(value)}")
        return f"ConnectionSettings({', '.join(shown)})"

    __str__ = __repr__


def origin_of(url: str) -> tuple[str, str, int]:
    """(scheme, lower-case host, port with the scheme's default filled in)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- parsing ------------------------------------------------------------------------------


def split_connection_string(text: str) -> list[tuple[str, str]]:
    """Split ``Key=Value;Key='quoted; value'`` into pairs, keeping the original key spelling.

    Values may be wrapped in single or double quotes to hold ``;``; a doubled quote inside a
    quoted value stands for one quote character (the ODBC convention).
    """
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n;":
            i += 1
        if i >= n:
            break
        eq = text.find("=", i)
        semi = text.find(";", i)
        if eq == -1 or (semi != -1 and semi < eq):
            fragment = text[i : semi if semi != -1 else n].strip()
            raise _segment_error("has no '='", fragment, pairs)
        key = text[i:eq].strip()
        i = eq + 1
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] in "'\"":
            quote = text[i]
            i += 1
            chars: list[str] = []
            while True:
                if i >= n:
                    raise ConfigurationError(
                        f"the value of {_key_label(key)} opens a {quote} quote that is never closed",
                        hint=f"Close the quote, and write a literal {quote} inside as {quote * 2}",
                    )
                if text[i] == quote:
                    if i + 1 < n and text[i + 1] == quote:
                        chars.append(quote)
                        i += 2
                        continue
                    i += 1
                    break
                chars.append(text[i])
                i += 1
            value = "".join(chars)
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] != ";":
                raise ConfigurationError(
                    f"unexpected text after the quoted value of {_key_label(key)}",
                    hint="Separate properties with ';'",
                )
        else:
            end = text.find(";", i)
            end = n if end == -1 else end
            value = text[i:end].strip()
            i = end
            _reject_forgotten_separator(key, value)
        if not key:
            raise ConfigurationError("a connection string segment has an empty key", hint="Write Key=Value")
        pairs.append((key, value))
    return pairs


def _key_label(key: str) -> str:
    """A key as an error may show it: the property's name, never text that may be part of a value."""
    prop = _BY_KEY.get(_normalize(key))
    return prop.name if prop is not None else "an unknown property"


def _segment_error(problem: str, fragment: str, before: list[tuple[str, str]]) -> ConfigurationError:
    """A malformed segment, described by its position: its text may be the tail of a secret
    whose ``;`` was not quoted (``APIToken=abc;def``), so it is never echoed."""
    known = _BY_KEY.get(_normalize(fragment))
    if known is not None:
        return ConfigurationError(
            f"connection property {known.name} has no '='", hint=f"Write {known.name}=<value>"
        )
    if not before:
        return ConfigurationError(
            f"the first connection string segment {problem}",
            hint="Write each property as Key=Value and separate properties with ';'",
        )
    previous = _key_label(before[-1][0])
    return ConfigurationError(
        f"the connection string segment after {previous} {problem}",
        hint=f"If the value of {previous} contains ';', quote it ({previous}='...'); otherwise write "
        "each property as Key=Value and separate properties with ';'",
    )


_EMBEDDED_KEY = re.compile(r"\s([A-Za-z][A-Za-z_-]*)\s*=")


def _forgotten_separator(value: str) -> tuple[str, Property] | None:
    """The `` Key=`` of a known property inside a value (``http://x/2.0 Workspace=acme``), if any."""
    for match in _EMBEDDED_KEY.finditer(value):
        other = _BY_KEY.get(_normalize(match.group(1)))
        if other is not None:
            return match.group(1), other
    return None


def _reject_forgotten_separator(key: str, value: str) -> None:
    """Refuse an unquoted value that holds `` Key=``: the ``;`` before Key was forgotten.

    Otherwise the next property silently becomes part of this value and fails much later with
    a confusing error (a 404 for a mangled BaseURL). A value really meant so can be quoted.
    """
    found = _forgotten_separator(value)
    if found is None:
        return
    raise ConfigurationError(
        f"the value of {_key_label(key)} contains '{found[1].name}='",
        hint=f"Did you forget a ';' before {found[1].name}? (Quote the value if you mean that text.)",
    )


def parse_connection_string(s: str | None = None, **kwargs: Any) -> ConnectionSettings:
    """Parse a connection string plus keyword overrides (keywords win) into settings.

    A ``Profile`` (from either source) loads that profile's keys from the config file first;
    explicit keys override the profile's.
    """
    raw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    previous: Property | None = None
    for key, value in split_connection_string(s or ""):
        if previous is not None and previous.secret and _BY_KEY.get(_normalize(key)) is None:
            # probably the tail of a secret whose ';' was not quoted: never echo it
            raise ConfigurationError(
                f"an unknown connection property follows {previous.name}",
                hint=f"If the value of {previous.name} contains ';', quote it ({previous.name}='...'); "
                "see docs/connection-properties.md for the known properties",
            )
        prop = previous = property_named(key)
        if prop.name in sources and sources[prop.name] == "string":
            raise ConfigurationError(
                f"connection property {prop.name} is given twice in the connection string",
                hint="Keep one of them",
            )
        raw[prop.name] = value
        sources[prop.name] = "string"
    for key, value in kwargs.items():
        prop = property_named(key)
        if value is None:
            raw.pop(prop.name, None)
            continue
        raw[prop.name] = value
    return _build(raw, use_profile=True)


def config_path() -> Path:
    """The profile file: ``$BBSQL_CONFIG`` or ``~/.bbsql/config.toml``."""
    return Path(os.path.expanduser(os.environ.get("BBSQL_CONFIG") or DEFAULT_CONFIG_PATH))


def load_profile(name: str) -> dict[str, Any]:
    """The keys of ``[profiles.<name>]`` in the config file (TOML, same keys as the string)."""
    path = config_path()
    if not path.is_file():
        raise ConfigurationError(
            f"profile {name!r} was requested but the config file {path} does not exist",
            hint="Create it with a [profiles.NAME] table of connection properties, or set BBSQL_CONFIG",
        )
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"cannot read config file {path}: {error}", hint="Fix the TOML syntax") from None
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict) or name not in profiles or not isinstance(profiles[name], dict):
        known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) and profiles else "none"
        raise ConfigurationError(
            f"profile {name!r} is not defined in {path}",
            hint=f"Defined profiles: {known}. Add a [profiles.{name}] table",
        )
    return dict(profiles[name])


def _build(raw: Mapping[str, Any], *, use_profile: bool) -> ConnectionSettings:
    values = dict(raw)
    if use_profile and values.get("Profile"):
        profile_values = {}
        for key, value in load_profile(str(values["Profile"])).items():
            prop = property_named(key)
            if prop.name == "Profile":
                continue
            profile_values[prop.name] = value
        profile_values.update(values)
        values = profile_values
    converted: dict[str, Any] = {}
    for name, value in values.items():
        prop = property_named(name)
        converted[prop.attr] = _convert(prop, value)
    _apply_cdata_schema(converted)
    explicit = frozenset(values)
    settings = ConnectionSettings(**converted, explicit=explicit)
    scheme = _resolve_scheme(settings, converted.get("auth_scheme"), oauth_asked="initiate_oauth" in converted)
    settings = replace(settings, auth_scheme=scheme)
    _validate(settings)
    return settings


_TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def _boolean(prop: Property, value: Any) -> bool:
    """``true``/``false`` (also yes/no, on/off, 1/0, any case) or a Python bool."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE_WORDS | _FALSE_WORDS:
        return text in _TRUE_WORDS
    raise ConfigurationError(f"{prop.name} must be true or false", hint=prop.doc)


def _convert(prop: Property, value: Any) -> Any:
    """The typed value of one property. Errors name the property and what it expects, never the
    value: it may be (part of) a secret, or a URL with ``user:password@``."""
    if prop.kind in ("str", "path", "url"):
        if not isinstance(value, str | os.PathLike):
            raise ConfigurationError(f"{prop.name} must be text, not {type(value).__name__}", hint=prop.doc)
        text = os.fspath(value).strip()
        if text == "":
            return None
        if prop.kind == "url":
            if any(char.isspace() for char in text):
                found = _forgotten_separator(text)
                raise ConfigurationError(
                    f"{prop.name} must not contain spaces",
                    hint=f"Did you forget a ';' before {found[1].name}?" if found
                    else "Remove the space; inside a URL write a space as %20",
                )
            parts = urlsplit(text)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigurationError(
                    f"{prop.name} must be an http(s) URL",
                    hint=f"For example {prop.default or 'https://...'}",
                )
            if parts.username is not None or parts.password is not None:
                raise ConfigurationError(
                    f"{prop.name} must not contain a user name or password (user:password@host)",
                    hint="Give credentials as connection properties (User and APIToken, AccessToken, ...)",
                )
            text = text.rstrip("/")
        return text
    if prop.kind == "bool":
        return _boolean(prop, value)
    if prop.kind == "choice":
        if prop.name == "InitiateOAuth" and isinstance(value, bool):
            value = "GETANDREFRESH" if value else "OFF"
        text = str(value).strip()
        for choice in prop.choices:
            if choice.lower() == text.lower():
                return choice
        raise ConfigurationError(
            f"{prop.name} has a value that is not valid",
            hint=f"Use one of: {', '.join(prop.choices)}",
        )
    converter: Callable[[Any], Any] = int if prop.kind == "int" else float
    kind = "a whole number" if prop.kind == "int" else "a number"
    if isinstance(value, bool):
        raise ConfigurationError(f"{prop.name} must be {kind}", hint=prop.doc)
    try:
        number = converter(str(value).strip()) if isinstance(value, str) else converter(value)
        if prop.kind == "int" and isinstance(value, float) and value != int(value):
            raise ValueError
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ConfigurationError(f"{prop.name} must be {kind}", hint=prop.doc) from None
    if prop.minimum is not None and number < prop.minimum:
        raise ConfigurationError(
            f"{prop.name}={number} is too small", hint=f"Use a value of at least {prop.minimum:g}"
        )
    if prop.name == "QueryTimeout" and number == 0:
        return None  # 0 means "no limit", like leaving the property out
    return number


#: CData's Schema value for the workspace-level tables (its default schema)
CDATA_INFORMATION_SCHEMA = "information"


def _apply_cdata_schema(converted: dict[str, Any]) -> None:
    """Give CData's ``Schema`` its CData meaning: ``Information`` is the workspace-level tables
    (our default: no default repository); any other value is a repository slug, the default scope
    that ``Repository`` sets."""
    schema = converted.get("schema")
    if not schema or schema.lower() == CDATA_INFORMATION_SCHEMA:
        return
    repository = converted.get("repository")
    if repository and repository != schema:
        raise ConfigurationError(
            "Schema and Repository name different repositories",
            hint="Schema=<repository slug> is CData's spelling of Repository; give only one of them",
        )
    converted["repository"] = schema


def _resolve_scheme(settings: ConnectionSettings, explicit: str | None, *, oauth_asked: bool = False) -> str:
    """The explicit AuthScheme, or the one the given credentials imply.

    ``oauth_asked``: InitiateOAuth was given, which in CData's connection strings means "sign in
    with OAuth" (CData's strings carry no AuthScheme), so a consumer's key and secret then mean
    the authorization-code flow rather than client credentials.
    """
    if explicit:
        return explicit
    if settings.user and settings.api_token:
        return "APIToken"
    if settings.access_token:
        return "AccessToken"
    if settings.oauth_client_id and (settings.oauth_access_token or settings.oauth_refresh_token):
        return "OAuth"
    if settings.oauth_access_token and not (oauth_asked and settings.initiate_oauth != "OFF"):
        return "AccessToken"
    if oauth_asked:
        return "OAuth"
    if settings.oauth_client_id and settings.oauth_client_secret:
        return "Client"
    if settings.user and settings.password:
        return "Basic"
    return "None"


_REQUIRED: dict[str, tuple[tuple[str, ...], str]] = {
    "APIToken": (("user", "api_token"), "User=<Atlassian e-mail>;APIToken=<API token>"),
    "Client": (("oauth_client_id", "oauth_client_secret"), "OAuthClientId=<key>;OAuthClientSecret=<secret>"),
    "Basic": (("user", "password"), "User=<username>;Password=<password>"),
}


def _validate(settings: ConnectionSettings) -> None:
    scheme = settings.auth_scheme
    if scheme in _REQUIRED:
        attrs, example = _REQUIRED[scheme]
        missing = [p.name for p in PROPERTIES if p.attr in attrs and not getattr(settings, p.attr)]
        if missing:
            raise ConfigurationError(
                f"AuthScheme={scheme} needs {' and '.join(missing)}", hint=f"Add {example}"
            )
    if scheme == "AccessToken" and not (settings.access_token or settings.oauth_access_token):
        raise ConfigurationError("AuthScheme=AccessToken needs AccessToken", hint="Add AccessToken=<token>")
    if scheme == "OAuth":
        if settings.initiate_oauth == "OFF":
            if not settings.oauth_access_token:
                raise ConfigurationError(
                    "AuthScheme=OAuth with InitiateOAuth=OFF needs OAuthAccessToken",
                    hint="Give OAuthAccessToken, or use InitiateOAuth=GETANDREFRESH to sign in",
                )
        elif not (settings.oauth_client_id and settings.oauth_client_secret):
            asked = "AuthScheme=OAuth" if "AuthScheme" in settings.explicit else (
                f"InitiateOAuth={settings.initiate_oauth} (OAuth sign-in; CData's driver brings its own "
                "consumer, bitbucket-sql uses yours)"
            )
            raise ConfigurationError(
                f"{asked} needs OAuthClientId and OAuthClientSecret (an OAuth consumer)",
                hint="Create a consumer in Workspace settings > OAuth consumers with callback URL "
                f"{settings.callback_url}, then add OAuthClientId=<key>;OAuthClientSecret=<secret>",
            )
    callback = urlsplit(settings.callback_url)
    if scheme == "OAuth" and (callback.scheme != "http" or not is_loopback(callback.hostname or "")):
        raise ConfigurationError(
            "CallbackURL must be an http://localhost or loopback address",
            hint="The local listener only binds loopback; use e.g. http://localhost:33333",
        )
