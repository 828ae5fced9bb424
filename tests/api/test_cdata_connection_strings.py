"""Connection strings copied from CData's Bitbucket driver mean what they mean there (issue 13)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oauth_browser import ScriptedBrowser

import bitbucket_sql
from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.oauth import authorization_code_login
from bitbucket_sql.api.settings import parse_connection_string
from bitbucket_sql.emulator import run_emulator

SEED = (
    "Workspace=myworkspaceslug;Schema=Information;InitiateOAuth=GETANDREFRESH;"
    "OAuthSettingsLocation=~/.bbsql/cdata-oauth.json"
)
CONSUMER = "OAuthClientId=demo-client-id;OAuthClientSecret=demo-client-secret"


def test_the_seed_string_verbatim_asks_only_for_a_consumer() -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_connection_string(SEED)
    message = str(caught.value)
    assert "InitiateOAuth=GETANDREFRESH" in message
    assert "needs OAuthClientId and OAuthClientSecret" in message
    assert "unknown" not in message and "Schema" not in message


def test_the_seed_string_with_a_consumer_means_what_it_means_in_cdata() -> None:
    settings = parse_connection_string(f"{SEED};{CONSUMER}")
    assert settings.workspace == "myworkspaceslug"
    assert settings.repository is None  # Schema=Information: the workspace-level tables
    assert settings.auth_scheme == "OAuth"  # InitiateOAuth without AuthScheme: authorization code, not Client
    assert settings.initiate_oauth == "GETANDREFRESH"
    assert settings.token_file == Path(os.path.expanduser("~/.bbsql/cdata-oauth.json"))
    assert settings.callback_url == "http://localhost:33333"  # CData's default too


@pytest.mark.parametrize(
    ("text", "repository"),
    [
        ("Workspace=acme;Schema=Information", None),
        ("Workspace=acme;schema=INFORMATION", None),
        ("Workspace=acme;Schema=api", "api"),
        ("Workspace=acme;Schema=api;Repository=api", "api"),
        ("Workspace=acme", None),
    ],
)
def test_schema_is_information_or_a_repository_slug(text: str, repository: str | None) -> None:
    assert parse_connection_string(text).repository == repository


def test_schema_and_a_different_repository_conflict() -> None:
    with pytest.raises(ConfigurationError, match="Schema and Repository name different repositories"):
        parse_connection_string("Workspace=acme;Schema=api;Repository=web")


def test_overriding_the_default_scope_replaces_either_spelling() -> None:
    settings = parse_connection_string("Workspace=acme;Schema=api")
    assert settings.with_overrides(Repository="web").repository == "web"
    assert settings.with_overrides(Schema="Information").repository is None


@pytest.mark.parametrize(
    ("text", "scheme", "mode"),
    [
        (f"InitiateOAuth=REFRESH;{CONSUMER}", "OAuth", "REFRESH"),
        ("InitiateOAuth=OFF;OAuthAccessToken=tok-1", "AccessToken", "OFF"),
        (f"InitiateOAuth=OFF;OAuthAccessToken=tok-1;{CONSUMER}", "OAuth", "OFF"),
        (CONSUMER, "Client", "GETANDREFRESH"),  # no InitiateOAuth: client credentials, as before
    ],
)
def test_initiate_oauth_selects_the_oauth_flow(text: str, scheme: str, mode: str) -> None:
    settings = parse_connection_string(text)
    assert (settings.auth_scheme, settings.initiate_oauth) == (scheme, mode)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    with run_emulator(scale="tiny", seed=5) as emu:
        yield emu


def test_a_cdata_string_queries_the_emulator(emulator: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "oauth.json"
    common = (
        f"BaseURL={emulator.base_url};{CONSUMER};CallbackURL=http://127.0.0.1:0/callback;"
        f"OAuthSettingsLocation={token_file}"
    )
    authorization_code_login(
        parse_connection_string(f"{common};InitiateOAuth=GETANDREFRESH"),
        open_browser=ScriptedBrowser().open,
        announce=lambda _: None,
        timeout=30,
    )
    query = "SELECT DISTINCT repository FROM pull_requests ORDER BY 1"
    answers = {}
    for schema in ("Information", "api"):
        connection = bitbucket_sql.connect(f"Workspace=acme;Schema={schema};InitiateOAuth=REFRESH;{common}")
        try:
            cursor = connection.cursor()
            cursor.execute(query)
            answers[schema] = [row[0] for row in cursor.fetchall()]
        finally:
            connection.close()
    assert answers["api"] == ["api"]  # the repository as the default scope
    assert "api" in answers["Information"] and len(answers["Information"]) > 1  # the whole workspace
