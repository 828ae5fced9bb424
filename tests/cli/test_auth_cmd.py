"""``bbsql auth login | status | logout`` against the emulator."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from bitbucket_sql.cli import auth_cmd
from bitbucket_sql.cli.main import cli

API_TOKEN = "AuthScheme=APIToken;User=demo@example.com;APIToken=demo-api-token"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


class _Hidden(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "input" and values.get("type") == "hidden":
            self.fields[values["name"]] = values.get("value", "")


def consenting_browser(url: str) -> bool:
    """Press "Grant access" on the emulator's consent page and follow the redirect."""
    form = _Hidden()
    form.feed(httpx.get(url).text)
    answer = httpx.post(httpx.URL(url).copy_with(query=None), data={**form.fields, "decision": "grant"})
    httpx.get(answer.headers["location"]).raise_for_status()
    return True


def oauth_connection(emulator: Any, token_file: Path) -> str:
    return (
        f"BaseURL={emulator.base_url};AuthScheme=OAuth;OAuthClientId=demo-client-id;"
        f"OAuthClientSecret=demo-client-secret;CallbackURL=http://127.0.0.1:0/cb;"
        f"OAuthSettingsLocation={token_file}"
    )


def test_status_shows_the_user_and_scheme_but_no_secret(emulator: Any) -> None:
    result = run("auth", "status", "-c", f"BaseURL={emulator.base_url};{API_TOKEN}")
    assert result.exit_code == 0, result.output
    assert "Demo User" in result.output and "APIToken" in result.output
    assert "demo@example.com" in result.output
    assert "demo-api-token" not in result.output


def test_status_reads_the_connection_from_the_environment(emulator: Any) -> None:
    env = {"BBSQL_CONNECTION": f"BaseURL={emulator.base_url};AccessToken=demo-access-token"}
    result = run("auth", "status", "--json", env=env)
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["auth_scheme"] == "AccessToken" and status["type"]
    assert "demo-access-token" not in result.output


def test_login_logout_cycle_with_oauth(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth_cmd, "open_browser", consenting_browser)
    token_file = tmp_path / "oauth.json"
    connection = oauth_connection(emulator, token_file)
    login = run("auth", "login", "-c", connection, "--timeout", "30")
    assert login.exit_code == 0, login.output
    assert "OAuth tokens saved" in login.output and "Demo User" in login.output
    stored = next(iter(json.loads(token_file.read_text())["tokens"].values()))
    status = run("auth", "status", "-c", connection + ";InitiateOAuth=REFRESH")
    assert status.exit_code == 0, status.output
    assert "OAuth" in status.output and "token expires" in status.output and "repository" in status.output
    for secret in (stored["access_token"], stored["refresh_token"], "demo-client-secret"):
        assert secret not in login.output + status.output
    logout = run("auth", "logout", "-c", connection)
    assert logout.exit_code == 0 and "Deleted the stored OAuth tokens" in logout.output
    assert not token_file.exists()
    again = run("auth", "status", "-c", connection + ";InitiateOAuth=REFRESH")
    assert again.exit_code != 0 and "bbsql auth login" in again.output


def test_login_ignores_a_stray_callback_request_and_finishes(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another local request to the callback (wrong or no state) no longer aborts the sign-in."""
    strays: list[int] = []

    def stray_then_consent(url: str) -> bool:
        state = httpx.URL(url).params["state"]
        redirect = httpx.URL(httpx.URL(url).params["redirect_uri"])
        strays.append(httpx.get(redirect.copy_with(params={"code": "x", "state": state + "-old"})).status_code)
        strays.append(httpx.get(redirect.copy_with(params={"error": "access_denied"})).status_code)
        return consenting_browser(url)

    monkeypatch.setattr(auth_cmd, "open_browser", stray_then_consent)
    token_file = tmp_path / "oauth.json"
    login = run("auth", "login", "-c", oauth_connection(emulator, token_file), "--timeout", "30")
    assert login.exit_code == 0, login.output
    assert strays == [400, 400]
    assert "OAuth tokens saved" in login.output and token_file.exists()


def test_login_validates_token_schemes(emulator: Any) -> None:
    good = run("auth", "login", "-c", f"BaseURL={emulator.base_url};{API_TOKEN}")
    assert good.exit_code == 0 and "Demo User" in good.output
    bad = run("auth", "login", "-c", f"BaseURL={emulator.base_url};User=demo@example.com;APIToken=nope-123456")
    assert bad.exit_code != 0 and "401" in bad.output and "nope-123456" not in bad.output


def test_login_without_credentials_says_what_to_configure(emulator: Any) -> None:
    result = run("auth", "login", "-c", f"BaseURL={emulator.base_url}")
    assert result.exit_code != 0 and "AuthScheme=OAuth" in result.output


def test_logout_of_a_token_scheme_explains_revocation(emulator: Any) -> None:
    result = run("auth", "logout", "-c", f"BaseURL={emulator.base_url};{API_TOKEN}")
    assert result.exit_code == 0 and "revoke it in Bitbucket" in result.output
