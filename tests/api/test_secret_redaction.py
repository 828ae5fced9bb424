"""No secret ever reaches a log line, an exception, a repr or the terminal, at the most verbose level."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oauth_browser import ScriptedBrowser

from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.oauth import TokenStore, authorization_code_login
from bitbucket_sql.api.redact import redact_headers, redact_url
from bitbucket_sql.api.settings import parse_connection_string
from bitbucket_sql.emulator import run_emulator

LOGGERS = ("", "bitbucket_sql", "httpx", "httpcore", "authlib", "urllib3", "uvicorn")
FIXED_SECRETS = ["demo-api-token", "demo-access-token", "demo-client-secret", "old-app-password-77"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Any]:
    """A private emulator: these tests move its clock, which must not disturb other modules' tests."""
    with run_emulator(scale="tiny", seed=1) as emu:
        yield emu


@pytest.fixture
def everything_logged() -> Iterator[io.StringIO]:
    """Capture every record of every logger at DEBUG, as verbose as logging gets."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    logging.getLogger().addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield buffer
    logging.getLogger().removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_no_secret_in_any_output_of_any_auth_flow(
    emulator: Any,
    tmp_path: Path,
    everything_logged: io.StringIO,
    capfd: pytest.CaptureFixture[str],
) -> None:
    logfile = tmp_path / "bbsql.log"
    common = f"BaseURL={emulator.base_url};Verbosity=5;Logfile={logfile};RetryBaseDelay=0.001"
    shown: list[str] = []  # everything a user could see besides logs: errors, reprs, stats
    secrets = list(FIXED_SECRETS)
    secrets.append(base64.b64encode(b"demo@example.com:demo-api-token").decode())

    def use(connection: str, path: str = "/user") -> None:
        settings = parse_connection_string(f"{common};{connection}")
        shown.append(repr(settings))
        with BitbucketClient(settings) as client:
            shown.extend([repr(client), repr(client.auth), repr(client.auth.describe())])
            with client.recording() as rec:
                try:
                    client.get(path)
                    list(client.paginate("/repositories/acme", pagelen=2))
                    list(client.get_many([(1, "/user", None)]))
                except errors.BitbucketError as error:
                    shown.append(str(error))
                    shown.append(repr(error.__dict__))
            shown.append(repr(rec.records))
            shown.append(repr(client.stats))

    use("User=demo@example.com;APIToken=demo-api-token")
    use("AccessToken=demo-access-token")
    use("AuthScheme=Basic;User=demo;Password=old-app-password-77")
    use("OAuthClientId=demo-client-id;OAuthClientSecret=demo-client-secret")
    use("User=demo@example.com;APIToken=wrong-but-secret-42")
    secrets.append("wrong-but-secret-42")

    # OAuth: authorization code, then a proactive refresh, then a refresh after a server-side 401.
    token_file = tmp_path / "oauth.json"
    oauth = (
        "AuthScheme=OAuth;OAuthClientId=demo-client-id;OAuthClientSecret=demo-client-secret;"
        f"CallbackURL=http://127.0.0.1:0/cb;OAuthSettingsLocation={token_file}"
    )
    settings = parse_connection_string(f"{common};{oauth}")
    browser = ScriptedBrowser()
    authorization_code_login(settings, open_browser=browser.open, timeout=30)
    secrets.extend(value for value in browser.redirected_to[0].split("code=")[1].split("&")[:1])
    token = json.loads(token_file.read_text())["tokens"]
    first = next(iter(token.values()))
    secrets.extend([first["access_token"], first["refresh_token"]])
    TokenStore(token_file).save(TokenStore.key(settings), {**first, "expires_at": 1})
    use(oauth)
    emulator.advance_time(7300)
    use(oauth)
    stored = next(iter(json.loads(token_file.read_text())["tokens"].values()))
    secrets.extend([stored["access_token"], stored["refresh_token"]])
    # a refresh token that no longer works: the failure must not echo it
    TokenStore(token_file).save(TokenStore.key(settings), {**stored, "expires_at": 1, "refresh_token": "dead-rt-99"})
    secrets.append("dead-rt-99")
    use(oauth + ";InitiateOAuth=REFRESH")

    logged = everything_logged.getvalue()
    terminal = capfd.readouterr()
    file_log = logfile.read_text()
    assert "GET " in file_log and "/2.0/user" in file_log  # verbose logging really ran
    assert "Authorization" in file_log or "authorization" in file_log  # headers were logged, masked
    assert "refresh_token" not in logged or "********" in logged
    for secret in secrets:
        assert len(secret) >= 8
        for name, text in (("logs", logged), ("log file", file_log), ("stdout", terminal.out),
                           ("stderr", terminal.err), ("errors/reprs", "\n".join(shown))):
            assert secret not in text, f"a secret appeared in {name}"


def test_redaction_helpers() -> None:
    assert redact_url("https://u:pw@h/2.0/x?access_token=abc&q=1") == "https://h/2.0/x?access_token=%2A%2A%2A%2A%2A%2A%2A%2A&q=1"
    masked = redact_headers({"Authorization": "Bearer abc", "Accept": "application/json"})
    assert masked == {"Authorization": "Bearer ********", "Accept": "application/json"}
