"""A damaged OAuth token file is an error that says what is wrong and what to do (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.errors import ConfigurationError
from bitbucket_sql.api.oauth import TokenStore
from bitbucket_sql.api.settings import parse_connection_string


def settings_for(token_file: Path):  # type: ignore[no-untyped-def]
    return parse_connection_string(
        "BaseURL=http://127.0.0.1:9/2.0;AuthScheme=OAuth;OAuthClientId=cid;OAuthClientSecret=cs;"
        f"InitiateOAuth=REFRESH;OAuthSettingsLocation={token_file}"
    )


@pytest.mark.parametrize(
    ("token", "said"),
    [
        ({"access_token": 12345, "refresh_token": "r"}, "'access_token' is a int, not text"),
        ({"access_token": "a", "refresh_token": ["r"]}, "'refresh_token' is a list, not text"),
        ({"access_token": "a", "expires_at": "tomorrow"}, "'expires_at' is a str, not a number"),
    ],
)
def test_a_token_of_the_wrong_type_names_the_field(tmp_path: Path, token: dict, said: str) -> None:  # type: ignore[type-arg]
    token_file = tmp_path / "oauth.json"
    settings = settings_for(token_file)
    token_file.write_text(json.dumps({"version": 1, "tokens": {TokenStore.key(settings): token}}))
    with BitbucketClient(settings) as client, pytest.raises(ConfigurationError) as caught:
        client.auth.authorization()
    message = str(caught.value)
    assert said in message and str(token_file) in message and "bbsql auth login" in message
    assert "has no len()" not in message


def test_a_token_file_that_is_not_json_says_so(tmp_path: Path) -> None:
    token_file = tmp_path / "oauth.json"
    token_file.write_text('{"version": 1, "tokens": {')
    with BitbucketClient(settings_for(token_file)) as client, pytest.raises(
        ConfigurationError, match=r"oauth.json \(OAuthSettingsLocation\) is not valid JSON.*bbsql auth login"
    ):
        client.auth.authorization()
