"""The issue tracker and wikis were removed on 2026-08-20: their endpoints answer 410."""

from __future__ import annotations

import httpx
import pytest

from bitbucket_sql.emulator import EmulatorHandle

DEMO_AUTH = ("demo@example.com", "demo-api-token")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/repositories/acme/api/issues"),
        ("GET", "/repositories/acme/api/issues/1"),
        ("GET", "/repositories/acme/api/issues/1/comments"),
        ("POST", "/repositories/acme/api/issues"),
        ("PUT", "/repositories/acme/api/issues/1"),
        ("DELETE", "/repositories/acme/api/issues/1/vote"),
        ("GET", "/repositories/acme/api/components"),
        ("GET", "/repositories/acme/api/milestones/2"),
        ("GET", "/repositories/acme/api/versions"),
    ],
)
def test_issue_tracker_endpoints_are_gone(emulator: EmulatorHandle, method: str, path: str) -> None:
    answer = httpx.request(
        method, emulator.base_url + path, auth=DEMO_AUTH, json={} if method != "GET" else None
    )
    assert answer.status_code == 410
    error = answer.json()["error"]
    assert answer.json()["type"] == "error"
    assert "issue tracker" in error["message"] and "2026-08-20" in error["message"]


@pytest.mark.parametrize("path", ["/repositories/acme/api/wiki", "/repositories/acme/api/wiki/Home"])
def test_wiki_endpoints_are_gone(emulator: EmulatorHandle, path: str) -> None:
    answer = httpx.get(emulator.base_url + path, auth=DEMO_AUTH)
    assert answer.status_code == 410
    assert "Wikis were removed" in answer.json()["error"]["message"]
    assert "2026-08-20" in answer.json()["error"]["message"]
