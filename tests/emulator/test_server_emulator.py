"""Starting and stopping the emulator, its configuration, and the shared ``emulator`` fixture."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

import bitbucket_sql.emulator
from bitbucket_sql.emulator import EmulatorConfig, EmulatorHandle, run_emulator


def test_shared_fixture_serves_on_loopback(emulator: EmulatorHandle) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/2\.0", emulator.base_url)
    assert emulator.base_url == emulator.root_url + "/2.0"
    answer = httpx.get(f"{emulator.root_url}/_emulator/stats")
    assert answer.status_code == 200
    assert set(answer.json()) == {"total", "routes"}


def test_fixture_store_has_the_demo_workspaces(emulator: EmulatorHandle) -> None:
    assert {"acme", "globex"} <= set(emulator.store.workspace_slugs())
    assert emulator.config.scale == "tiny" and emulator.config.seed == 1


def test_server_stops_when_the_block_ends() -> None:
    with run_emulator(scale="tiny", seed=3) as emu:
        root = emu.root_url
        assert httpx.get(f"{root}/_emulator/stats").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{root}/_emulator/stats", timeout=2)


def test_two_emulators_run_side_by_side_on_different_ports() -> None:
    with run_emulator(scale="tiny", seed=1) as first, run_emulator(scale="tiny", seed=2) as second:
        assert first.port != second.port
        assert httpx.get(f"{first.root_url}/_emulator/stats").status_code == 200
        assert httpx.get(f"{second.root_url}/_emulator/stats").status_code == 200


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"scale": "huge"}, "scale"),
        ({"port": 70000}, "port"),
        ({"latency_ms": -1}, "latency_ms"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"fault_rate": 1.5}, "fault_rate"),
        ({"retry_after": -3}, "retry_after"),
        ({"data": "/no/such/file.json"}, "data file"),
        ({"access_token_ttl": 0}, "access_token_ttl"),
    ],
)
def test_invalid_configuration_names_the_bad_value(options: dict[str, object], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        EmulatorConfig(**options)  # type: ignore[arg-type]


def test_unknown_api_path_answers_404_in_the_error_envelope(emulator: EmulatorHandle) -> None:
    answer = httpx.get(f"{emulator.base_url}/no/such/endpoint")
    assert answer.status_code == 404
    body = answer.json()
    assert body["type"] == "error"
    assert "/2.0/no/such/endpoint" in body["error"]["detail"]


def test_latency_is_applied_to_concurrent_requests_without_serialising_them() -> None:
    """Eight requests sent at once must all wait inside the latency stage together."""

    async def fire(base_url: str, count: int) -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(
                *(client.get(f"{base_url}/repositories/acme/api/issues") for _ in range(count))
            )
        return [answer.status_code for answer in answers]

    with run_emulator(scale="tiny", seed=1, latency_ms=400) as emu:
        emu.reset_stats()
        statuses = asyncio.run(fire(emu.base_url, 8))
        assert statuses == [410] * 8
        assert emu.stats()["total"] == 8
        assert emu.peak_in_flight() > 1


def test_data_file_is_served_instead_of_generated_data() -> None:
    example = Path(bitbucket_sql.emulator.__file__).parent / "data" / "example.yaml"
    with run_emulator(data=str(example)) as emu:
        expected = set(emu.store.workspace_slugs())
        answer = httpx.get(f"{emu.base_url}/user/workspaces", auth=("demo@example.com", "demo-api-token"))
        assert answer.status_code == 200
        served = {item["workspace"]["slug"] for item in answer.json()["values"]}
        assert served and served <= expected
