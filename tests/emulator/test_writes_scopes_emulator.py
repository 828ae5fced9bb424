"""The OAuth scopes the emulator demands are the ones the official spec gives each operation.

Write routes carry their scope; GETs are checked by the read-scope table. Both are compared with
``security[].oauth2`` of the same operation in the spec shipped next to the emulator's data. Over
HTTP, every write route refuses a token that lacks its scopes with a 403 naming them.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import bitbucket_sql.emulator
from bitbucket_sql.emulator import EmulatorHandle, run_emulator
from bitbucket_sql.emulator.generator import generate
from bitbucket_sql.emulator.middleware.read_scopes import GET_SCOPES
from bitbucket_sql.emulator.routes_write import write_routes
from bitbucket_sql.emulator.routes_write.base import WriteRoute

SPEC_PATH = Path(bitbucket_sql.emulator.__file__).parent / "data" / "bitbucket-cloud-swagger.json.gz"


@pytest.fixture(scope="module")
def spec_paths() -> dict[str, Any]:
    paths: dict[str, Any] = json.loads(gzip.decompress(SPEC_PATH.read_bytes()))["paths"]
    return paths


def _spec_path(template: str) -> str:
    """``/2.0/a/{name:path}`` -> ``/a/{name}``, the spec's spelling."""
    return template.removeprefix("/2.0").replace(":path}", "}")


def _classic_scopes(operation: dict[str, Any]) -> tuple[str, ...]:
    requirements = [tuple(item["oauth2"]) for item in operation.get("security", []) if "oauth2" in item]
    return requirements[0] if requirements else ()


def test_every_write_route_needs_the_spec_scope(spec_paths: dict[str, Any]) -> None:
    routes = [route for route in write_routes(generate("tiny", 1)) if isinstance(route, WriteRoute)]
    assert len(routes) >= 60
    for route in routes:
        operation = spec_paths[_spec_path(route.path)][route.method.lower()]
        assert route.required_scopes == _classic_scopes(operation), (route.method, route.path)


def test_the_read_scope_table_matches_the_spec(spec_paths: dict[str, Any]) -> None:
    for template, scopes in GET_SCOPES.items():
        assert scopes == _classic_scopes(spec_paths[_spec_path(template)]["get"]), template


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        handle.credentials.add_access_token("no-scope-token", "acme", frozenset())
        yield handle


def _concrete(template: str) -> str:
    """A URL for a route template: the scope check comes before any lookup, so values may be dummies."""
    return re.sub(r"{(\w+)(:path)?}", lambda m: "acme" if m.group(1) == "workspace" else "x1", template)


def test_every_write_route_refuses_a_token_without_its_scopes(emu: EmulatorHandle) -> None:
    routes = [route for route in write_routes(emu.store) if isinstance(route, WriteRoute)]
    with httpx.Client(headers={"Authorization": "Bearer no-scope-token"}, timeout=30) as client:
        for route in routes:
            answer = client.request(route.method, emu.root_url + _concrete(route.path), json={})
            assert answer.status_code == 403, (route.method, route.path, answer.text)
            error = answer.json()["error"]
            assert error["message"] == "Your credentials lack one or more required privilege scopes."
            assert error["data"]["missing"] == list(route.required_scopes)
            assert error["detail"] == {"granted": [], "required": list(route.required_scopes)}


def test_a_read_only_token_is_told_which_write_scope_it_lacks_and_nothing_changes(
    emu: EmulatorHandle,
) -> None:
    branches = f"{emu.base_url}/repositories/acme/api/refs/branches"
    headers = {"Authorization": "Bearer demo-readonly-token"}
    answer = httpx.post(branches, headers=headers, json={"name": "ro/branch", "target": {"hash": "main"}})
    assert answer.status_code == 403
    assert answer.json()["error"]["data"]["missing"] == ["repository:write"]
    assert answer.json()["error"]["detail"]["required"] == ["repository:write"]
    assert "repository" in answer.json()["error"]["detail"]["granted"]
    assert httpx.get(f"{branches}/ro/branch", headers=headers).status_code == 404
    approve = httpx.post(
        f"{emu.base_url}/repositories/acme/api/pullrequests/4/approve", headers=headers, json={}
    )
    assert approve.json()["error"]["data"]["missing"] == ["pullrequest:write"]


def test_anonymous_writes_need_credentials(emu: EmulatorHandle) -> None:
    answer = httpx.post(f"{emu.base_url}/repositories/acme/web/refs/branches", json={"name": "x"})
    assert answer.status_code == 401 and answer.json()["type"] == "error"
