"""The emulator's bodies against ``fidelity_manifest.json``: key paths and value formats per endpoint,
derived from bodies recorded from live Bitbucket Cloud (each entry names its source repository,
file and date; docs/emulator-api.md lists the choices).

A path the emulator emits that real bodies do not have is a column that looks filled in tests and is
NULL in production; a path real bodies have that the emulator lacks is a column never tested. Both
fail here, as does a value in another format (a timestamp form the parser never saw, a hash length)
and a default ``pagelen`` that differs from the recorded one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

MANIFEST = json.loads((Path(__file__).parent / "fidelity_manifest.json").read_text(encoding="utf-8"))
ENDPOINTS: dict[str, dict[str, Any]] = MANIFEST["endpoints"]
DEMO = ("demo@example.com", "demo-api-token")

FORMATS = [
    ("datetime-seconds-offset", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")),
    ("datetime-micro-offset", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d")),
    ("datetime-z", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z")),
    ("datetime-naive", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?")),
    ("uuid-braced", re.compile(r"\{[^{}]+\}")),
    ("sha40", re.compile(r"[0-9a-f]{40}")),
    ("sha12", re.compile(r"[0-9a-f]{12}")),
]


def value_format(value: Any) -> str:
    """The manifest's format class of one JSON value (the same classes the manifest was built with)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    for name, pattern in FORMATS:
        if pattern.fullmatch(value):
            return name
    return "string"


def key_paths(value: Any, path: str = "", found: dict[str, set[str]] | None = None) -> dict[str, set[str]]:
    """Every key path of a body with the formats seen there; list items share ``[]``, link relations
    stop at ``links.<rel>`` (their hrefs differ by host)."""
    found = {} if found is None else found
    if path.rsplit(".", 1)[-1] == "links" and isinstance(value, dict):
        found.setdefault(path, set()).add("object")
        for rel in value:
            found.setdefault(f"{path}.{rel}", set()).add("link")
        return found
    if path:
        found.setdefault(path, set()).add(value_format(value))
    if isinstance(value, dict):
        for key, item in value.items():
            key_paths(item, f"{path}.{key}" if path else key, found)
    elif isinstance(value, list):
        for item in value:
            key_paths(item, path + "[]", found)
    return found


def under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith((root + ".", root + "[]")) for root in roots)


def differences(expected: dict[str, Any], actual: dict[str, set[str]]) -> list[str]:
    """What separates an emulator body's paths from a manifest entry, one line per problem."""
    paths: dict[str, set[str]] = {
        path: set(formats.split("|")) for path, formats in expected["paths"].items()
    }
    optional, open_ = expected["optional"], expected["open"]
    problems = []
    for path, formats in sorted(actual.items()):
        if under(path, open_) and path not in paths:
            continue
        if path not in paths:
            problems.append(f"only the emulator has {path}")
            continue
        # a recorded null says nothing about the format a value takes when it is set
        wrong = {fmt for fmt in formats if fmt != "null" and fmt not in paths[path]}
        if wrong and paths[path] != {"null"}:
            problems.append(f"{path}: emulator {sorted(wrong)}, real {sorted(paths[path])}")
    for path in sorted(paths):
        if path in actual or under(path, optional) or (under(path, open_) and path not in open_):
            continue
        if not any(path.startswith(parent + ".") and paths[parent] == {"null"} for parent in paths):
            problems.append(f"only real bodies have {path}")
    return problems


@pytest.fixture(scope="module")
def client(emulator: Any) -> Iterator[httpx.Client]:
    """The session's read-only tiny emulator (conftest.py), as the demo user."""
    with httpx.Client(base_url=emulator.base_url, auth=DEMO, timeout=30) as http:
        yield http


@pytest.fixture(scope="module")
def placeholders(client: httpx.Client) -> dict[str, str]:
    """Ids in the demo data that have what each endpoint needs (statuses, comments, tasks, steps)."""
    base = "/repositories/acme/api"
    head = client.get(f"{base}/refs/branches/main").json()["target"]["hash"]
    prs = client.get(f"{base}/pullrequests?state=OPEN&state=MERGED&state=DECLINED&pagelen=50").json()[
        "values"
    ]
    values = {"HEAD": head, "HOOK": client.get(f"{base}/hooks").json()["values"][0]["uuid"]}
    values["COMMENT_PR"] = str(max(prs, key=lambda pr: pr["comment_count"])["id"])
    values["TASK_PR"] = str(max(prs, key=lambda pr: pr["task_count"])["id"])
    for pr in prs:
        statuses = client.get(f"{base}/pullrequests/{pr['id']}/statuses").json()["values"]
        if statuses:
            values["STATUS_PR"] = str(pr["id"])
            values["STATUS_SHA"] = statuses[0]["commit"]["hash"]
            values["STATUS_KEY"] = statuses[0]["key"]
            break
    pipelines = client.get(f"{base}/pipelines?pagelen=100").json()["values"]
    values["PIPELINE"] = next(p["uuid"] for p in pipelines if p["state"]["name"] == "COMPLETED")
    return values


def fetch(client: httpx.Client, url: str, placeholders: dict[str, str]) -> Any:
    for name, value in placeholders.items():
        url = url.replace("{" + name + "}", value)
    response = client.get(url)
    assert response.status_code == 200, (url, response.text[:300])
    return response.json()


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_emulator_body_has_the_paths_and_formats_of_recorded_real_bodies(
    client: httpx.Client, placeholders: dict[str, str], name: str
) -> None:
    expected = ENDPOINTS[name]
    body = fetch(client, expected["emulator_url"], placeholders)
    problems = differences(expected, key_paths(body))
    source = expected["source"]
    assert not problems, (
        f"{name} differs from {source['repository']}/{source['path']} ({source['date']}):\n"
        + ("\n".join(problems))
    )


@pytest.mark.parametrize("name", sorted(n for n, e in ENDPOINTS.items() if "default_pagelen" in e))
def test_default_page_length_is_the_recorded_one(
    client: httpx.Client, placeholders: dict[str, str], name: str
) -> None:
    expected = ENDPOINTS[name]
    url = re.sub(r"[?&]pagelen=\d+", "", expected["emulator_url"])
    assert fetch(client, url, placeholders)["pagelen"] == expected["default_pagelen"]


def test_the_comparison_catches_an_extra_a_missing_and_a_reformatted_path() -> None:
    expected = {
        "paths": {"values": "array", "values[]": "object", "values[].date": "datetime-seconds-offset"},
        "optional": [],
        "open": [],
    }
    good = key_paths({"values": [{"date": "2025-04-26T09:50:59+00:00"}]})
    assert differences(expected, good) == []
    reformatted = key_paths({"values": [{"date": "2025-04-26T09:50:59.000000+00:00"}]})
    assert differences(expected, reformatted) == [
        "values[].date: emulator ['datetime-micro-offset'], real ['datetime-seconds-offset']"
    ]
    extra = key_paths({"values": [{"date": "2025-04-26T09:50:59+00:00", "summary": "x"}]})
    assert differences(expected, extra) == ["only the emulator has values[].summary"]
    assert differences(expected, key_paths({"values": [{}]})) == ["only real bodies have values[].date"]
