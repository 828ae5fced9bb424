"""Rate limiting per credential over a rolling hour, answered exactly as Bitbucket does."""

from __future__ import annotations

import httpx

from bitbucket_sql.emulator import run_emulator
from bitbucket_sql.emulator.middleware.rate_limit import RATE_LIMIT_BODY

PATH = "/repositories/acme/api/issues"  # a cheap route (410) that still passes auth and limits
API_TOKEN = ("demo@example.com", "demo-api-token")


def test_requests_beyond_the_limit_get_plain_text_429_without_retry_after() -> None:
    with (
        run_emulator(scale="tiny", seed=1, rate_limit=3) as emu,
        httpx.Client(base_url=emu.base_url) as client,
    ):
        statuses = [client.get(PATH, auth=API_TOKEN).status_code for _ in range(3)]
        assert statuses == [410, 410, 410]
        limited = client.get(PATH, auth=API_TOKEN)
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "text/plain"
        assert limited.text == RATE_LIMIT_BODY == "Rate limit for this resource has been exceeded"
        assert "retry-after" not in limited.headers


def test_retry_after_header_when_configured() -> None:
    with run_emulator(scale="tiny", seed=1, rate_limit=1, retry_after=30) as emu:
        with httpx.Client(base_url=emu.base_url) as client:
            client.get(PATH, auth=API_TOKEN)
            limited = client.get(PATH, auth=API_TOKEN)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "30"


def test_limits_are_per_credential_and_anonymous_callers_count_per_ip() -> None:
    with (
        run_emulator(scale="tiny", seed=1, rate_limit=2) as emu,
        httpx.Client(base_url=emu.base_url) as client,
    ):
        for _ in range(2):
            client.get(PATH, auth=API_TOKEN)
        assert client.get(PATH, auth=API_TOKEN).status_code == 429
        bearer = {"Authorization": "Bearer demo-access-token"}
        assert client.get(PATH, headers=bearer).status_code == 410
        assert client.get(PATH).status_code == 410
        assert client.get(PATH).status_code == 410
        assert client.get(PATH).status_code == 429


def test_the_window_rolls_after_an_hour() -> None:
    with (
        run_emulator(scale="tiny", seed=1, rate_limit=2) as emu,
        httpx.Client(base_url=emu.base_url) as client,
    ):
        client.get(PATH, auth=API_TOKEN)
        emu.advance_time(1800)
        client.get(PATH, auth=API_TOKEN)
        assert client.get(PATH, auth=API_TOKEN).status_code == 429
        emu.advance_time(1801)  # the first request has left the window, the second has not
        assert client.get(PATH, auth=API_TOKEN).status_code == 410
        assert client.get(PATH, auth=API_TOKEN).status_code == 429


def test_access_tokens_see_rate_limit_headers_on_repository_data() -> None:
    with (
        run_emulator(scale="tiny", seed=1, rate_limit=10) as emu,
        httpx.Client(base_url=emu.base_url) as client,
    ):
        answer = client.get(PATH, headers={"Authorization": "Bearer demo-access-token"})
        assert answer.headers["x-ratelimit-limit"] == "10"
        assert answer.headers["x-ratelimit-nearlimit"] == "false"
        for _ in range(8):
            answer = client.get(PATH, headers={"Authorization": "Bearer demo-access-token"})
        assert answer.headers["x-ratelimit-nearlimit"] == "true"
        assert "x-ratelimit-limit" not in client.get(PATH, auth=API_TOKEN).headers


def test_rate_limit_can_be_switched_at_run_time() -> None:
    with run_emulator(scale="tiny", seed=1) as emu, httpx.Client(base_url=emu.base_url) as client:
        assert all(client.get(PATH).status_code == 410 for _ in range(5))
        emu.set_rate_limit(1)
        assert client.get(PATH).status_code == 410
        assert client.get(PATH).status_code == 429
        emu.set_rate_limit(None)
        assert client.get(PATH).status_code == 410
