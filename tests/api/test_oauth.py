"""OAuth against the emulator over real HTTP: authorization code, refresh rotation, modes, client credentials."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oauth_browser import ScriptedBrowser

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.oauth import TokenStore, authorization_code_login
from bitbucket_sql.api.settings import ConnectionSettings, parse_connection_string
from bitbucket_sql.emulator import run_emulator

CLIENT_ID, CLIENT_SECRET = "demo-client-id", "demo-client-secret"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    """A private emulator: these tests move its clock, which must not disturb other modules' tests."""
    with run_emulator(scale="tiny", seed=1) as emu:
        yield emu


def oauth_settings(emulator: Any, token_file: Path, **extra: Any) -> ConnectionSettings:
    return parse_connection_string(
        f"BaseURL={emulator.base_url};AuthScheme=OAuth;OAuthClientId={CLIENT_ID};"
        f"OAuthClientSecret={CLIENT_SECRET};CallbackURL=http://127.0.0.1:0/callback;"
        f"OAuthSettingsLocation={token_file};RetryBaseDelay=0.001",
        **extra,
    )


def stored_token(token_file: Path) -> dict[str, Any]:
    tokens = json.loads(token_file.read_text())["tokens"]
    assert len(tokens) == 1
    return next(iter(tokens.values()))


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    return tmp_path / "bbsql" / "oauth.json"


@pytest.fixture
def signed_in(emulator: Any, token_file: Path) -> ConnectionSettings:
    settings = oauth_settings(emulator, token_file)
    authorization_code_login(settings, open_browser=ScriptedBrowser().open, announce=lambda _: None, timeout=30)
    return settings


