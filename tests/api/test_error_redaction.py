"""No credential in any error text: the API client's exceptions, the DB-API driver's and the
CLI's output all pass the same redactor as the logs (issue 9, "exception text is not scrubbed")."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from api_fake_server import make_echo_app, serve
from click.testing import CliRunner

import bitbucket_sql
from bitbucket_sql.api import errors
from bitbucket_sql.api.client import BitbucketClient
from bitbucket_sql.api.redact import MASK, redact_text
from bitbucket_sql.cli.main import cli
from bitbucket_sql.dbapi import exceptions as dbapi_errors

ACCESS_TOKEN = "echoed-access-token-8c1d7e"
API_TOKEN = "echoed-api-token-3b9f02"


@pytest.fixture(scope="module")
def echo_server() -> Iterator[str]:
    with serve(make_echo_app()) as root:
        yield root


def _leaks(text: str) -> list[str]:
    basic = base64.b64encode(f"me@example.com:{API_TOKEN}".encode()).decode()
    return [secret for secret in (ACCESS_TOKEN, API_TOKEN, basic) if secret in text]


@pytest.mark.parametrize(
    "credentials",
    [f"AccessToken={ACCESS_TOKEN}", f"AuthScheme=APIToken;User=me@example.com;APIToken={API_TOKEN}"],
)
def test_an_echoed_authorization_header_never_reaches_the_exception(echo_server: str, credentials: str) -> None:
    with (
        BitbucketClient(f"BaseURL={echo_server}/2.0;MaxRetries=0;{credentials}") as client,
        pytest.raises(errors.AuthenticationError) as caught,
    ):
        client.get("/user")
    error = caught.value
    shown = " ".join(str(part) for part in (error, error.summary, error.api_message, error.detail, repr(error)))
    assert _leaks(shown) == []
    assert "Invalid credentials" in str(error) and MASK in str(error)


def test_the_cli_prints_no_echoed_credential(echo_server: str) -> None:
    connection = f"BaseURL={echo_server}/2.0;MaxRetries=0;AccessToken={ACCESS_TOKEN};Workspace=acme"
    for args in (["auth", "status", "-c", connection], ["query", "-c", connection, "SELECT * FROM repositories"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code != 0
        assert "401" in result.output, result.output
        assert _leaks(result.output) == [], result.output


def test_dbapi_errors_carry_no_echoed_credential(echo_server: str) -> None:
    connection = bitbucket_sql.connect(f"BaseURL={echo_server}/2.0;MaxRetries=0;AccessToken={ACCESS_TOKEN};Workspace=acme")
    try:
        with pytest.raises(dbapi_errors.OperationalError) as caught:
            connection.cursor().execute("SELECT * FROM repositories")
    finally:
        connection.close()
    assert _leaks(str(caught.value)) == [] and _leaks(repr(caught.value)) == []
    assert _leaks(str(caught.value.__cause__)) == []


def test_dbapi_errors_are_redacted_whoever_raises_them() -> None:
    error = dbapi_errors.ProgrammingError("bad: Authorization: Bearer abc123def456 and APIToken=xyz-998877")
    assert "abc123def456" not in str(error) and "xyz-998877" not in str(error)


def test_a_connection_string_error_in_the_cli_hides_the_secret_tail() -> None:
    result = CliRunner().invoke(
        cli, ["query", "-c", "User=me@example.com;APIToken=ATATT-abc;tail-55443;Workspace=acme", "SELECT 1"]
    )
    assert result.exit_code != 0
    assert "tail-55443" not in result.output and "ATATT-abc" not in result.output
    assert "after APIToken" in result.output


def test_a_base_url_with_a_password_is_never_echoed() -> None:
    result = CliRunner().invoke(cli, ["auth", "status", "-c", "BaseURL=https://me:pw-55443@h.example/2.0"])
    assert result.exit_code != 0 and "pw-55443" not in result.output
    assert "BaseURL must not contain a user name or password" in result.output


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Invalid credentials: Bearer tok-a1b2c3d4e5", "tok-a1b2c3d4e5"),
        ("{'Authorization': 'Basic bWU6c2VjcmV0LXRva2Vu'}", "bWU6c2VjcmV0LXRva2Vu"),
        ("GET https://u:pw-1234@h/2.0/x?access_token=tok-998 failed", "pw-1234"),
        ("GET https://u:pw-1234@h/2.0/x?access_token=tok-998 failed", "tok-998"),
        ('{"refresh_token": "rt-7777777", "expires_in": 3600}', "rt-7777777"),
        ("OAuthClientSecret=cs-31337;Workspace=acme", "cs-31337"),
    ],
)
def test_the_redactor_masks_credentials_in_free_text(text: str, secret: str) -> None:
    assert secret not in redact_text(text)


def test_the_redactor_leaves_prose_and_placeholders_alone() -> None:
    for text in (
        "AuthScheme=Basic sends a username and password. Basic remains for compatible servers.",
        "Add User=<Atlassian e-mail>;APIToken=<token>",
        "The Bearer token expired; run 'bbsql auth login'",
    ):
        assert redact_text(text) == text
