"""TLS contexts are built once per CA configuration (each costs ~15 ms of CPU), never shared wrongly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_tls import make_ca_and_server_cert

from bitbucket_sql.api import errors
from bitbucket_sql.api.settings import parse_connection_string
from bitbucket_sql.api.transport import ssl_context

_BASE = "Workspace=acme;AuthScheme=APIToken;User=a@example.com;APIToken=t"


def test_connections_with_the_same_ca_configuration_share_one_context(tmp_path: Path) -> None:
    plain = ssl_context(parse_connection_string(_BASE))
    assert ssl_context(parse_connection_string(_BASE + ";BaseURL=http://127.0.0.1:1/2.0")) is plain
    ca_file, _, _ = make_ca_and_server_cert(tmp_path)
    private = ssl_context(parse_connection_string(f"{_BASE};CABundle={ca_file}"))
    assert private is not plain
    assert private is ssl_context(parse_connection_string(f"{_BASE};CABundle={ca_file}"))
    assert len(private.get_ca_certs()) == len(plain.get_ca_certs()) + 1


def test_an_edited_ca_bundle_is_read_again(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    first, _, _ = make_ca_and_server_cert(tmp_path / "one")
    settings = parse_connection_string(f"{_BASE};CABundle={first}")
    before = ssl_context(settings)
    second, _, _ = make_ca_and_server_cert(tmp_path / "two")
    first.write_bytes(first.read_bytes() + second.read_bytes())
    stat = first.stat()
    os.utime(first, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = ssl_context(settings)
    assert after is not before and len(after.get_ca_certs()) == len(before.get_ca_certs()) + 1


def test_an_unreadable_bundle_is_an_error_every_time(tmp_path: Path) -> None:
    settings = parse_connection_string(f"{_BASE};CABundle={tmp_path / 'missing.pem'}")
    for _ in range(2):
        with pytest.raises(errors.ConfigurationError, match="CABundle"):
            ssl_context(settings)
