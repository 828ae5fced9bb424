"""URL parsing: the documented form, BaseURL's derivation, case-insensitive keys, clear errors."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest
from dialect_helpers import require_module

sqlalchemy = require_module("sqlalchemy", "sqlalchemy")

from sqlalchemy.engine import make_url  # noqa: E402 - after the import check
from sqlalchemy.exc import ArgumentError  # noqa: E402

from bitbucket_sql.sqlalchemy import BitbucketDialect, connection_properties, url_for  # noqa: E402

DOCUMENTED = "bitbucket://demo%40example.com:demo-api-token@127.0.0.1:7990/acme?scheme=http"


def properties(url: str) -> dict[str, object]:
    return connection_properties(make_url(url))


def test_the_documented_emulator_url() -> None:
    assert properties(DOCUMENTED) == {
        "BaseURL": "http://127.0.0.1:7990/2.0",
        "Workspace": "acme",
        "User": "demo@example.com",
        "APIToken": "demo-api-token",
    }


def test_bitbucket_cloud_is_the_default_host_over_https() -> None:
    assert properties("bitbucket://me%40example.com:tok@/acme")["BaseURL"] == "https://api.bitbucket.org/2.0"
    assert properties("bitbucket://me%40example.com:tok@api.bitbucket.org/acme")["BaseURL"] == (
        "https://api.bitbucket.org/2.0"
    )


def test_the_website_host_is_refused_with_the_api_host_named() -> None:
    with pytest.raises(ArgumentError, match="api.bitbucket.org"):
        properties("bitbucket://me%40example.com:tok@bitbucket.org/acme")


def test_the_api_path_and_scheme_can_change() -> None:
    found = properties("bitbucket://u:t@bb.internal:8443/acme?path=/rest/api/2.0")
    assert found["BaseURL"] == "https://bb.internal:8443/rest/api/2.0"
    assert properties("bitbucket://u:t@[::1]:7990/acme?SCHEME=http")["BaseURL"] == "http://[::1]:7990/2.0"


def test_base_url_in_the_query_string_replaces_the_derivation() -> None:
    found = properties("bitbucket://u:t@/acme?BaseURL=http://127.0.0.1:7990/2.0")
    assert found["BaseURL"] == "http://127.0.0.1:7990/2.0"
    with pytest.raises(ArgumentError, match="both a host and BaseURL"):
        properties("bitbucket://u:t@example.com/acme?baseurl=http://127.0.0.1:7990/2.0")


def test_query_keys_are_connection_properties_in_any_case() -> None:
    found = properties(DOCUMENTED + "&maxconcurrency=4&CACHETTL=0&Max_Rows=10&repository=api")
    assert {key: found[key] for key in ("MaxConcurrency", "CacheTTL", "MaxRows", "Repository")} == {
        "MaxConcurrency": "4",
        "CacheTTL": "0",
        "MaxRows": "10",
        "Repository": "api",
    }


def test_unknown_keys_name_the_closest_property() -> None:
    with pytest.raises(ArgumentError, match="MaxConcurrency"):
        properties(DOCUMENTED + "&maxconcurency=4")


def test_secrets_are_refused_in_the_query_string_without_echoing_them() -> None:
    with pytest.raises(ArgumentError) as raised:
        properties("bitbucket://demo%40example.com@127.0.0.1:7990/acme?scheme=http&apitoken=s3cr3t-value")
    assert "APIToken" in str(raised.value) and "password position" in str(raised.value)
    assert "s3cr3t-value" not in str(raised.value)


def test_the_password_fills_the_auth_schemes_secret() -> None:
    assert properties("bitbucket://:bearer-token@/acme") == {
        "BaseURL": "https://api.bitbucket.org/2.0",
        "Workspace": "acme",
        "AccessToken": "bearer-token",
    }
    basic = properties("bitbucket://someone:pw@/acme?AuthScheme=Basic")
    assert (basic["User"], basic["Password"]) == ("someone", "pw")
    client = properties("bitbucket://key:consumer-secret@/acme?authscheme=client")
    assert (client["OAuthClientId"], client["OAuthClientSecret"]) == ("key", "consumer-secret")


def test_the_workspace_is_named_once() -> None:
    assert properties("bitbucket://u:t@/?Workspace=acme")["Workspace"] == "acme"
    with pytest.raises(ArgumentError, match="keep one"):
        properties("bitbucket://u:t@/acme?workspace=other")


def test_url_for_is_the_inverse() -> None:
    url = url_for(
        "acme", user="demo@example.com", token="demo-api-token", base_url="http://127.0.0.1:7990/2.0"
    )
    assert connection_properties(url) == properties(DOCUMENTED)
    assert url.render_as_string(hide_password=False) == DOCUMENTED


def test_both_names_are_registered_entry_points() -> None:
    names = {point.name for point in entry_points(group="sqlalchemy.dialects")}
    assert {"bitbucket", "bitbucket.bbsql"} <= names
    for url in (DOCUMENTED, DOCUMENTED.replace("bitbucket://", "bitbucket+bbsql://")):
        engine = sqlalchemy.create_engine(url)
        assert isinstance(engine.dialect, BitbucketDialect)
        assert engine.dialect.paramstyle == "qmark"
        engine.dispose()


def test_a_bad_property_value_fails_at_connect_naming_it() -> None:
    engine = sqlalchemy.create_engine(DOCUMENTED + "&MaxConcurrency=lots")
    with pytest.raises(sqlalchemy.exc.DBAPIError, match="MaxConcurrency"):
        engine.connect()
    engine.dispose()
