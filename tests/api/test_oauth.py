"""OAuth against the emulator over real HTTP: authorization code, refresh rotation, modes, client credentials."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from oauth_browser import ScriptedBrowser

import bitbucket_sql.api.oauth as oauth_module
from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.oauth import TokenStore, authorization_code_login
from bitbucket_sql.api.oauth_login import CallbackListener
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
def desktop(monkeypatch: pytest.MonkeyPatch) -> ScriptedBrowser:
    """A machine with a graphical browser, played by the scripted one (it consents when opened)."""
    browser = ScriptedBrowser()
    monkeypatch.setattr(oauth_module, "has_browser", lambda: True)
    monkeypatch.setattr(oauth_module, "default_open_browser", browser.open)
    return browser


@pytest.fixture
def unattended(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A cron/CI run: stdin is /dev/null and there is no display for a browser."""
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    with open(os.devnull) as devnull:
        monkeypatch.setattr(sys, "stdin", devnull)
        yield


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


def kill_the_stored_refresh_token(emulator: Any, settings: ConnectionSettings, token_file: Path) -> dict[str, Any]:
    """Another process refreshes (so the stored refresh token dies) and the stored access token expires."""
    token = stored_token(token_file)
    assert refresh_is_accepted(emulator, token["refresh_token"])
    TokenStore(token_file).save(TokenStore.key(settings), {**token, "expires_at": 1})
    return token


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


def test_requests_of_another_sign_in_are_ignored_and_the_right_one_wins(
    emulator: Any, token_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = oauth_settings(emulator, token_file)
    browser = ScriptedBrowser(follow=False)
    answers: list[httpx.Response] = []

    def stray_requests_then_the_real_redirect(url: str) -> bool:
        browser.open(url)
        real = browser.redirected_to[-1]
        callback = real.split("?", 1)[0]
        code = httpx.URL(real).params["code"]
        for stray in (
            real.replace("state=", "state=forged"),  # an earlier sign-in's tab, or a forgery
            f"{callback}?code={code}",  # no state at all
            f"{callback}?error=access_denied&state=forged",  # a forged denial must not abort either
        ):
            answers.append(httpx.get(stray))
        answers.append(httpx.get(real))
        return True

    with caplog.at_level("WARNING", logger="bitbucket_sql.api.oauth"):
        token = authorization_code_login(
            settings, open_browser=stray_requests_then_the_real_redirect, announce=lambda _: None, timeout=30
        )
    assert [answer.status_code for answer in answers] == [400, 400, 400, 200]
    assert "not the current sign-in" in answers[0].text and "signed in" in answers[-1].text
    assert stored_token(token_file)["access_token"] == token["access_token"]
    assert caplog.text.count("does not belong to this sign-in") == 3
    assert httpx.URL(browser.redirected_to[-1]).params["code"] not in caplog.text


def test_only_stray_requests_end_in_the_timeout(emulator: Any, token_file: Path) -> None:
    settings = oauth_settings(emulator, token_file)
    browser = ScriptedBrowser(follow=False)

    def forged(url: str) -> bool:
        browser.open(url)
        assert httpx.get(browser.redirected_to[-1].replace("state=", "state=forged")).status_code == 400
        return True

    with pytest.raises(errors.OAuthFlowError, match=r"within 2 seconds \(1 request\(s\) of another sign-in were ignored\)"):
        authorization_code_login(settings, open_browser=forged, announce=lambda _: None, timeout=2)
    assert not token_file.exists()


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
    emulator.advance_time(7300)  # the server's view: the token expired
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
    token = kill_the_stored_refresh_token(emulator, signed_in, token_file)
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


def test_getandrefresh_signs_in_on_first_use(emulator: Any, token_file: Path, desktop: ScriptedBrowser) -> None:
    browser = desktop
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
    emulator: Any, signed_in: ConnectionSettings, token_file: Path, desktop: ScriptedBrowser
) -> None:
    token = kill_the_stored_refresh_token(emulator, signed_in, token_file)
    with BitbucketClient(signed_in) as client:
        assert client.get("/user")["type"] == "user"
    assert len(desktop.opened) == 1
    assert stored_token(token_file)["refresh_token"] != token["refresh_token"]


def test_an_unattended_run_without_a_token_fails_at_once(emulator: Any, token_file: Path, unattended: None) -> None:
    """Default InitiateOAuth=GETANDREFRESH under cron/CI: no sign-in URL and 5-minute wait, an error."""
    settings = oauth_settings(emulator, token_file)
    assert settings.initiate_oauth == "GETANDREFRESH"
    emulator.reset_stats()
    with (
        BitbucketClient(settings) as client,
        pytest.raises(errors.AuthenticationError, match="no OAuth token is stored.*Run 'bbsql auth login' first")
        as caught,
    ):
        client.get("/user")
    assert "stdin is not a terminal" in str(caught.value)
    assert not token_file.exists()
    assert emulator.stats()["total"] == 0  # no API request was even tried


def test_an_unattended_run_with_a_dead_refresh_token_reports_it(
    emulator: Any, signed_in: ConnectionSettings, token_file: Path, unattended: None
) -> None:
    token = kill_the_stored_refresh_token(emulator, signed_in, token_file)
    with (
        BitbucketClient(signed_in) as client,
        pytest.raises(errors.OAuthFlowError, match="invalid_grant.*bbsql auth login"),
    ):
        client.get("/user")
    assert stored_token(token_file)["refresh_token"] == token["refresh_token"]  # kept for a human to see


def test_the_callback_port_can_be_bound_again_right_after_a_sign_in() -> None:
    """SO_REUSEADDR and a closed socket: a second login on the same port works at once."""
    with CallbackListener("http://127.0.0.1:0/cb") as first:
        port = httpx.URL(first.redirect_uri).port
        assert httpx.get(first.redirect_uri, params={"code": "c", "state": "s"}).status_code == 200
        assert first.wait(5) == f"{first.redirect_uri}?code=c&state=s"
    with CallbackListener(f"http://127.0.0.1:{port}/cb") as second:  # the old connection is in TIME_WAIT
        assert httpx.get(second.redirect_uri, params={"error": "access_denied"}).status_code == 200
        assert second.wait(5) == f"http://127.0.0.1:{port}/cb?error=access_denied"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/cb")  # closed on leaving the block


def test_a_busy_callback_port_is_a_clear_error() -> None:
    with CallbackListener("http://localhost:0/cb") as busy:
        port = httpx.URL(busy.redirect_uri).port
        assert busy.redirect_uri == f"http://localhost:{port}/cb"
        with (
            pytest.raises(errors.OAuthFlowError, match=f"cannot listen on CallbackURL http://localhost:{port}/cb.*free"),
            CallbackListener(f"http://localhost:{port}/cb"),
        ):
            pass
