"""The Fivetran connector's configuration keys: what a user writes in configuration.json (or
Fivetran's setup form) becomes the sync's inputs, and every mistake is an error naming the key.

The module imports no Fivetran SDK, so it is checked here in the project's own environment;
tests/integrations/test_fivetran.py runs the whole connector under the SDK.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

CONNECTOR_DIRECTORY = Path(__file__).resolve().parents[2] / "integrations" / "fivetran"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, CONNECTOR_DIRECTORY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


configuration_module = _load("bitbucket_configuration")
parse = configuration_module.parse_configuration
ConfigurationKeyError = configuration_module.ConnectorConfigurationError

API_TOKEN = {"workspaces": "acme", "email": "me@example.com", "api_token": "s3cret-api-token"}


def _error(configuration: dict[str, object]) -> ConfigurationKeyError:
    with pytest.raises(ConfigurationKeyError) as caught:
        parse(configuration)
    return caught.value


def test_the_shipped_example_is_valid_and_points_at_the_local_emulator() -> None:
    example = json.loads((CONNECTOR_DIRECTORY / "configuration.json").read_text(encoding="utf-8"))
    config = parse(example)
    assert config.workspaces == ("acme",)
    assert config.settings.auth_scheme == "APIToken"
    assert config.settings.base_url == "http://127.0.0.1:7990/2.0"
    # blank optional keys (as Fivetran's form sends them) mean "not set"
    assert (config.tables, config.repositories, config.since, config.max_requests) == (None, None, None, None)
    assert config.full_refresh_every is None


def test_api_token_configuration_becomes_basic_auth_settings_and_lists() -> None:
    config = parse(
        {
            **API_TOKEN,
            "workspaces": "acme, widgets,acme",
            "tables": "Pull_Requests, repositories",
            "repositories": "api,web",
            "start_date": "2025-03-01",
            "max_requests": "900",
            "full_refresh_every": "6h",
        }
    )
    assert config.workspaces == ("acme", "widgets")
    assert config.tables == ("pull_requests", "repositories")
    assert config.repositories == ("api", "web")
    assert config.since == datetime(2025, 3, 1, tzinfo=UTC)
    assert config.max_requests == 900
    assert config.full_refresh_every == timedelta(hours=6)
    settings = config.settings
    assert (settings.auth_scheme, settings.user, settings.api_token) == (
        "APIToken",
        "me@example.com",
        "s3cret-api-token",
    )
    assert settings.base_url == "https://api.bitbucket.org/2.0"


def test_access_token_and_client_credentials_are_implied_by_their_keys() -> None:
    bearer = parse({"workspaces": "acme", "access_token": "ATCTT-token"}).settings
    assert (bearer.auth_scheme, bearer.access_token) == ("AccessToken", "ATCTT-token")
    client = parse({"workspaces": "acme", "client_id": "key", "client_secret": "secret"}).settings
    assert (client.auth_scheme, client.oauth_client_id, client.oauth_client_secret) == (
        "Client",
        "key",
        "secret",
    )


def test_start_date_accepts_an_iso_timestamp() -> None:
    config = parse({**API_TOKEN, "start_date": "2025-03-01T12:30:00Z"})
    assert config.since == datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("configuration", "key", "words"),
    [
        ({"email": "me@example.com", "api_token": "x"}, "workspaces", "missing"),
        ({**API_TOKEN, "workspaces": "acme, not a slug"}, "workspaces", "not a slug"),
        ({**API_TOKEN, "workspace": "acme"}, "workspace", "Did you mean 'workspaces'"),
        ({"workspaces": "acme"}, "auth_method", "no credentials"),
        ({**API_TOKEN, "access_token": "t"}, "auth_method", "several methods"),
        (
            {**API_TOKEN, "auth_method": "password"},
            "auth_method",
            "api_token, access_token, client_credentials",
        ),
        ({"workspaces": "acme", "api_token": "x"}, "email", "missing"),
        ({"workspaces": "acme", "client_id": "key"}, "client_secret", "missing"),
        ({**API_TOKEN, "base_url": "ftp://example.com/2.0"}, "base_url", "http(s) URL"),
        ({**API_TOKEN, "start_date": "last tuesday"}, "start_date", "YYYY-MM-DD"),
        ({**API_TOKEN, "max_requests": "0"}, "max_requests", "positive whole number"),
        ({**API_TOKEN, "full_refresh_every": "daily"}, "full_refresh_every", "6h"),
        ({**API_TOKEN, "max_requests": 900}, "max_requests", "must be a string"),
        ({**API_TOKEN, "tables": " , "}, "tables", "names nothing"),
    ],
)
def test_each_mistake_names_its_key_and_says_what_to_write(
    configuration: dict[str, object], key: str, words: str
) -> None:
    error = _error(configuration)
    assert error.key == key
    assert f"configuration key '{key}'" in str(error)
    assert words in str(error)


def test_secrets_are_in_no_message_and_no_repr() -> None:
    secret = "s3cret-api-token"
    wrong_type = _error({**API_TOKEN, "api_token": ["s3cret", "in", "a", "list"]})
    assert wrong_type.key == "api_token" and "s3cret" not in str(wrong_type)
    config = parse(API_TOKEN)
    assert secret not in repr(config)
    assert secret not in str(config.settings)
