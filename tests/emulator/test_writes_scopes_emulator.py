"""The OAuth scopes the emulator demands are the ones the official spec gives each operation.

Write routes carry their scope; GETs are checked by the read-scope table. Both are compared with
``security[].oauth2`` of the same operation in the spec shipped next to the emulator's data.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

import bitbucket_sql.emulator
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
