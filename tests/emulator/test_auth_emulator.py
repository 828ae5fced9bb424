"""Each authentication scheme end to end over real HTTP, and the failures users will meet."""

from __future__ import annotations

import httpx
import pytest

from bitbucket_sql.emulator import EmulatorHandle

API_TOKEN = ("demo@example.com", "demo-api-token")
BEARER = {"Authorization": "Bearer demo-access-token"}
READ_ONLY = {"Authorization": "Bearer demo-readonly-token"}


def _slugs(answer: httpx.Response) -> set[str]:
    assert answer.status_code == 200, answer.text
    return {repo["slug"] for repo in answer.json()["values"]}


def _truth(emulator: EmulatorHandle, workspace: str, *, public_only: bool) -> set[str]:
    with emulator.store.lock:
        repos = emulator.store.workspaces[workspace].repositories.values()
        return {repo["slug"] for repo in repos if not (public_only and repo["is_private"])}


def test_api_token_over_basic_acts_as_the_demo_user(emulator: EmulatorHandle) -> None:
    user = httpx.get(f"{emulator.base_url}/user", auth=API_TOKEN)
    assert user.status_code == 200
    assert user.json()["uuid"] == emulator.store.user_by_email("demo@example.com")["uuid"]
    listed = httpx.get(f"{emulator.base_url}/repositories/acme", params={"pagelen": 100}, auth=API_TOKEN)
    assert _slugs(listed) == _truth(emulator, "acme", public_only=False)


def test_access_token_over_bearer_sees_private_acme_repositories(emulator: EmulatorHandle) -> None:
    listed = httpx.get(f"{emulator.base_url}/repositories/acme", params={"pagelen": 100}, headers=BEARER)
    assert _slugs(listed) == _truth(emulator, "acme", public_only=False)
    private = next(
        slug
        for slug in _truth(emulator, "acme", public_only=False)
        if slug not in _truth(emulator, "acme", public_only=True)
    )
    assert httpx.get(f"{emulator.base_url}/repositories/acme/{private}", headers=BEARER).status_code == 200


def test_workspace_access_token_is_confined_to_its_workspace(emulator: EmulatorHandle) -> None:
    private_globex = next(
        iter(
            set(_truth(emulator, "globex", public_only=False)) - _truth(emulator, "globex", public_only=True)
        )
    )
    answer = httpx.get(f"{emulator.base_url}/repositories/globex/{private_globex}", headers=BEARER)
    assert answer.status_code in (403, 404)
    assert answer.json()["type"] == "error"


def test_anonymous_callers_see_public_repositories_only(emulator: EmulatorHandle) -> None:
    public = _truth(emulator, "acme", public_only=True)
    assert public and public != _truth(emulator, "acme", public_only=False)
    listed = httpx.get(f"{emulator.base_url}/repositories/acme", params={"pagelen": 100})
    assert _slugs(listed) == public


def test_anonymous_user_endpoint_is_401(emulator: EmulatorHandle) -> None:
    answer = httpx.get(f"{emulator.base_url}/user")
    assert answer.status_code == 401
    assert answer.json()["type"] == "error"


@pytest.mark.parametrize(
    "credentials",
    [("demo", "an-old-app-password"), ("demo@example.com", "an-old-app-password")],
    ids=["username", "email-with-non-token"],
)
def test_app_passwords_are_refused_with_a_clear_message(
    emulator: EmulatorHandle, credentials: tuple[str, str]
) -> None:
    answer = httpx.get(f"{emulator.base_url}/user", auth=credentials)
    assert answer.status_code == 401
    message = answer.json()["error"]["message"]
    assert "App passwords were removed on 2026-07-28" in message
    assert "API token" in message
    assert credentials[1] not in answer.text


def test_unknown_bearer_token_is_401_in_the_envelope(emulator: EmulatorHandle) -> None:
    answer = httpx.get(f"{emulator.base_url}/user", headers={"Authorization": "Bearer not-a-real-token"})
    assert answer.status_code == 401
    body = answer.json()
    assert body["type"] == "error" and body["error"]["message"]
    assert "not-a-real-token" not in answer.text


