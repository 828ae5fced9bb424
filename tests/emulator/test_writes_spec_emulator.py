"""Every write route against the official spec: request bodies, status codes and response bodies.

One scenario per resource family runs over raw HTTP (httpx) against a private emulator. Each call
validates the request body against the spec's body schema for that operation, checks that the
answer's status is one the spec documents for it, and validates the response body against the
spec's schema for that status (relaxed as the read-side conformance test relaxes it:
``relax_spec``). A final check proves every write route was exercised with a success status.

Request bodies are validated with one relaxation: the spec's definitions require a ``type``
discriminator, which real clients leave out of request bodies and Bitbucket does not demand.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema
import pytest
from test_spec_conformance import EXTRA_DEFINITIONS, relax_spec

from _official_spec import official_spec
from bitbucket_sql.emulator import EmulatorHandle, run_emulator
from bitbucket_sql.emulator.extras import repo_extras
from bitbucket_sql.emulator.routes_write import write_routes
from bitbucket_sql.emulator.routes_write.base import WriteRoute

API_TOKEN = ("demo@example.com", "demo-api-token")
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEIQczXkVx9q spec@test"


def _without_required_type(schema: Any) -> Any:
    """The spec's schemas with ``type`` dropped from every ``required`` list (request bodies only)."""
    if isinstance(schema, list):
        return [_without_required_type(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    fixed = {key: _without_required_type(value) for key, value in schema.items()}
    if isinstance(fixed.get("required"), list):
        fixed["required"] = [name for name in fixed["required"] if name != "type"]
        if not fixed["required"]:
            del fixed["required"]
    return fixed


class SpecCalls:
    """Calls write routes by spec template and checks each against the spec; remembers which."""

    def __init__(self, client: httpx.Client, spec: dict[str, Any]) -> None:
        self.client = client
        self.paths = spec["paths"]
        merged = copy.deepcopy(spec["definitions"])
        merged.update(EXTRA_DEFINITIONS)
        self.response_definitions = relax_spec(merged)
        self.request_definitions = _without_required_type(copy.deepcopy(spec["definitions"]))
        self.covered: set[tuple[str, str]] = set()

    def __call__(
        self,
        method: str,
        template: str,
        params: dict[str, Any],
        body: Any = None,
        *,
        expect: int,
        query: dict[str, str] | None = None,
        files: Any = None,
    ) -> httpx.Response:
        operation = self.paths[template][method.lower()]
        schema_params = [p for p in operation.get("parameters", []) if p.get("in") == "body"]
        if body is not None and schema_params and "schema" in schema_params[0]:
            schema = {**schema_params[0]["schema"], "definitions": self.request_definitions}
            errors = list(jsonschema.Draft4Validator(schema).iter_errors(body))
            assert not errors, f"request body of {method} {template} breaks the spec: {errors[0].message}"
        url = re.sub(r"{(\w+)}", lambda m: quote(str(params[m.group(1)]), safe="/"), template)
        answer = self.client.request(method, url, json=body, params=query, files=files)
        assert answer.status_code == expect, f"{method} {url}: {answer.status_code} {answer.text[:300]}"
        documented = operation["responses"]
        assert str(expect) in documented, (
            f"{method} {template}: {expect} is not in the spec ({sorted(documented)})"
        )
        ref = documented[str(expect)].get("schema", {}).get("$ref")
        if ref:
            self.validate(answer.json(), ref.rsplit("/", 1)[-1], f"{method} {url}")
        elif expect == 204:
            assert answer.content == b""
        if 200 <= expect < 300:
            self.covered.add((method, template))
        return answer

    def validate(self, body: Any, definition: str, where: str) -> None:
        schema = {"$ref": f"#/definitions/{definition}", "definitions": self.response_definitions}
        errors = list(jsonschema.Draft4Validator(schema).iter_errors(body))
        assert not errors, f"{where} vs {definition}: " + "; ".join(
            f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in errors[:3]
        )


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorHandle]:
    with run_emulator(scale="tiny", seed=1) as handle:
        yield handle


@pytest.fixture(scope="module")
def calls(emu: EmulatorHandle) -> Iterator[SpecCalls]:
    with httpx.Client(base_url=emu.base_url, auth=API_TOKEN, timeout=30) as client:
        yield SpecCalls(client, official_spec())


REPO = "/repositories/{workspace}/{repo_slug}"
PR = f"{REPO}/pullrequests/{{pull_request_id}}"
PROJECT = "/workspaces/{workspace}/projects/{project_key}"
API = {"workspace": "acme", "repo_slug": "api"}


def _head(emu: EmulatorHandle, branch: str = "main") -> str:
    with emu.store.lock:
        return str(emu.store.repo_data("acme", "api").branches[branch]["target"]["hash"])


def _member(emu: EmulatorHandle) -> str:
    """A member of acme other than the demo user (for reviewers and grants)."""
    demo = emu.store.user_by_email("demo@example.com")["uuid"]
    return next(uuid for uuid in sorted(emu.store.workspaces["acme"].members) if uuid != demo)


def _projects_and_repositories(calls: SpecCalls) -> None:
    ws = {"workspace": "acme"}
    calls("POST", "/workspaces/{workspace}/projects", ws, {"key": "SPEC", "name": "Spec"}, expect=201)
    calls("PUT", PROJECT, {**ws, "project_key": "SPEC"}, {"name": "Spec 2", "description": "d"}, expect=200)
    calls("PUT", PROJECT, {**ws, "project_key": "SPEC2"}, {"name": "Made by PUT"}, expect=201)
    repo = {**ws, "repo_slug": "spec-repo"}
    calls("POST", REPO, repo, {"scm": "git", "project": {"key": "SPEC"}, "is_private": True}, expect=200)
    calls("PUT", REPO, repo, {"description": "changed"}, expect=200)
    calls("PUT", REPO, {**ws, "repo_slug": "spec-put"}, {"project": {"key": "SPEC"}}, expect=201)
    calls("DELETE", REPO, repo, expect=204)
    calls("DELETE", REPO, {**ws, "repo_slug": "spec-put"}, expect=204)
    calls("DELETE", PROJECT, {**ws, "project_key": "SPEC"}, expect=204)
    calls("DELETE", PROJECT, {**ws, "project_key": "SPEC2"}, expect=204)


def _refs(calls: SpecCalls, emu: EmulatorHandle) -> None:
    head = _head(emu)
    calls("POST", f"{REPO}/refs/branches", API, {"name": "spec/branch", "target": {"hash": head}}, expect=201)
    calls("DELETE", f"{REPO}/refs/branches/{{name}}", {**API, "name": "spec/branch"}, expect=204)
    calls("POST", f"{REPO}/refs/tags", API, {"name": "spec-tag", "target": {"hash": head}}, expect=201)
    calls("DELETE", f"{REPO}/refs/tags/{{name}}", {**API, "name": "spec-tag"}, expect=204)


def _new_pr(calls: SpecCalls, emu: EmulatorHandle, branch: str) -> dict[str, Any]:
    calls("POST", f"{REPO}/refs/branches", API, {"name": branch, "target": {"hash": _head(emu)}}, expect=201)
    body = {"title": f"Spec {branch}", "source": {"branch": {"name": branch}}}
    return {
        **API,
        "pull_request_id": calls("POST", f"{REPO}/pullrequests", API, body, expect=201).json()["id"],
    }


def _pull_requests(calls: SpecCalls, emu: EmulatorHandle) -> None:
    pr = _new_pr(calls, emu, "spec/pr")
    reviewer = _member(emu)
    calls("PUT", PR, pr, {"title": "Spec retitled", "reviewers": [{"uuid": reviewer}]}, expect=200)
    for action in ("approve", "request-changes"):
        calls("POST", f"{PR}/{action}", pr, expect=200)
        calls("DELETE", f"{PR}/{action}", pr, expect=204)
    comment = calls("POST", f"{PR}/comments", pr, {"content": {"raw": "Spec comment"}}, expect=201).json()
    one_comment = {**pr, "comment_id": comment["id"]}
    calls("PUT", f"{PR}/comments/{{comment_id}}", one_comment, {"content": {"raw": "Edited"}}, expect=200)
    calls("POST", f"{PR}/comments/{{comment_id}}/resolve", one_comment, expect=200)
    calls("DELETE", f"{PR}/comments/{{comment_id}}/resolve", one_comment, expect=204)
    task_body = {"content": {"raw": "Spec task"}, "comment": {"id": comment["id"]}}
    task = calls("POST", f"{PR}/tasks", pr, task_body, expect=201).json()
    one_task = {**pr, "task_id": task["id"]}
    calls("PUT", f"{PR}/tasks/{{task_id}}", one_task, {"state": "RESOLVED"}, expect=200)
    calls("DELETE", f"{PR}/tasks/{{task_id}}", one_task, expect=204)
    calls("DELETE", f"{PR}/comments/{{comment_id}}", one_comment, expect=204)
    merge_body = {
        "type": "pullrequest_merge_parameters",
        "merge_strategy": "squash",
        "message": "Spec squash",
    }
    calls("POST", f"{PR}/merge", pr, merge_body, expect=200)

    queued = _new_pr(calls, emu, "spec/async")
    answer = calls("POST", f"{PR}/merge", queued, {"type": "x"}, expect=202, query={"async": "true"})
    task_id = answer.headers["location"].rsplit("/", 1)[-1]
    status_params = {**queued, "task_id": task_id}
    template = f"{PR}/merge/task-status/{{task_id}}"
    assert calls("GET", template, status_params, expect=200).json()["task_status"] == "PENDING"
    done = calls("GET", template, status_params, expect=200).json()
    assert done["task_status"] == "SUCCESS"
    calls.validate(done["merge_result"], "pullrequest", "merge_result")

    declined = _new_pr(calls, emu, "spec/decline")
    calls("POST", f"{PR}/decline", declined, expect=200)


def _statuses_and_hooks(calls: SpecCalls, emu: EmulatorHandle) -> None:
    commit = {**API, "commit": _head(emu)}
    base = f"{REPO}/commit/{{commit}}/statuses/build"
    body = {"key": "spec-ci", "state": "INPROGRESS", "url": "https://ci.example/1", "name": "Spec CI"}
    calls("POST", base, commit, body, expect=201)
    calls(
        "PUT",
        f"{base}/{{key}}",
        {**commit, "key": "spec-ci"},
        {"key": "spec-ci", "state": "SUCCESSFUL"},
        expect=200,
    )
    hook_body = {"url": "https://hooks.example/spec", "events": ["repo:push"], "secret": "s3cret-value"}
    for base, params in ((f"{REPO}/hooks", API), ("/workspaces/{workspace}/hooks", {"workspace": "acme"})):
        hook = calls("POST", base, params, hook_body, expect=201).json()
        one = {**params, "uid": hook["uuid"]}
        calls("PUT", f"{base}/{{uid}}", one, {"active": False}, expect=200)
        calls("DELETE", f"{base}/{{uid}}", one, expect=204)


def _pipelines(calls: SpecCalls, emu: EmulatorHandle) -> None:
    for base, params in (
        (f"{REPO}/pipelines_config/variables", API),
        ("/workspaces/{workspace}/pipelines-config/variables", {"workspace": "acme"}),
    ):
        variable = calls(
            "POST", base, params, {"key": "SPEC_VAR", "value": "v", "secured": False}, expect=201
        )
        one = {**params, "variable_uuid": variable.json()["uuid"]}
        calls("PUT", f"{base}/{{variable_uuid}}", one, {"key": "SPEC_VAR", "value": "w"}, expect=200)
        calls("DELETE", f"{base}/{{variable_uuid}}", one, expect=204)
    environment_body = {"name": "Spec env", "environment_type": {"name": "Test"}}
    environment = calls("POST", f"{REPO}/environments", API, environment_body, expect=201).json()
    calls(
        "POST",
        f"{REPO}/environments/{{environment_uuid}}/changes",
        {**API, "environment_uuid": environment["uuid"]},
        {"change": {"name": "Spec env renamed"}},
        expect=202,
    )
    calls(
        "DELETE",
        f"{REPO}/environments/{{environment_uuid}}",
        {**API, "environment_uuid": environment["uuid"]},
        expect=204,
    )
    target = {"type": "pipeline_ref_target", "ref_type": "branch", "ref_name": "main"}
    trigger = {"target": target, "variables": [{"key": "DEPLOY_TO", "value": "staging"}]}
    pipeline = calls("POST", f"{REPO}/pipelines", API, trigger, expect=201).json()
    calls(
        "POST",
        f"{REPO}/pipelines/{{pipeline_uuid}}/stopPipeline",
        {**API, "pipeline_uuid": pipeline["uuid"]},
        expect=204,
    )
    schedule_body = {
        "target": {
            "ref_type": "branch",
            "ref_name": "main",
            "selector": {"type": "branches", "pattern": "main"},
        },
        "cron_pattern": "0 0 12 * * ? *",
    }
    schedules = f"{REPO}/pipelines_config/schedules"
    schedule = calls("POST", schedules, API, schedule_body, expect=201).json()
    one = {**API, "schedule_uuid": schedule["uuid"]}
    calls("PUT", f"{schedules}/{{schedule_uuid}}", one, {"enabled": False}, expect=200)
    calls("DELETE", f"{schedules}/{{schedule_uuid}}", one, expect=204)


def _settings(calls: SpecCalls, emu: EmulatorHandle) -> None:
    user = _member(emu)
    restriction_body = {
        "kind": "push",
        "branch_match_kind": "glob",
        "pattern": "spec/*",
        "users": [{"uuid": user}],
        "groups": [],
    }
    restriction = calls("POST", f"{REPO}/branch-restrictions", API, restriction_body, expect=201).json()
    one = {**API, "id": restriction["id"]}
    put_body = {"kind": "push", "branch_match_kind": "glob", "pattern": "spec/**"}
    calls("PUT", f"{REPO}/branch-restrictions/{{id}}", one, put_body, expect=200)
    calls("DELETE", f"{REPO}/branch-restrictions/{{id}}", one, expect=204)
    reviewer = {**API, "target_username": user}
    calls("PUT", f"{REPO}/default-reviewers/{{target_username}}", reviewer, expect=200)
    calls("DELETE", f"{REPO}/default-reviewers/{{target_username}}", reviewer, expect=204)
    with emu.store.lock:
        project_key = sorted(emu.store.workspaces["acme"].projects)[0]
        group = sorted(emu.store.workspaces["acme"].groups)[0]
    project_reviewer = {"workspace": "acme", "project_key": project_key, "selected_user": user}
    calls("PUT", f"{PROJECT}/default-reviewers/{{selected_user}}", project_reviewer, expect=200)
    calls("DELETE", f"{PROJECT}/default-reviewers/{{selected_user}}", project_reviewer, expect=204)
    key = calls("POST", f"{REPO}/deploy-keys", API, {"key": SSH_KEY, "label": "spec key"}, expect=200).json()
    one_key = {**API, "key_id": key["id"]}
    calls("PUT", f"{REPO}/deploy-keys/{{key_id}}", one_key, {"label": "renamed"}, expect=200)
    calls("DELETE", f"{REPO}/deploy-keys/{{key_id}}", one_key, expect=204)
    for base, params, level in (
        (f"{REPO}/permissions-config", API, "write"),
        (f"{PROJECT}/permissions-config", {"workspace": "acme", "project_key": project_key}, "create-repo"),
    ):
        as_user = {**params, "selected_user_id": user}
        calls("PUT", f"{base}/users/{{selected_user_id}}", as_user, {"permission": level}, expect=200)
        calls("DELETE", f"{base}/users/{{selected_user_id}}", as_user, expect=204)
        as_group = {**params, "group_slug": group}
        calls("PUT", f"{base}/groups/{{group_slug}}", as_group, {"permission": "read"}, expect=200)
        calls("DELETE", f"{base}/groups/{{group_slug}}", as_group, expect=204)
    calls("POST", f"{REPO}/forks", API, {"name": "api spec fork", "workspace": {"slug": "acme"}}, expect=201)


def _commit_actions(calls: SpecCalls, emu: EmulatorHandle) -> None:
    commit = {**API, "commit": _head(emu)}
    calls("POST", f"{REPO}/commit/{{commit}}/approve", commit, expect=200)
    calls("DELETE", f"{REPO}/commit/{{commit}}/approve", commit, expect=204)
    files = [("files", ("spec-1.0.tar.gz", b"spec bytes", "application/gzip"))]
    calls("POST", f"{REPO}/downloads", API, expect=201, files=files)
    calls("DELETE", f"{REPO}/downloads/{{filename}}", {**API, "filename": "spec-1.0.tar.gz"}, expect=204)
    with emu.store.lock:
        caches = list(repo_extras(emu.store, "acme", "api").caches.values())
    calls("DELETE", f"{REPO}/pipelines-config/caches", API, expect=204, query={"name": caches[0]["name"]})
    if len(caches) > 1:
        one = {**API, "cache_uuid": caches[1]["uuid"]}
    else:  # a second cache under another name, so the by-uuid route has one to delete
        with emu.store.lock:
            repo_extras(emu.store, "acme", "api").caches["{spec-cache}"] = {
                **caches[0],
                "uuid": "{spec-cache}",
            }
        one = {**API, "cache_uuid": "{spec-cache}"}
    calls("DELETE", f"{REPO}/pipelines-config/caches/{{cache_uuid}}", one, expect=204)


def test_every_write_route_follows_the_spec(calls: SpecCalls, emu: EmulatorHandle) -> None:
    _projects_and_repositories(calls)
    _refs(calls, emu)
    _pull_requests(calls, emu)
    _statuses_and_hooks(calls, emu)
    _pipelines(calls, emu)
    _settings(calls, emu)
    _commit_actions(calls, emu)
    routes = [route for route in write_routes(emu.store) if isinstance(route, WriteRoute)]
    every = {(route.method, route.path.removeprefix("/2.0").replace(":path}", "}")) for route in routes}
    assert every - calls.covered == set()
