"""OAuth 2.0 over real HTTP, no browser: consent page, form, callback, code exchange, refresh."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import httpx
import pytest

from bitbucket_sql.emulator import EmulatorHandle, run_emulator

CLIENT = ("demo-client-id", "demo-client-secret")
CALLBACK = "http://127.0.0.1:45678/callback"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    """A private emulator with 60-second tokens, so moving its clock cannot disturb other tests."""
    with run_emulator(scale="tiny", seed=1, access_token_ttl=60) as handle:
        yield handle


def _authorize(
    emu: EmulatorHandle, client: httpx.Client, state: str, redirect_uri: str | None = CALLBACK
) -> str:
    """Drive the consent page like a browser would; return the callback URL it redirects to."""
    params = {"client_id": "demo-client-id", "response_type": "code", "state": state}
    if redirect_uri:
        params["redirect_uri"] = redirect_uri
    page = client.get(f"{emu.root_url}/site/oauth2/authorize", params=params)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Grant access" in page.text and "bitbucket-sql demo" in page.text
    assert "pullrequest" in page.text  # the scopes are listed
    action = re.search(r"<form method='post' action='([^']+)'", page.text)
    assert action
    hidden = re.findall(r"<input type='hidden' name='([^']+)' value='([^']*)'>", page.text)
    fields = {name: html.unescape(value) for name, value in hidden}  # as a browser would decode them
    fields["decision"] = "grant"
    answer = client.post(emu.root_url + action.group(1), data=fields)
    assert answer.status_code == 302
    return answer.headers["location"]


def _exchange(emu: EmulatorHandle, **form: str) -> httpx.Response:
    return httpx.post(f"{emu.root_url}/site/oauth2/access_token", data=form, auth=CLIENT)


def _user(emu: EmulatorHandle, token: str) -> httpx.Response:
    return httpx.get(f"{emu.base_url}/user", headers={"Authorization": f"Bearer {token}"})


def test_authorization_code_flow_end_to_end(emu: EmulatorHandle) -> None:
    with httpx.Client() as browser:
        callback = httpx.URL(_authorize(emu, browser, state="s-123"))
    assert str(callback).startswith(CALLBACK)
    assert callback.params["state"] == "s-123"
    tokens = _exchange(
        emu, grant_type="authorization_code", code=callback.params["code"], redirect_uri=CALLBACK
    )
    assert tokens.status_code == 200
    body = tokens.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 60
    assert body["state"] == "authorization_code"
    assert "pullrequest" in body["scopes"].split()
    assert body["refresh_token"] and body["access_token"]
    me = _user(emu, body["access_token"])
    assert me.status_code == 200
    assert me.json()["uuid"] == emu.store.user_by_email("demo@example.com")["uuid"]


def test_codes_are_single_use(emu: EmulatorHandle) -> None:
    with httpx.Client() as browser:
        code = httpx.URL(_authorize(emu, browser, state="once")).params["code"]
    assert _exchange(emu, grant_type="authorization_code", code=code).status_code == 200
    again = _exchange(emu, grant_type="authorization_code", code=code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_codes_expire(emu: EmulatorHandle) -> None:
    with httpx.Client() as browser:
        code = httpx.URL(_authorize(emu, browser, state="late")).params["code"]
    emu.advance_time(3600)
    late = _exchange(emu, grant_type="authorization_code", code=code)
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


def test_redirect_uri_must_match_the_authorization(emu: EmulatorHandle) -> None:
    with httpx.Client() as browser:
        code = httpx.URL(_authorize(emu, browser, state="r")).params["code"]
    wrong = _exchange(
        emu, grant_type="authorization_code", code=code, redirect_uri="http://127.0.0.1:1/other"
    )
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"


def test_consent_without_redirect_uri_goes_to_the_registered_callback(emu: EmulatorHandle) -> None:
    with httpx.Client() as browser:
        location = _authorize(emu, browser, state="default", redirect_uri=None)
    assert location.startswith("http://localhost:33333")
    assert "code=" in location and "state=default" in location


def test_denied_consent_redirects_with_access_denied(emu: EmulatorHandle) -> None:
    answer = httpx.post(
        f"{emu.root_url}/site/oauth2/authorize",
        data={
            "client_id": "demo-client-id",
            "response_type": "code",
            "state": "no",
            "decision": "deny",
            "redirect_uri": CALLBACK,
        },
    )
    assert answer.status_code == 302
    location = httpx.URL(answer.headers["location"])
    assert location.params["error"] == "access_denied" and location.params["state"] == "no"
    assert "code" not in location.params


def test_unknown_client_gets_a_400_page(emu: EmulatorHandle) -> None:
    answer = httpx.get(
        f"{emu.root_url}/site/oauth2/authorize", params={"client_id": "nope", "response_type": "code"}
    )
    assert answer.status_code == 400
    assert "nope" in answer.text


def test_foreign_redirect_uri_is_refused(emu: EmulatorHandle) -> None:
    answer = httpx.get(
        f"{emu.root_url}/site/oauth2/authorize",
        params={
            "client_id": "demo-client-id",
            "response_type": "code",
            "redirect_uri": "https://evil.example/cb",
        },
    )
    assert answer.status_code == 400


def test_refresh_tokens_rotate(emu: EmulatorHandle) -> None:
    first = _exchange(emu, grant_type="client_credentials").json()
    second = _exchange(emu, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second.status_code == 200
    body = second.json()
    assert body["state"] == "refresh_token"
    assert body["refresh_token"] != first["refresh_token"]
    assert body["access_token"] != first["access_token"]
    assert _user(emu, body["access_token"]).status_code == 200
    reused = _exchange(emu, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert _exchange(emu, grant_type="refresh_token", refresh_token=body["refresh_token"]).status_code == 200


def test_client_credentials_with_form_fields(emu: EmulatorHandle) -> None:
    answer = httpx.post(
        f"{emu.root_url}/site/oauth2/access_token",
        data={"grant_type": "client_credentials", "client_id": CLIENT[0], "client_secret": CLIENT[1]},
    )
    assert answer.status_code == 200
    assert answer.json()["state"] == "client_credentials"
    assert _user(emu, answer.json()["access_token"]).status_code == 200


def test_access_tokens_expire_and_refresh_recovers(emu: EmulatorHandle) -> None:
    tokens = _exchange(emu, grant_type="client_credentials").json()
    assert _user(emu, tokens["access_token"]).status_code == 200
    emu.advance_time(61)
    expired = _user(emu, tokens["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {
        "type": "error",
        "error": {"message": "Access token expired. Use your refresh token to obtain a new access token."},
    }
    fresh = _exchange(emu, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert _user(emu, fresh["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("auth", "form", "status", "error"),
    [
        (("demo-client-id", "wrong"), {"grant_type": "client_credentials"}, 401, "invalid_client"),
        (None, {"grant_type": "client_credentials"}, 401, "invalid_client"),
        (CLIENT, {"grant_type": "password", "username": "u", "password": "p"}, 400, "unsupported_grant_type"),
        (CLIENT, {}, 400, "invalid_request"),
        (CLIENT, {"grant_type": "authorization_code"}, 400, "invalid_request"),
        (CLIENT, {"grant_type": "refresh_token", "refresh_token": "made-up"}, 400, "invalid_grant"),
    ],
)
def test_token_endpoint_errors_are_oauth_json(
    emu: EmulatorHandle, auth: tuple[str, str] | None, form: dict[str, str], status: int, error: str
) -> None:
    answer = httpx.post(f"{emu.root_url}/site/oauth2/access_token", data=form, auth=auth)
    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert answer.json()["error_description"]
    assert "demo-client-secret" not in answer.text


def test_state_is_escaped_in_the_page_and_returned_unchanged(emu: EmulatorHandle) -> None:
    state = "<script>alert('x')</script>&more"
    with httpx.Client() as browser:
        page = browser.get(
            f"{emu.root_url}/site/oauth2/authorize",
            params={"client_id": "demo-client-id", "response_type": "code", "state": state},
        )
        assert "<script>" not in page.text
        callback = httpx.URL(_authorize(emu, browser, state=state))
    assert callback.params["state"] == state