def test_malformed_and_unsupported_authorization_headers_are_401(emulator: EmulatorHandle) -> None:
    for header in ("Basic !!!not-base64!!!", "Digest username=x", "JWT abc"):
        answer = httpx.get(f"{emulator.base_url}/user", headers={"Authorization": header})
        assert answer.status_code == 401, header
        assert answer.json()["type"] == "error"


def test_tokens_in_the_query_string_are_refused(emulator: EmulatorHandle) -> None:
    answer = httpx.get(f"{emulator.base_url}/user", params={"access_token": "demo-access-token"})
    assert answer.status_code == 401
    assert "Authorization: Bearer" in answer.json()["error"]["message"]


def test_read_only_token_reads_but_gets_403_naming_the_scope_on_writes(emulator: EmulatorHandle) -> None:
    assert (
        httpx.get(f"{emulator.base_url}/repositories/acme/api/pullrequests", headers=READ_ONLY).status_code
        == 200
    )
    before = emulator.stats()["total"]
    attempts = [
        (
            "POST",
            "/repositories/acme/api/pullrequests",
            {"title": "x", "source": {"branch": {"name": "main"}}},
            "pullrequest:write",
        ),
        (
            "POST",
            "/repositories/acme/api/refs/branches",
            {"name": "x", "target": {"hash": "main"}},
            "repository:write",
        ),
        ("DELETE", "/repositories/acme/api", None, "repository:delete"),
        ("POST", "/workspaces/acme/projects", {"key": "X", "name": "x"}, "project:admin"),
        ("POST", "/repositories/acme/api/hooks", {"url": "https://x", "events": ["repo:push"]}, "webhook"),
        (
            "POST",
            "/repositories/acme/api/pipelines_config/variables",
            {"key": "A", "value": "b"},
            "pipeline:variable",
        ),
    ]
    for method, path, body, scope in attempts:
        answer = httpx.request(method, emulator.base_url + path, json=body, headers=READ_ONLY)
        assert answer.status_code == 403, (method, path, answer.text)
        error = answer.json()["error"]
        assert error["detail"]["required"] == [scope]  # live Bitbucket's shape: {"granted", "required"}
        assert error["data"]["required"] == [scope]
    assert emulator.stats()["total"] == before + len(attempts)


def test_anonymous_writes_are_401(emulator: EmulatorHandle) -> None:
    answer = httpx.post(f"{emulator.base_url}/repositories/acme/web/refs/branches", json={"name": "x"})
    assert answer.status_code == 401
    assert answer.json()["type"] == "error"


def test_reads_need_the_spec_scope_of_their_endpoint(emulator: EmulatorHandle) -> None:
    emulator.credentials.add_access_token("repo-only-token", "acme", frozenset({"repository"}))
    headers = {"Authorization": "Bearer repo-only-token"}
    assert (
        httpx.get(f"{emulator.base_url}/repositories/acme/api/refs/branches", headers=headers).status_code
        == 200
    )
    for path, scope in [
        ("/repositories/acme/api/pipelines", "pipeline"),
        ("/repositories/acme/api/pullrequests", "pullrequest"),
        ("/repositories/acme/api/hooks", "webhook"),
        ("/workspaces/acme/projects", "project"),
    ]:
        answer = httpx.get(emulator.base_url + path, headers=headers)
        assert answer.status_code == 403, path
        assert answer.json()["error"]["data"]["required"] == [scope]
        assert answer.json()["error"]["detail"]["required"] == [scope]


def test_pullrequest_scope_implies_repository_for_reads(emulator: EmulatorHandle) -> None:
    emulator.credentials.add_access_token("pr-only-token", "acme", frozenset({"pullrequest"}))
    headers = {"Authorization": "Bearer pr-only-token"}
    assert httpx.get(f"{emulator.base_url}/repositories/acme/api/commits", headers=headers).status_code == 200
    assert (
        httpx.get(f"{emulator.base_url}/repositories/acme/api/pullrequests", headers=headers).status_code
        == 200
    )
