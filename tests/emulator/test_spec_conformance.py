"""Every implemented GET route, list and single object, validated against the official spec.

For each read route we build a concrete URL from the tiny store, call it as the demo user, and
validate the body against the schema the Swagger 2.0 spec gives for that operation's 200 answer
(``$ref``s resolved by jsonschema against the spec's own ``definitions``).

The spec's known defects are handled in ONE place, :data:`SPEC_FIXES` (per operation) and
:func:`relax_spec` (global), each with its reason.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from _official_spec import official_spec
from bitbucket_sql.emulator.generator import generate
from bitbucket_sql.emulator.routes_read import read_routes
from bitbucket_sql.emulator.sampling import DEMO_USER_UUID

# Operations whose 200 answer the spec leaves without a schema (or describes wrongly), mapped to
# the definition the real API's payload follows, with the reason.
SPEC_FIXES: dict[str, tuple[str, str]] = {
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/commits": (
        "paginated_changeset",
        "spec declares no schema; real payload is a cursor page of commits",
    ),
    "/repositories/{workspace}/{repo_slug}/pullrequests/activity": (
        "x_paginated_activity",
        "spec declares no schema; real payload is a cursor page of activity entries",
    ),
    "/repositories/{workspace}/{repo_slug}/pullrequests/{pull_request_id}/activity": (
        "x_paginated_activity",
        "spec declares no schema; real payload is a cursor page of activity entries",
    ),
    "/repositories/{workspace}/{repo_slug}/downloads": (
        "x_paginated_downloads",
        "spec declares no schema; real items are download objects (digest 5.16)",
    ),
}

# Emulator route templates that are one of the spec's under another spelling, with the reason.
TEMPLATE_ALIASES: dict[str, tuple[str, str]] = {
    "/repositories/{workspace}/{repo_slug}/src/{commit}": (
        "/repositories/{workspace}/{repo_slug}/src/{commit}/{path}",
        "the root directory (/src/{commit}/, empty path) routes here once its trailing slash is dropped",
    ),
}

# Definitions the spec lacks, used by SPEC_FIXES above.
EXTRA_DEFINITIONS: dict[str, Any] = {
    "x_activity": {
        "type": "object",
        "properties": {
            "pull_request": {"$ref": "#/definitions/pullrequest"},
            "comment": {"$ref": "#/definitions/pullrequest_comment"},
            "update": {"type": "object", "required": ["state", "date", "author"]},
            "approval": {"type": "object", "required": ["date", "user"]},
            "changes_requested": {"type": "object", "required": ["date", "user"]},
        },
        "required": ["pull_request"],
        "minProperties": 2,
    },
    "x_paginated_activity": {
        "type": "object",
        "properties": {
            "pagelen": {"type": "integer"},
            "next": {"type": "string"},
            "values": {"type": "array", "items": {"$ref": "#/definitions/x_activity"}},
        },
        "required": ["values", "pagelen"],
        "additionalProperties": False,
    },
    "x_download": {
        "type": "object",
        "properties": {
            "type": {"enum": ["download"]},
            "name": {"type": "string"},
            "size": {"type": "integer"},
            "downloads": {"type": "integer"},
            "created_on": {"type": "string"},
            "user": {"$ref": "#/definitions/account"},
            "links": {"type": "object"},
        },
        "required": ["type", "name", "size", "links"],
    },
    "x_paginated_downloads": {
        "type": "object",
        "properties": {
            "size": {"type": "integer"},
            "page": {"type": "integer"},
            "pagelen": {"type": "integer"},
            "next": {"type": "string"},
            "previous": {"type": "string"},
            "values": {"type": "array", "items": {"$ref": "#/definitions/x_download"}},
        },
        "additionalProperties": False,
    },
}


def _relaxed(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_relaxed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _relaxed(value) for key, value in schema.items()}
    if result.get("additionalProperties") is False:
        del result["additionalProperties"]
    properties = result.get("properties")
    if isinstance(properties, dict):
        result["properties"] = {
            name: {"anyOf": [prop, {"type": "null"}]} for name, prop in properties.items()
        }
    return result


def relax_spec(definitions: dict[str, Any]) -> dict[str, Any]:
    """The spec's known defects, fixed here and nowhere else:

    1. Swagger 2.0 cannot say "nullable", yet Bitbucket sends ``null`` for absent values
       (``merge_commit``, ``closed_by``, ``participant.state``, ``resolved_on``, ...): every object
       property may be null.
    2. ``additionalProperties: false`` on nested objects contradicts real payloads (rendered text
       carries ``"type": "rendered"``, ``links`` carry more rels, and inside ``allOf`` it rejects the
       other branch's properties): dropped, except on the ``paginated_*`` envelopes, whose exact key
       set (size, page, pagelen, next, previous, values) is enforced.
    3. Pipeline link sections inherit ``object`` and so "require" a ``type`` that real link objects
       never have: not required there.
    5. A report's data field ``value`` is typed ``object``, yet the spec's own description (and
       every Code Insights client) sends numbers, booleans, text and links there: any type.
    6. ``commit_file.attributes`` is typed as one string, yet the spec's own ``/src`` example (and
       live bodies) carry a list of them (``"attributes": []``): an array of those strings.
    4. Definitions the spec marks with ``x-bb-default-fields`` are embedded with those fields only
       (a deployment's ``environment`` is ``{"uuid": ...}`` in bodies recorded from live Bitbucket,
       tests/emulator/fidelity_manifest.json): they do not require ``type`` either.
    """
    relaxed: dict[str, Any] = {}
    for name, definition in definitions.items():
        fixed = _relaxed(definition)
        if name.startswith("paginated_") or name.startswith("x_paginated_"):
            fixed["additionalProperties"] = False
        embedded_by_default_fields = "x-bb-default-fields" in definition
        if embedded_by_default_fields or (
            name.startswith("pipelines_") and ("links" in name or name.endswith("_href"))
        ):
            parts = [part for part in fixed.pop("allOf", []) if part != {"$ref": "#/definitions/object"}]
            if parts:
                fixed["allOf"] = parts
        relaxed[name] = fixed
    value = relaxed.get("report_data", {}).get("properties", {}).get("value")
    if value is not None:
        relaxed["report_data"]["properties"]["value"] = {}
    attributes = definitions.get("commit_file", {}).get("properties", {}).get("attributes")
    if attributes is not None:
        relaxed["commit_file"]["properties"]["attributes"] = {
            "anyOf": [{"type": "array", "items": attributes}, {"type": "null"}]
        }
    return relaxed


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return official_spec()


@pytest.fixture(scope="module")
def definitions(spec: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(spec["definitions"])
    merged.update(EXTRA_DEFINITIONS)
    return relax_spec(merged)


@pytest.fixture(scope="module")
def store(emulator):  # type: ignore[no-untyped-def]
    return emulator.store


@pytest.fixture(scope="module")
def client(emulator) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    """The shared tiny emulator, called as the demo user (API token)."""
    with httpx.Client(
        base_url=emulator.root_url, auth=("demo@example.com", "demo-api-token"), timeout=30
    ) as http:
        yield http


def _sample_params(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One concrete value per path placeholder, taken from acme/api (every collection non-empty)."""
    data = store.repo_data("acme", "api")
    pr_id = next(pid for pid, comments in data.pr_comments.items() if comments and data.pr_tasks.get(pid))
    commit = next(sha for sha in data.commit_order if data.commit_statuses.get(sha))
    pipeline = next(iter(data.pipelines.values()))
    ws = store.workspaces["acme"]
    project_key = next(iter(ws.projects))
    return {
        "workspace": "acme",
        "repo_slug": "api",
        "pull_request_id": str(pr_id),
        "comment_id": str(next(iter(data.pr_comments[pr_id]))),
        "task_id": str(next(iter(data.pr_tasks[pr_id]))),
        "commit": commit,
        "revision": "main",
        "key": next(iter(data.commit_statuses[commit])),
        "spec": commit,
        "name": "release/1.x",
        "member": DEMO_USER_UUID,
        "selected_user": DEMO_USER_UUID,
        "selected_user_id": next(iter(ws.repo_user_permissions["api"])),
        "group_slug": "developers",
        "project_key": project_key,
        "uid": next(iter(data.hooks)),
        "variable_uuid": next(iter(data.variables)),
        "schedule_uuid": next(iter(data.schedules)),
        "environment_uuid": next(iter(data.environments)),
        "deployment_uuid": next(iter(data.deployments)),
        "pipeline_uuid": pipeline["uuid"],
        "step_uuid": next(iter(data.pipeline_steps[pipeline["uuid"]])),
        "id": str(next(iter(data.branch_restrictions))),
        "target_username": next(iter(data.default_reviewers)),
        "key_id": str(next(iter(data.deploy_keys))),
        "path": "src",
    }


