"""The server config file: every mistake names the key and what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from bitbucket_sql.server.auth import make_verifier
from bitbucket_sql.server.config import ConfigError, load_config, parse_config

VERIFIER = str(make_verifier("pw"))


def _document(**overrides: object) -> dict:
    document: dict = {
        "databases": {"acme": {"connection": "Workspace=acme;AuthScheme=APIToken;User=u;APIToken=t"}},
        "users": {"alice": {"password": VERIFIER, "databases": {"acme": "read"}}},
    }
    document.update(overrides)
    return document


def test_a_complete_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text(
        f"""
[server]
host = "0.0.0.0"
port = 6543
require_tls = true

[tls]
cert = "server.crt"
key = "server.key"

[limits]
idle_timeout_s = 60
max_connections = 10

[databases.acme]
connection = "Workspace=acme;AuthScheme=APIToken;User=u;APIToken=t"

[databases.work]
profile = "work"

[users.alice]
password = "{VERIFIER}"
databases = {{ acme = "read", work = "read-write" }}

[users.bob]
password = "{VERIFIER}"
databases = {{ "*" = "read" }}
""",
        encoding="utf-8",
    )
    config = load_config(path)
    assert (config.host, config.port, config.require_tls) == ("0.0.0.0", 6543, True)
    assert config.tls is not None and config.tls.cert == tmp_path / "server.crt"
    assert config.limits.idle_timeout_s == 60 and config.limits.max_connections == 10
    assert config.databases["work"].profile == "work"
    alice, bob = config.users["alice"], config.users["bob"]
    assert (alice.right_on("acme"), alice.right_on("work"), alice.right_on("other")) == (
        "read",
        "read-write",
        None,
    )
    assert bob.right_on("work") == "read"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_document(users={"alice": {"password": "pw", "databases": {}}}), "hash-password"),
        (_document(users={"alice": {"databases": {}}}), "password is missing"),
        (
            _document(users={"alice": {"password": VERIFIER, "databases": {"nope": "read"}}}),
            "unknown database 'nope'",
        ),
        (
            _document(users={"alice": {"password": VERIFIER, "databases": {"acme": "write"}}}),
            '"read" or "read-write"',
        ),
        (_document(databases={"acme": {}}), "needs connection"),
        (_document(server={"port": "5432"}), "port must be an integer"),
        (_document(server={"require_tls": True}), "needs a [tls] table"),
        (_document(limits={"idle_timeout_s": 0}), "must be positive"),
        (_document(limits={"idle_timeout": 5}), "unknown key(s) in [limits]: idle_timeout"),
        (_document(extra={}), "unknown table(s) extra"),
    ],
)
def test_mistakes_are_named(document: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    assert message in str(caught.value)


def test_a_missing_file_points_to_the_docs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="docs/server.md"):
        load_config(tmp_path / "absent.toml")


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[server\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="broken.toml"):
        load_config(path)
