"""From a SQLAlchemy URL to the DB-API's connection properties.

``bitbucket://<user>:<secret>@<api host>[:<port>]/<workspace>?<Property>=<value>&...``

* the host (and port) is the API's host: BaseURL is ``<scheme>://<host>[:<port>]<path>`` with
  ``scheme`` ``https`` unless ``?scheme=http`` (the local emulator) and ``path`` ``/2.0`` unless
  ``?path=...``; no host means Bitbucket Cloud, ``https://api.bitbucket.org/2.0``. A
  ``BaseURL`` in the query string replaces the whole derivation (and then no host may be given);
* the database is the workspace (the schema of unqualified table names);
* the user and the secret fill the properties of the AuthScheme (APIToken when both are given
  and no AuthScheme is: see :data:`CREDENTIAL_PROPERTIES`);
* every other connection property goes in the query string, keys in any case
  (``maxconcurrency=4`` or ``MaxConcurrency=4``), validated as connection strings are.

Secrets are refused in the query string: SQLAlchemy masks only the URL's password in
``repr(engine)`` and logs, so a token anywhere else would be shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError

from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.settings import DEFAULT_BASE_URL, property_named

#: Query-string keys the dialect reads itself (everything else is a connection property).
SCHEME_KEY = "scheme"
PATH_KEY = "path"
DEFAULT_SCHEME = "https"
DEFAULT_API_PATH = "/2.0"

#: AuthScheme -> (property the URL's user fills, property the URL's password fills).
CREDENTIAL_PROPERTIES: dict[str, tuple[str | None, str | None]] = {
    "APIToken": ("User", "APIToken"),
    "Basic": ("User", "Password"),
    "AccessToken": (None, "AccessToken"),
    "OAuth": ("OAuthClientId", "OAuthClientSecret"),
    "Client": ("OAuthClientId", "OAuthClientSecret"),
    "None": (None, None),
}


def connection_properties(url: URL) -> dict[str, Any]:
    """The DB-API keyword properties a ``bitbucket://`` URL stands for.

    Raises :class:`sqlalchemy.exc.ArgumentError` naming the key at fault (never its value when
    the key is a secret).
    """
    query = _single_values(url.query)
    dialect_keys = {key.lower(): key for key in query if key.lower() in (SCHEME_KEY, PATH_KEY)}
    scheme = (
        query.pop(dialect_keys[SCHEME_KEY], DEFAULT_SCHEME) if SCHEME_KEY in dialect_keys else DEFAULT_SCHEME
    )
    api_path = (
        query.pop(dialect_keys[PATH_KEY], DEFAULT_API_PATH) if PATH_KEY in dialect_keys else DEFAULT_API_PATH
    )

    properties: dict[str, Any] = {}
    for key, value in query.items():
        prop = _property(key)
        if prop.secret:
            raise ArgumentError(
                f"the URL's query string holds the secret {prop.name}: SQLAlchemy would show it in "
                f"repr(engine) and logs. Put it in the URL's password position "
                f"(bitbucket://user:SECRET@host/workspace) or pass it in create_engine(..., "
                f"connect_args={{{prop.name!r}: ...}})"
            )
        if prop.name in properties:
            raise ArgumentError(f"the URL's query string gives {prop.name} twice; keep one")
        properties[prop.name] = value

    base_url = properties.get("BaseURL")
    if base_url is not None and url.host:
        raise ArgumentError(
            "the URL gives both a host and BaseURL in its query string; give one "
            "(bitbucket://user:token@HOST/workspace, or bitbucket://user:token@/workspace?BaseURL=...)"
        )
    if base_url is None:
        properties["BaseURL"] = base_url_for(url.host, url.port, scheme, api_path)

    if url.database:
        named = properties.get("Workspace")
        if named is not None and named != url.database:
            raise ArgumentError(
                f"the URL names workspace {url.database!r} as its database and {named!r} as Workspace; "
                "keep one"
            )
        properties["Workspace"] = url.database

    properties.update(_credentials(url, properties.get("AuthScheme")))
    return properties


def base_url_for(host: str | None, port: int | None, scheme: str, api_path: str) -> str:
    """``https://api.bitbucket.org/2.0`` without a host, else ``<scheme>://<host>[:<port>]<path>``."""
    if scheme.lower() not in ("http", "https"):
        raise ArgumentError(f"scheme={scheme!r} in the URL's query string must be http or https")
    if not host:
        if port is not None:
            raise ArgumentError(
                "the URL gives a port but no host; write bitbucket://user:token@HOST:PORT/..."
            )
        if scheme.lower() != DEFAULT_SCHEME or api_path != DEFAULT_API_PATH:
            raise ArgumentError(
                "scheme= and path= describe a host other than Bitbucket Cloud's; give that host "
                "(bitbucket://user:token@127.0.0.1:7990/acme?scheme=http for the emulator)"
            )
        return DEFAULT_BASE_URL
    if host.lower() in ("bitbucket.org", "www.bitbucket.org"):
        raise ArgumentError(
            f"{host} is Bitbucket's website; the API's host is api.bitbucket.org, which is also what a "
            "URL without a host means (bitbucket://user%40example.com:TOKEN@/workspace)"
        )
    path = api_path if api_path.startswith("/") or not api_path else "/" + api_path
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme.lower()}://{netloc}{path.rstrip('/')}"