def refresh_is_accepted(emulator: Any, refresh_token: str) -> bool:
    answer = httpx.post(
        emulator.root_url + "/site/oauth2/access_token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    return answer.status_code == 200


def test_authorization_code_flow_stores_a_private_token_file(emulator: Any, token_file: Path) -> None:
    settings = oauth_settings(emulator, token_file)
    browser = ScriptedBrowser()
    announced: list[str] = []
    token = authorization_code_login(settings, open_browser=browser.open, announce=announced.append, timeout=30)
    assert browser.opened and browser.opened[0].startswith(emulator.root_url + "/site/oauth2/authorize?")
    assert "client_id=demo-client-id" in browser.opened[0] and "response_type=code" in browser.opened[0]
    callback = httpx.URL(browser.redirected_to[0])
    assert callback.host == "127.0.0.1" and callback.port and callback.port > 1024  # port 0: a free port
    assert "code=" in browser.redirected_to[0]
    assert announced and browser.opened[0] in announced[0]
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert stored_token(token_file)["access_token"] == token["access_token"]
    assert "repository" in token["scopes"]
    with BitbucketClient(settings) as client:
        assert client.get("/user")["type"] == "user"
        info = client.auth.describe()
    assert info.scheme == "OAuth" and "repository" in info.scopes and info.expires_at


def test_headless_sign_in_accepts_the_pasted_redirect(emulator: Any, token_file: Path) -> None:
    settings = oauth_settings(emulator, token_file)
    browser = ScriptedBrowser(follow=False)  # "another machine": the redirect never reaches us
    pasted: list[str] = []

    def no_browser(url: str) -> bool:
        browser.open(url)
        pasted.append(browser.redirected_to[-1])
        return False

    announced: list[str] = []
    authorization_code_login(
        settings, open_browser=no_browser, announce=announced.append, read_pasted=lambda: pasted[0], timeout=30
    )
    assert "paste it here" in announced[0]
    assert stored_token(token_file)["access_token"]


def test_denied_consent_is_a_clear_error(emulator: Any, token_file: Path) -> None:
    settings = oauth_settings(emulator, token_file)
    with pytest.raises(errors.OAuthFlowError, match="did not grant access"):
        authorization_code_login(
            settings, open_browser=ScriptedBrowser(decision="deny").open, announce=lambda _: None, timeout=30
        )
    assert not token_file.exists()


def test_a_redirect_from_another_sign_in_is_rejected(emulator: Any, token_file: Path) -> None:
    settings = oauth_settings(emulator, token_file)
    browser = ScriptedBrowser(follow=False)

    def forged(url: str) -> bool:
        browser.open(url)
        location = browser.redirected_to[-1].replace("state=", "state=forged")
        httpx.get(location)
        return True

    with pytest.raises(errors.OAuthFlowError, match="state mismatch"):
        authorization_code_login(settings, open_browser=forged, announce=lambda _: None, timeout=30)


def test_expired_token_is_refreshed_and_the_rotated_refresh_token_persisted(
    emulator: Any, signed_in: ConnectionSettings, token_file: Path
) -> None:
    before = stored_token(token_file)
    store = TokenStore(token_file)
    store.save(TokenStore.key(signed_in), {**before, "expires_at": 1})  # the client's view: expired
    settings = signed_in.with_overrides(InitiateOAuth="REFRESH")
    with BitbucketClient(settings) as client:
        assert client.get("/user")["type"] == "user"
        assert client.stats.retries == 0  # refreshed before the request, not after a 401
    after = stored_token(token_file)
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_token"] != before["access_token"]
    assert after["expires_at"] > 1
    assert not refresh_is_accepted(emulator, before["refresh_token"])  # Bitbucket rotated it


def test_token_rejected_by_the_server_is_refreshed_once(
    emulator: Any, signed_in: ConnectionSettings, token_file: Path
) -> None:
    before = stored_token(token_file)
    emulator.app.state.controls.clock.advance(7300)  # the server's view: the token expired
    with BitbucketClient(signed_in) as client, client.recording() as rec:
        assert client.get("/user")["type"] == "user"
    assert rec.records[0].attempt_errors == ("HTTP 401 (credential renewed)",)
    assert stored_token(token_file)["refresh_token"] != before["refresh_token"]


def test_refresh_mode_never_prompts(emulator: Any, token_file: Path) -> None:
    settings = oauth_settings(emulator, token_file, InitiateOAuth="REFRESH")
    with BitbucketClient(settings) as client, pytest.raises(errors.AuthenticationError, match="bbsql auth login"):
        client.get("/user")


def test_a_dead_refresh_token_asks_to_sign_in_again(
    emulator: Any, signed_in: ConnectionSettings, token_file: Path
) -> None:
    token = stored_token(token_file)
    assert refresh_is_accepted(emulator, token["refresh_token"])  # someone else used it: now dead
    TokenStore(token_file).save(TokenStore.key(signed_in), {**token, "expires_at": 1})
    with (
        BitbucketClient(signed_in.with_overrides(InitiateOAuth="REFRESH")) as client,
        pytest.raises(errors.AuthenticationError, match="invalid_grant.*bbsql auth login") as caught,
    ):
        client.get("/user")
    assert token["refresh_token"] not in str(caught.value)


def test_off_mode_uses_the_given_token_and_writes_nothing(
    emulator: Any, signed_in: ConnectionSettings, token_file: Path, tmp_path: Path
) -> None:
    access = stored_token(token_file)["access_token"]
    other_file = tmp_path / "unused.json"
    settings = oauth_settings(emulator, other_file, InitiateOAuth="OFF", OAuthAccessToken=access)
    with BitbucketClient(settings) as client:
        assert client.get("/user")["type"] == "user"
    assert not other_file.exists()


def test_client_credentials_grant_and_renewal_before_expiry(emulator: Any) -> None:
    settings = parse_connection_string(
        f"BaseURL={emulator.base_url};OAuthClientId={CLIENT_ID};OAuthClientSecret={CLIENT_SECRET}"
    )
    assert settings.auth_scheme == "Client"
    with BitbucketClient(settings) as client:
        assert client.get("/user")["type"] == "user"
        first = client.auth.authorization()
        assert client.auth.describe().scopes
        client.auth._client.token["expires_at"] = 1  # pretend the token's lifetime ran out
        second = client.auth.authorization()
        assert second != first
        assert client.get("/user")["type"] == "user"


def test_wrong_client_secret_is_explained(emulator: Any) -> None:
    settings = parse_connection_string(
        f"BaseURL={emulator.base_url};OAuthClientId={CLIENT_ID};OAuthClientSecret=wrong-secret-123"
    )
    with BitbucketClient(settings) as client, pytest.raises(errors.AuthenticationError) as caught:
        client.get("/user")
    assert "invalid_client" in str(caught.value) and "OAuthClientSecret" in str(caught.value)
    assert "wrong-secret-123" not in str(caught.value)


def test_token_file_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "oauth.json"
    store = TokenStore(path)
    store.save("k", {"access_token": "a1", "refresh_token": "r1"})
    original = path.read_text()

    def crash(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(json, "dump", crash)
    with pytest.raises(OSError, match="disk full"):
        store.save("k", {"access_token": "a2", "refresh_token": "r2"})
    assert path.read_text() == original  # the only valid refresh token survived
    assert sorted(p.name for p in tmp_path.iterdir()) == ["oauth.json", "oauth.json.lock"]  # no temp file
    monkeypatch.undo()
    assert store.delete("k") and not path.exists()


def test_a_token_rotated_by_another_process_is_adopted(
    emulator: Any, signed_in: ConnectionSettings, token_file: Path
) -> None:
    settings = signed_in.with_overrides(InitiateOAuth="REFRESH")
    with BitbucketClient(settings) as stale, BitbucketClient(settings) as other:
        stale.get("/user")  # holds the current refresh token in memory
        other.get("/user")
        other.auth._client.token["expires_at"] = 1
        other.get("/user")  # refreshes: the stale client's refresh token is now dead
        assert stored_token(token_file)["refresh_token"] != stale.auth._client.token["refresh_token"]
        stale.auth._client.token["expires_at"] = 1
        assert stale.get("/user")["type"] == "user"  # took the rotated tokens from the file
        assert stale.auth._client.token["refresh_token"] == stored_token(token_file)["refresh_token"]


def test_getandrefresh_signs_in_on_first_use(
    emulator: Any, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bitbucket_sql.api.oauth as oauth_module

    browser = ScriptedBrowser()
    monkeypatch.setattr(oauth_module, "default_open_browser", browser.open)
    with BitbucketClient(oauth_settings(emulator, token_file)) as client:
        assert client.get("/user")["type"] == "user"
    assert len(browser.opened) == 1 and stored_token(token_file)["access_token"]
    with BitbucketClient(oauth_settings(emulator, token_file)) as client:  # the stored token is reused
        assert client.get("/user")["type"] == "user"
    assert len(browser.opened) == 1


def test_non_interactive_clients_never_start_a_sign_in(emulator: Any, token_file: Path) -> None:
    with (
        BitbucketClient(oauth_settings(emulator, token_file), interactive=False) as client,
        pytest.raises(errors.AuthenticationError, match="bbsql auth login"),
    ):
        client.get("/user")


def test_getandrefresh_signs_in_again_when_the_refresh_token_died(
    emulator: Any, signed_in: ConnectionSettings, token_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bitbucket_sql.api.oauth as oauth_module

    token = stored_token(token_file)
    assert refresh_is_accepted(emulator, token["refresh_token"])  # used elsewhere: now dead
    TokenStore(token_file).save(TokenStore.key(signed_in), {**token, "expires_at": 1})
    browser = ScriptedBrowser()
    monkeypatch.setattr(oauth_module, "default_open_browser", browser.open)
    with BitbucketClient(signed_in) as client:
        assert client.get("/user")["type"] == "user"
    assert len(browser.opened) == 1
    assert stored_token(token_file)["refresh_token"] != token["refresh_token"]
