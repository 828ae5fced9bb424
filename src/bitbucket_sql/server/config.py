"""The server's configuration file (TOML): listener settings, TLS, limits, databases, users, grants.

```toml
[server]
host = "127.0.0.1"
port = 5432
require_tls = false
allow_cleartext_password = false   # only ever offered over TLS
tds_port = 1433                    # SQL Server protocol (TDS) listener; see docs/server.md
tds_allow_cleartext_login = false  # TDS clients that cannot encrypt, from loopback only

[tls]
cert = "/etc/bbsql/server.crt"
key = "/etc/bbsql/server.key"

[limits]
max_message_bytes = 16777216
max_prepared_statements = 1000
idle_timeout_s = 3600
max_connections = 200

[databases.acme]
connection = "Workspace=acme;AuthScheme=APIToken;User=me@example.com;APIToken=..."
# or: profile = "work"   (a [profiles.work] of ~/.bbsql/config.toml)

[users.alice]
password = "SCRAM-SHA-256$4096:...$...:..."   # `bbsql serve hash-password`
databases = { acme = "read" }                  # "read" or "read-write"; "*" for every database
```

Passwords are SCRAM-SHA-256 verifiers in PostgreSQL's own format, never clear text; the
Bitbucket credentials (connection strings, profiles) stay in this file on the server.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bitbucket_sql.server.auth import Verifier, parse_verifier

READ = "read"
READ_WRITE = "read-write"
RIGHTS = (READ, READ_WRITE)


class ConfigError(ValueError):
    """The configuration file is wrong; the message names the file, key and what to write."""


@dataclass(frozen=True)
class DatabaseConfig:
    """A virtual database: a name clients connect to, mapped to one Bitbucket connection."""

    name: str
    connection: str = ""
    profile: str | None = None


@dataclass(frozen=True)
class UserConfig:
    name: str
    verifier: Verifier
    grants: dict[str, str]

    def right_on(self, database: str) -> str | None:
        """``read``, ``read-write`` or None (no access) for ``database``."""
        return self.grants.get(database, self.grants.get("*"))


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = 16 * 1024 * 1024
    max_prepared_statements: int = 1000
    idle_timeout_s: float = 3600.0
    max_connections: int = 200
    #: seconds a graceful shutdown waits for running queries before cancelling them
    shutdown_grace_s: float = 10.0


@dataclass(frozen=True)
class TlsConfig:
    cert: Path
    key: Path


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 5432
    require_tls: bool = False
    allow_cleartext_password: bool = False
    #: the TDS listener's port (None: 1433, or 0 when ``port`` is 0) and its loopback clear-text opt-in
    tds_port: int | None = None
    tds_allow_cleartext_login: bool = False
    tls: TlsConfig | None = None
    limits: Limits = field(default_factory=Limits)
    databases: dict[str, DatabaseConfig] = field(default_factory=dict)
    users: dict[str, UserConfig] = field(default_factory=dict)


def _table(document: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] must be a table")
    return value


_KIND_NAMES: dict[Any, str] = {
    int: "an integer",
    bool: "true or false",
    str: "a string",
    dict: "a table",
    (int, float): "a number",
}


def _typed(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any) -> Any:
    if key not in table:
        return default
    value = table[key]
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise ConfigError(f"{where}: {key} must be a number, not {value!r}")
    if not isinstance(value, kind):
        wanted = _KIND_NAMES.get(kind, "a value of another type")
        raise ConfigError(f"{where}: {key} must be {wanted}, not {value!r}")
    return value


def _limits(table: dict[str, Any], where: str) -> Limits:
    defaults = Limits()
    known = set(Limits.__dataclass_fields__)
    unknown = set(table) - known
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) in [limits]: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    for name in known:
        value = _typed(table, name, (int, float), f"{where} [limits]", getattr(defaults, name))
        if value <= 0:
            raise ConfigError(f"{where} [limits]: {name} must be positive, not {value!r}")
        values[name] = int(value) if name.startswith("max_") else float(value)
    return Limits(**values)


def _databases(table: dict[str, Any], where: str) -> dict[str, DatabaseConfig]:
    databases: dict[str, DatabaseConfig] = {}
    for name, spec in table.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"{where}: [databases.{name}] must be a table with connection or profile")
        connection = _typed(spec, "connection", str, f"{where} [databases.{name}]", "")
        profile = _typed(spec, "profile", str, f"{where} [databases.{name}]", None)
        if not connection and not profile:
            raise ConfigError(
                f'{where}: database {name!r} needs connection = "Workspace=...;AuthScheme=..." or profile = "NAME"'
            )
        databases[name] = DatabaseConfig(name, connection, profile)
    return databases


def _users(table: dict[str, Any], databases: dict[str, DatabaseConfig], where: str) -> dict[str, UserConfig]:
    users: dict[str, UserConfig] = {}
    for name, spec in table.items():
        here = f"{where} [users.{name}]"
        if not isinstance(spec, dict):
            raise ConfigError(f"{here} must be a table with password and databases")
        password = _typed(spec, "password", str, here, None)
        if password is None:
            raise ConfigError(f"{here}: password is missing; create one with 'bbsql serve hash-password'")
        try:
            verifier = parse_verifier(password)
        except ValueError as error:
            raise ConfigError(
                f"{here}: password {error}; create one with 'bbsql serve hash-password'"
            ) from None
        grants = _typed(spec, "databases", dict, here, {})
        for database, right in grants.items():
            if database != "*" and database not in databases:
                raise ConfigError(
                    f"{here}: grant on unknown database {database!r}; defined: {', '.join(sorted(databases)) or 'none'}"
                )
            if right not in RIGHTS:
                raise ConfigError(
                    f'{here}: right on {database!r} must be "read" or "read-write", not {right!r}'
                )
        users[name] = UserConfig(name, verifier, dict(grants))
    return users


def parse_config(
    document: dict[str, Any], where: str = "server config", base: Path | None = None
) -> ServerConfig:
    """A :class:`ServerConfig` from a parsed TOML document; relative TLS paths resolve from ``base``."""
    known = {"server", "tls", "limits", "databases", "users"}
    unknown = set(document) - known
    if unknown:
        raise ConfigError(
            f"{where}: unknown table(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    server = _table(document, "server", where)
    config = ServerConfig(
        host=_typed(server, "host", str, where, "127.0.0.1"),
        port=_typed(server, "port", int, where, 5432),
        require_tls=_typed(server, "require_tls", bool, where, False),
        allow_cleartext_password=_typed(server, "allow_cleartext_password", bool, where, False),
        tds_port=_typed(server, "tds_port", int, where, None),
        tds_allow_cleartext_login=_typed(server, "tds_allow_cleartext_login", bool, where, False),
        limits=_limits(_table(document, "limits", where), where),
    )
    if config.tds_port is not None and not 0 <= config.tds_port <= 65535:
        raise ConfigError(f"{where}: tds_port must be between 0 and 65535 (0: a free port), not {config.tds_port}")
    tls = _table(document, "tls", where)
    if tls:
        cert, key = tls.get("cert"), tls.get("key")
        if not isinstance(cert, str) or not isinstance(key, str):
            raise ConfigError(f'{where}: [tls] needs cert = "path.crt" and key = "path.key"')
        root = base or Path.cwd()
        config.tls = TlsConfig(root / Path(cert).expanduser(), root / Path(key).expanduser())
    if config.require_tls and config.tls is None:
        raise ConfigError(f"{where}: require_tls = true needs a [tls] table with cert and key")
    config.databases = _databases(_table(document, "databases", where), where)
    config.users = _users(_table(document, "users", where), config.databases, where)
    return config


def load_config(path: Path) -> ServerConfig:
    """Read and check the file; every mistake is a :class:`ConfigError` naming the key."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"server config {path} does not exist; see docs/server.md for an example") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read server config {path}: {error}") from None
    return parse_config(document, where=str(path), base=path.parent)