# Values that differ per route for the same placeholder name.
ROUTE_PARAM_OVERRIDES: dict[str, dict[str, str]] = {
    "/workspaces/{workspace}/hooks/{uid}": {"uid": "WORKSPACE_HOOK"},
    "/workspaces/{workspace}/pipelines-config/variables/{variable_uuid}": {
        "variable_uuid": "WORKSPACE_VARIABLE"
    },
    "/workspaces/{workspace}/projects/{project_key}/permissions-config/users/{selected_user_id}": {
        "selected_user_id": "PROJECT_USER"
    },
    "/workspaces/{workspace}/projects/{project_key}/default-reviewers/{selected_user}": {
        "selected_user": "PROJECT_REVIEWER"
    },
    "/repositories/{workspace}/{repo_slug}/refs/tags/{name}": {"name": "v1.0.0"},
    "/repositories/{workspace}/{repo_slug}/filehistory/{commit}/{path}": {"commit": "main", "path": "README.md"},
    "/users/{selected_user}/pipelines_config/variables/{variable_uuid}": {"variable_uuid": "USER_VARIABLE"},
    "/users/{selected_user}/ssh-keys/{key_id}": {"key_id": "SSH_KEY"},
    "/workspaces/{workspace}/projects/{project_key}/deploy-keys/{key_id}": {"key_id": "1"},
    "/snippets/{workspace}/{encoded_id}/commits/{revision}": {"revision": "SNIPPET_REVISION"},
    "/snippets/{workspace}/{encoded_id}/comments/{comment_id}": {"comment_id": "SNIPPET_COMMENT"},
    "/repositories/{workspace}/{repo_slug}/pipelines-config/runners/{runner_uuid}": {"runner_uuid": "REPO_RUNNER"},
    **{
        f"/repositories/{{workspace}}/{{repo_slug}}/commit/{{commit}}/{tail}": {
            "commit": "REPORT_COMMIT", "comment_id": "COMMIT_COMMENT"
        }
        for tail in (
            "reports", "reports/{reportId}", "reports/{reportId}/annotations",
            "reports/{reportId}/annotations/{annotationId}", "comments", "comments/{comment_id}",
        )
    },
    "/repositories/{workspace}/{repo_slug}/commit/{commit}/pullrequests": {"commit": "PR_COMMIT"},
}


