"""Injected faults: reproducible by seed, in the error envelope, including dropped connections."""

from __future__ import annotations

import httpx

from bitbucket_sql.emulator import run_emulator

PATH = "/repositories/acme/api/issues"  # answers 410 when no fault is injected


def _outcomes(base_url: str, count: int) -> list[str]:
    """One label per request: the status code, or "dropped" when no response came back."""
    outcomes = []
    with httpx.Client(base_url=base_url, timeout=10) as client:
        for _ in range(count):
            try:
                outcomes.append(str(client.get(PATH).status_code))
            except httpx.RemoteProtocolError:  # the pool discards the dropped connection
                outcomes.append("dropped")
    return outcomes


def test_fault_sequence_is_reproducible_by_seed_and_mixes_all_kinds() -> None:
    with run_emulator(scale="tiny", seed=7, fault_rate=0.5) as emu:
        first = _outcomes(emu.base_url, 60)
        emu.set_fault_rate(0.5)  # restarts the sequence from the configured seed
        second = _outcomes(emu.base_url, 60)
    assert first == second
    assert {"410", "500", "502", "503", "dropped"} <= set(first)
    with run_emulator(scale="tiny", seed=7, fault_rate=0.5) as emu:
        assert _outcomes(emu.base_url, 60) == first
    with run_emulator(scale="tiny", seed=8, fault_rate=0.5) as emu:
        assert _outcomes(emu.base_url, 60) != first


def test_faults_use_the_error_envelope() -> None:
    with run_emulator(scale="tiny", seed=1) as emu:
        emu.set_fault_rate(1.0)
        seen: set[int] = set()
        with httpx.Client(timeout=10) as client:
            for _ in range(30):
                try:
                    answer = client.get(emu.base_url + PATH)
                except httpx.RemoteProtocolError:
                    continue
                seen.add(answer.status_code)
                assert answer.json()["type"] == "error"
                assert answer.json()["error"]["message"]
        assert seen == {500, 502, 503}


def test_fault_rate_zero_and_admin_routes_are_never_faulted() -> None:
    with run_emulator(scale="tiny", seed=1, fault_rate=1.0) as emu:
        for _ in range(5):
            assert httpx.get(f"{emu.root_url}/_emulator/stats").status_code == 200
        emu.set_fault_rate(0.0)
        assert _outcomes(emu.base_url, 10) == ["410"] * 10
