"""The authlib behaviour the OAuth schemes rely on, checked against the emulator's token endpoint."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from oauth_browser import ScriptedBrowser

from bitbucket_sql.api.oauth import OAuth2Client, token_client
from bitbucket_sql.api.settings import parse_connection_string


@pytest.fixture
def authlib_client(emulator: Any) -> OAuth2Client:
    settings = parse_connection_string(
        f"BaseURL={emulator.base_url};AuthScheme=OAuth;OAuthClientId=demo-client-id;"
        "OAuthClientSecret=demo-client-secret;CallbackURL=http://127.0.0.1:0/cb"
    )
    return token_client(settings, redirect_uri="http://127.0.0.1:9/cb")


def test_authorization_url_carries_client_redirect_and_state(emulator: Any, authlib_client: OAuth2Client) -> None:
    url, state = authlib_client.create_authorization_url(emulator.root_url + "/site/oauth2/authorize")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["demo-client-id"]
    assert query["response_type"] == ["code"]
    assert query["redirect_uri"] == ["http://127.0.0.1:9/cb"]
    assert query["state"] == [state] and len(state) >= 20


def test_code_exchange_then_refresh_rotates_and_reports_through_update_token(
    emulator: Any, authlib_client: OAuth2Client
) -> None:
    url, state = authlib_client.create_authorization_url(emulator.root_url + "/site/oauth2/authorize")
    redirected = ScriptedBrowser(follow=False).consent(url)
    token = authlib_client.fetch_token(
        emulator.root_url + "/site/oauth2/access_token", authorization_response=redirected, state=state
    )
    assert token["token_type"].lower() == "bearer"
    assert abs(token["expires_at"] - (time.time() + token["expires_in"])) < 5  # derived from expires_in
    assert token.is_expired(leeway=60) is False

    updates: list[tuple[dict[str, Any], str]] = []
    authlib_client.update_token = lambda new, refresh_token=None, **_: updates.append((dict(new), refresh_token))
    old_refresh = token["refresh_token"]
    authlib_client.token["expires_at"] = int(time.time()) - 1
    assert authlib_client.ensure_active_token(authlib_client.token)  # refreshes because it expired
    assert len(updates) == 1
    new_token, passed_old = updates[0]
    assert passed_old == old_refresh
    assert new_token["refresh_token"] != old_refresh  # the rotated refresh token reaches update_token
    assert authlib_client.token["access_token"] == new_token["access_token"]


def test_client_credentials_renewal_goes_through_update_token(emulator: Any, authlib_client: OAuth2Client) -> None:
    authlib_client.metadata["grant_type"] = "client_credentials"
    first = authlib_client.fetch_token(emulator.root_url + "/site/oauth2/access_token", grant_type="client_credentials")
    updates: list[dict[str, Any]] = []
    authlib_client.update_token = lambda new, **_: updates.append(dict(new))
    authlib_client.token["expires_at"] = int(time.time()) - 1
    assert authlib_client.ensure_active_token(authlib_client.token)
    assert updates and updates[0]["access_token"] != first["access_token"]


def test_expired_token_without_refresh_token_is_not_renewed(authlib_client: OAuth2Client) -> None:
    authlib_client.token = {"access_token": "x", "token_type": "bearer", "expires_at": int(time.time()) - 5}
    assert not authlib_client.ensure_active_token(authlib_client.token)