def _extras_params(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Values for the routes of the later collections (emulator/extras.py): a commit with a failed
    report (so annotations exist) and comments, runners, keys, snippets."""
    from bitbucket_sql.emulator.extras import repo_extras, user_extras, workspace_extras

    data = store.repo_data("acme", "api")
    extras = repo_extras(store, "acme", "api")
    sha, report = next(
        (sha, uuid)
        for sha, reports in extras.reports.items()
        for uuid in reports
        if extras.annotations.get(uuid) and extras.commit_comments.get(sha)
    )
    workspace = workspace_extras(store, "acme")
    snippet = next(ident for ident, comments in workspace.snippet_comments.items() if comments)
    user = user_extras(store, DEMO_USER_UUID)
    return {
        "REPORT_COMMIT": sha,
        "reportId": report,
        "annotationId": next(iter(extras.annotations[report])),
        "COMMIT_COMMENT": str(next(iter(extras.commit_comments[sha]))),
        "PR_COMMIT": data.pr_commits[min(data.pr_commits)][0],
        "REPO_RUNNER": next(iter(extras.runners)),
        "runner_uuid": next(iter(workspace.runners)),
        "known_host_uuid": next(iter(extras.known_hosts)),
        "subject_type": "repository",
        "encoded_id": snippet,
        "SNIPPET_COMMENT": str(workspace.snippet_comments[snippet][0]["id"]),
        "SNIPPET_REVISION": workspace.snippet_commits[snippet][0]["hash"],
        "USER_VARIABLE": next(iter(user.variables)),
        "SSH_KEY": next(iter(user.ssh_keys)),
        "fingerprint": next(iter(user.gpg_keys)),
    }


def _templates() -> list[str]:
    routes = read_routes(generate("tiny", seed=1))
    return [re.sub(r":path}", "}", route.path.removeprefix("/2.0")) for route in routes]


def _deepest(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The most specific cause inside anyOf/allOf wrappers, so failures name the bad field."""
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


@pytest.mark.parametrize("template", _templates())
def test_route_matches_spec(template: str, spec, definitions, client: httpx.Client, store) -> None:  # type: ignore[no-untyped-def]
    params = _sample_params(store)
    ws = store.workspaces["acme"]
    project_key = params["project_key"]
    dynamic = {
        "WORKSPACE_HOOK": next(iter(ws.hooks)),
        "WORKSPACE_VARIABLE": next(iter(ws.variables)),
        "PROJECT_USER": next(iter(ws.project_user_permissions[project_key])),
        "PROJECT_REVIEWER": next(iter(ws.project_default_reviewers[project_key])),
    }
    extra = _extras_params(store)
    dynamic.update(extra)
    params.update({name: value for name, value in extra.items() if not name.isupper()})
    for name, value in ROUTE_PARAM_OVERRIDES.get(template, {}).items():
        params[name] = dynamic.get(value, value)
    url = "/2.0" + re.sub(r"{(\w+)}", lambda m: params[m.group(1)], template)

    response = client.get(url, follow_redirects=False)

    operation = spec["paths"][TEMPLATE_ALIASES.get(template, (template, ""))[0]]["get"]
    if "200" not in operation["responses"]:
        assert response.status_code in (int(code) for code in operation["responses"]), url
        return
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:300]}"
    body = response.json()
    if template in SPEC_FIXES:
        definition = SPEC_FIXES[template][0]
    else:
        ref = operation["responses"]["200"].get("schema", {}).get("$ref")
        assert ref, f"{template}: the spec has no 200 schema; add it to SPEC_FIXES with a reason"
        definition = ref.rsplit("/", 1)[-1]
    schema = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    errors = [_deepest(error) for error in jsonschema.Draft4Validator(schema).iter_errors(body)]
    assert not errors, f"{url} vs {definition}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:5]
    )
    if isinstance(body, dict) and "values" in body:
        assert body["values"], f"{url}: the tiny store should make every collection non-empty"