def _credentials(url: URL, auth_scheme: str | None) -> dict[str, Any]:
    """The URL's user and password as the properties of the AuthScheme they serve."""
    user, secret = url.username or None, url.password or None
    if user is None and secret is None:
        return {}
    scheme = auth_scheme
    if scheme is None:
        scheme = "APIToken" if user and secret else "AccessToken" if secret else "APIToken"
    known = next((name for name in CREDENTIAL_PROPERTIES if name.lower() == str(scheme).lower()), None)
    if known is None:
        return {"User": user} if user else {}  # the settings' own check names the bad AuthScheme
    user_property, secret_property = CREDENTIAL_PROPERTIES[known]
    found: dict[str, Any] = {}
    if user is not None:
        found[user_property or "User"] = user
    if secret is not None:
        if secret_property is None:
            raise ArgumentError(f"AuthScheme={known} takes no secret; remove the password from the URL")
        found[secret_property] = secret
    return found


def _property(key: str) -> Any:
    try:
        return property_named(key)
    except ConfigurationError as error:
        hint = f" {error.hint}" if getattr(error, "hint", None) else ""
        raise ArgumentError(f"{error}{hint}. (In the URL's query string of bitbucket://...)") from None


def _single_values(query: Mapping[str, str | tuple[str, ...]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for key, value in query.items():
        if isinstance(value, tuple):
            raise ArgumentError(f"the URL's query string gives {key!r} more than once; keep one")
        values[key] = value
    return values


def url_for(
    workspace: str | None = None,
    *,
    user: str | None = None,
    token: str | None = None,
    base_url: str | None = None,
    **properties: Any,
) -> URL:
    """A ``bitbucket://`` URL for these properties (the inverse of :func:`connection_properties`).

    Handy in scripts and tests: ``url_for("acme", user="me@example.com", token=..., base_url=emulator)``.
    """
    from urllib.parse import urlsplit

    query: dict[str, str] = {key: str(value) for key, value in properties.items()}
    host: str | None = None
    port: int | None = None
    if base_url is not None and base_url.rstrip("/") != DEFAULT_BASE_URL:
        parts = urlsplit(base_url)
        host, port = parts.hostname, parts.port
        if parts.scheme != DEFAULT_SCHEME:
            query[SCHEME_KEY] = parts.scheme
        if parts.path.rstrip("/") != DEFAULT_API_PATH:
            query[PATH_KEY] = parts.path.rstrip("/") or "/"
    return URL.create(
        "bitbucket", username=user, password=token, host=host, port=port, database=workspace, query=query
    )
