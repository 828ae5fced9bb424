"""Scripted write faults: the Nth write fails, before or after it applied, in process or over HTTP.

These are what a connector's tests use to provoke a failure in the middle of a multi-row
statement and to check that a POST whose answer was lost is not blindly retried.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bitbucket_sql.emulator import EmulatorHandle, run_emulator

API_TOKEN = ("demo@example.com", "demo-api-token")
BRANCHES = "/repositories/acme/api/refs/branches"


@pytest.fixture()
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture()
def client(emu: EmulatorHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, auth=API_TOKEN, timeout=30) as session:
        yield session


def _create(client: httpx.Client, name: str) -> httpx.Response:
    return client.post(BRANCHES, json={"name": name, "target": {"hash": "main"}})


def _exists(client: httpx.Client, name: str) -> bool:
    return client.get(f"{BRANCHES}/{name}").status_code == 200


def test_the_nth_write_fails_without_applying_and_reads_do_not_count(
    emu: EmulatorHandle, client: httpx.Client
) -> None:
    emu.fail_requests("500", nth=2)
    assert _create(client, "f/one").status_code == 201
    assert _exists(client, "f/one")  # a read: not counted
    failed = _create(client, "f/two")
    assert failed.status_code == 500 and failed.json()["type"] == "error"
    assert not _exists(client, "f/two")  # failed before reaching the route: nothing changed
    assert _create(client, "f/three").status_code == 201  # the fault was spent


def test_a_fault_after_applying_loses_only_the_answer(emu: EmulatorHandle, client: httpx.Client) -> None:
    emu.fail_requests("503", after_apply=True, methods=["POST"])
    assert _create(client, "f/applied").status_code == 503
    assert _exists(client, "f/applied")
    assert _create(client, "f/applied").status_code == 400  # a blind retry meets the duplicate


def test_a_dropped_connection_after_applying(emu: EmulatorHandle, client: httpx.Client) -> None:
    emu.fail_requests("drop", after_apply=True)
    with pytest.raises(httpx.RemoteProtocolError):
        _create(client, "f/dropped")
    assert _exists(client, "f/dropped")


def test_a_timeout_after_applying(emu: EmulatorHandle) -> None:
    emu.fail_requests("timeout", after_apply=True, timeout_seconds=2)
    with (
        httpx.Client(base_url=emu.base_url, auth=API_TOKEN, timeout=0.5) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        _create(impatient, "f/slow")
    with httpx.Client(base_url=emu.base_url, auth=API_TOKEN, timeout=30) as client:
        assert _exists(client, "f/slow")


def test_faults_filter_by_method_and_path_and_repeat(emu: EmulatorHandle, client: httpx.Client) -> None:
    emu.fail_requests("502", methods=["DELETE"], path_contains="/refs/branches/f/", times=2)
    assert _create(client, "f/a").status_code == 201  # a POST: not matched
    assert _create(client, "f/b").status_code == 201
    assert client.delete(f"{BRANCHES}/f/a").status_code == 502
    assert client.delete(f"{BRANCHES}/f/b").status_code == 502
    assert client.delete(f"{BRANCHES}/f/a").status_code == 204
    emu.fail_requests("500")
    emu.clear_faults()
    assert client.delete(f"{BRANCHES}/f/b").status_code == 204


def test_bad_fault_settings_are_refused(emu: EmulatorHandle) -> None:
    with pytest.raises(ValueError, match="outcome"):
        emu.fail_requests("418")
    with pytest.raises(ValueError, match="nth"):
        emu.fail_requests("500", nth=0)


def test_control_routes_script_an_emulator_over_http(emu: EmulatorHandle, client: httpx.Client) -> None:
    admin = emu.root_url + "/_emulator"
    armed = httpx.post(f"{admin}/faults", json={"outcome": "500", "nth": 1, "after_apply": True})
    assert armed.status_code == 200 and armed.json()["armed"][0]["after_apply"] is True
    assert httpx.get(f"{admin}/faults").json()["armed"][0]["outcome"] == "500"
    assert _create(client, "f/http").status_code == 500 and _exists(client, "f/http")
    assert httpx.get(f"{admin}/faults").json()["armed"] == []
    httpx.post(f"{admin}/faults", json={"outcome": "503"})
    assert httpx.delete(f"{admin}/faults").json()["armed"] == []
    bad = httpx.post(f"{admin}/faults", json={"outcome": "500", "when": "later"})
    assert bad.status_code == 400 and "when" in bad.json()["error"]["detail"]
    assert httpx.post(f"{admin}/faults", json={"outcome": "teapot"}).status_code == 400

    timing = httpx.post(
        f"{admin}/pipelines", json={"pending_seconds": 1, "running_seconds": 2, "result": "error"}
    )
    assert timing.json() == {"pending_seconds": 1.0, "running_seconds": 2.0, "result": "ERROR"}
    target = {"type": "pipeline_ref_target", "ref_type": "branch", "ref_name": "main"}
    uuid = client.post("/repositories/acme/api/pipelines", json={"target": target}).json()["uuid"]
    assert httpx.post(f"{admin}/clock", json={"advance": 5}).status_code == 200
    state = client.get(f"/repositories/acme/api/pipelines/{uuid}").json()["state"]
    assert state["name"] == "COMPLETED" and state["result"]["name"] == "ERROR"
    assert httpx.post(f"{admin}/clock", json={"advance": "soon"}).status_code == 400

    modes = httpx.post(f"{admin}/merges", json={"mode": "always", "pending_polls": 0})
    assert modes.json() == {"mode": "always", "pending_polls": 0, "complete_after_seconds": 30.0}
    assert httpx.post(f"{admin}/merges", json={"mode": "sometimes"}).status_code == 400
    assert not any(key.startswith(("POST /_emulator", "GET /_emulator")) for key in emu.stats()["routes"])
