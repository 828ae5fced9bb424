"""Request statistics by route template, in process and over HTTP."""

from __future__ import annotations

import httpx

from bitbucket_sql.emulator import run_emulator


def test_requests_are_counted_by_route_template_and_reset() -> None:
    with run_emulator(scale="tiny", seed=1) as emu:
        emu.reset_stats()
        with httpx.Client(base_url=emu.base_url) as client:
            client.get("/repositories/acme/api/issues")
            client.get("/repositories/globex/portal/issues")
            client.post("/repositories/acme/web/issues", json={})
            client.get("/definitely/not/an/endpoint")
        stats = emu.stats()
        assert stats["total"] == 4
        assert stats["routes"] == {
            "GET /2.0/repositories/{workspace}/{repo_slug}/issues": 2,
            "POST /2.0/repositories/{workspace}/{repo_slug}/issues": 1,
            "GET <unmatched>": 1,
        }
        emu.reset_stats()
        assert emu.stats() == {"total": 0, "routes": {}}


def test_admin_routes_over_http_are_not_counted() -> None:
    with run_emulator(scale="tiny", seed=1) as emu, httpx.Client() as client:
        client.get(f"{emu.base_url}/repositories/acme/api/issues")
        over_http = client.get(f"{emu.root_url}/_emulator/stats").json()
        assert over_http == {
            "total": 1,
            "routes": {"GET /2.0/repositories/{workspace}/{repo_slug}/issues": 1},
        }
        assert client.get(f"{emu.root_url}/_emulator/stats").json()["total"] == 1
        reset = client.post(f"{emu.root_url}/_emulator/stats/reset")
        assert reset.status_code == 200
        assert client.get(f"{emu.root_url}/_emulator/stats").json() == {"total": 0, "routes": {}}


def test_rejected_requests_still_count() -> None:
    """A 401 reached the server, so a client that retries it pays for the retry."""
    with run_emulator(scale="tiny", seed=1) as emu:
        answer = httpx.get(
            f"{emu.base_url}/repositories/acme/api/issues", headers={"Authorization": "Bearer bogus"}
        )
        assert answer.status_code == 401
        assert emu.stats()["total"] == 1
