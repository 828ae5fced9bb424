"""Every column of a table whose endpoint has recorded live bodies maps to a path those bodies have.

The paths come from ``tests/emulator/fidelity_manifest.json`` (derived from responses recorded
from live Bitbucket Cloud, source per endpoint). A column mapped to a path that real responses do
not carry is NULL in production however green the emulator tests are; this fails for it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bitbucket_sql.catalog.registry import require_table

MANIFEST = json.loads(
    (Path(__file__).parents[1] / "emulator" / "fidelity_manifest.json").read_text(encoding="utf-8")
)

#: table -> (manifest endpoint, prefix of a row inside its body)
TABLE_ENDPOINTS: dict[str, tuple[str, str]] = {
    "repositories": ("repository", ""),
    "branches": ("branches", "values[]."),
    "tags": ("tags", "values[]."),
    "commits": ("commits", "values[]."),
    "commit_statuses": ("commit_status", ""),
    "commit_diffstat": ("diffstat", "values[]."),
    "repository_webhooks": ("hooks", "values[]."),
    "pull_requests": ("pullrequests", "values[]."),
    "pull_request_commits": ("pullrequest_commits", "values[]."),
    "pull_request_statuses": ("pullrequest_statuses", "values[]."),
    "pull_request_comments": ("pullrequest_comments", "values[]."),
    "pull_request_tasks": ("pullrequest_tasks", "values[]."),
    "pipelines": ("pipelines", "values[]."),
    "pipeline_steps": ("pipeline_steps", "values[]."),
    "deployments": ("deployments", "values[]."),
    "environments": ("environments", "values[]."),
    "branch_restrictions": ("branch_restrictions", "values[]."),
    "workspace_members": ("workspace_members", "values[]."),
    "pull_request_activity": ("pullrequest_activity", "values[]."),
}


#: Columns whose path the recorded bodies cannot show, each with the reason it is still right.
NOT_IN_RECORDED_BODIES: dict[tuple[str, str], str] = {
    ("pull_requests", "reviewers"): "lists omit it; the table asks for it with fields=+values.reviewers",
    (
        "pull_requests",
        "participants",
    ): "lists omit it; the table asks for it with fields=+values.participants",
    (
        "branch_restrictions",
        "branch_type",
    ): "only on branching-model restrictions; the recording has globs only",
}


def known(endpoint: dict[str, Any], path: str) -> bool:
    """``path`` is in the recorded paths, or under a subtree the manifest leaves open or optional
    (a parent that is recorded only as null, a fork's ``parent``, an inline comment's ``inline``);
    a link's ``href`` is known when its relation is (the manifest stops at ``links.<rel>``)."""
    if path in endpoint["paths"] or (path.endswith(".href") and path[: -len(".href")] in endpoint["paths"]):
        return True
    roots = [*endpoint["open"], *endpoint["optional"]]
    roots += [p for p, formats in endpoint["paths"].items() if formats == "null"]
    return any(path.startswith((root + ".", root + "[]")) or path == root for root in roots)


@pytest.mark.parametrize("table_name", sorted(TABLE_ENDPOINTS))
def test_every_column_path_exists_in_recorded_live_bodies(table_name: str) -> None:
    endpoint_name, prefix = TABLE_ENDPOINTS[table_name]
    endpoint = MANIFEST["endpoints"][endpoint_name]
    table = require_table(table_name)
    missing = [
        f"{column.name} ({column.path})"
        for column in table.columns
        if column.path is not None
        and not known(endpoint, prefix + column.path)
        and (table_name, column.path) not in NOT_IN_RECORDED_BODIES
    ]
    source = endpoint["source"]
    assert not missing, (
        f"{table_name}: columns mapped to paths that live bodies do not have "
        f"({source['repository']}/{source['path']}, {source['date']}): {missing}"
    )
